"""The command line contract: `ask`, `ask --json`, `ask --json -`, `eval` and the console chat."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from bot_process import run_bot

ROOT = Path(__file__).resolve().parent.parent


def bot(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return run_bot(*args, stdin=stdin)


def test_ask_prints_the_answer_as_a_user_reads_it() -> None:
    result = bot("ask", "is it free?")
    assert result.returncode == 0, result.stderr
    assert "free" in result.stdout.lower()
    assert not result.stdout.lstrip().startswith("{")


def test_ask_json_prints_one_object() -> None:
    result = bot("ask", "--json", "how many days release time?")
    payload = json.loads(result.stdout)
    assert payload["status"] == "answered"
    assert "15 days" in payload["text"]
    assert payload["suggestions"] == []


def test_ask_json_from_stdin_answers_every_line_in_order() -> None:
    questions = ["is it free?", "hello", "", "who won the football", "do I need QTS?"]
    result = bot("ask", "--json", "-", stdin="\n".join(questions) + "\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["question"] for line in lines] == questions
    assert [line["status"] for line in lines][:2] == ["answered", "smalltalk"]
    assert lines[2]["status"] == "fallback" and lines[3]["status"] in ("fallback", "suggest")


def test_eval_prints_the_figures() -> None:
    result = bot("eval", str(ROOT / "eval" / "dev.jsonl"))
    assert result.returncode == 0, result.stderr
    for label in ("overall accuracy", "FAQ top-1 accuracy", "wrong answers", "out-of-scope abstention"):
        assert label in result.stdout


def test_console_chat_without_a_token_answers_and_exits_at_end_of_input() -> None:
    result = bot(stdin="is it free?\n")
    assert result.returncode == 0, result.stderr
    assert "free" in result.stdout.lower()
    assert "console chat" in result.stderr
