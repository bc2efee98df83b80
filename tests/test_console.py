"""The console chat, driven both ways: the human console and the scripted `chat --json`."""

from __future__ import annotations

import io
import json

from bot_process import run_bot

from bot.console import run_console
from bot.core.answers import Answerer
from bot.core.conversation import Conversation


def chat_json(answerer: Answerer, *lines: str) -> list[dict[str, object]]:
    output = io.StringIO()
    run_console(Conversation(answerer), io.StringIO("\n".join(lines) + "\n"), output, as_json=True)
    return [json.loads(line) for line in output.getvalue().splitlines()]


def test_start_shows_the_menu(answerer: Answerer) -> None:
    [message] = chat_json(answerer, "/start")
    assert "Post-16 GCSE/FSQ Mastery Specialist Programme" in str(message["text"])
    assert message["buttons"] == [
        "Check my eligibility",
        "Costs and funding",
        "Dates and cohorts",
        "Browse topics",
        "Ask a question",
    ]


def test_help_about_and_unknown_command(answerer: Answerer) -> None:
    help_, about, unknown = chat_json(answerer, "/help", "/about", "/frobnicate")
    assert "/eligibility" in str(help_["text"])
    assert "2023/24" in str(about["text"])
    assert "don't know that command" in str(unknown["text"])


def test_browse_topics_to_an_answer_by_pressing_labels(answerer: Answerer) -> None:
    _, topic, answer = chat_json(answerer, "/start", "Costs and funding", "How much does it cost?")
    assert "How much does it cost?" in topic["buttons"]  # type: ignore[operator]
    assert "free" in str(answer["text"])


def test_question_mid_self_check_is_answered_and_the_step_resumes(answerer: Answerer) -> None:
    messages = chat_json(answerer, "/eligibility", "4", "is it free?", "Yes")
    assert "Question 2 of" in str(messages[1]["text"])
    assert "free" in str(messages[2]["text"])
    assert "Question 2 of" in str(messages[3]["text"]) and "Sorry" not in str(messages[3]["text"])
    assert "Question 3 of" in str(messages[4]["text"])


def test_full_self_check_by_button_labels_with_18_months(answerer: Answerer) -> None:
    answers = ["18 months", "Yes", "Functional Skills"] + ["Yes"] * 6 + ["No"] * 6 + ["Yes"] * 3
    messages = chat_json(answerer, "/eligibility", *answers)
    verdict = str(messages[-1]["text"])
    assert "• 2 years' experience teaching maths" in verdict and "You said: 1.5 years" in verdict
    assert "You meet 0 of the 6 desirable criteria" in verdict


def test_cancel_command_stops_the_self_check(answerer: Answerer) -> None:
    messages = chat_json(answerer, "/eligibility", "/cancel", "is it free?")
    assert "stopped the eligibility check" in str(messages[1]["text"])
    assert "free" in str(messages[2]["text"])


def test_eligibility_question_offers_the_self_check_with_answers_filled_in(answerer: Answerer) -> None:
    messages = chat_json(
        answerer, "I've taught maths for 3 years in an FE college, can I apply?", "Check my eligibility"
    )
    assert "Check my eligibility" in messages[0]["buttons"]  # type: ignore[operator]
    assert "3 years" in str(messages[1]["text"]) and "Question 3 of" in str(messages[1]["text"])


def test_human_console_presses_buttons_by_number_but_reads_years_as_answers(answerer: Answerer) -> None:
    output = io.StringIO()
    run_console(Conversation(answerer), io.StringIO("/start\n1\n3\n"), output)
    text = output.getvalue()
    assert "  1. Check my eligibility" in text
    assert "Question 1 of" in text  # "1" pressed the first button
    assert "Question 2 of" in text  # "3" answered the years question, it did not press button 3


def test_chat_json_command_line_exits_at_end_of_input() -> None:
    result = run_bot("chat", "--json", stdin="hello\n<b>bold</b> & co\n")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2 and set(lines[0]) == {"text", "buttons"}
