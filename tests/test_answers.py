"""Answering questions the way a teacher types them: right answers, honest doubt, and bad input."""

from __future__ import annotations

from datetime import date

import pytest

from bot.content import default_knowledge_dir, load_answerer
from bot.core.answers import Answerer
from bot.core.matching import Candidate, decide


def test_a_plain_question_gets_the_matching_answer(answerer: Answerer) -> None:
    answer = answerer.ask("How much does the programme cost?")
    assert answer.status == "answered"
    assert "free" in answer.text.lower()


def test_typos_and_abbreviations_still_match(answerer: Answerer) -> None:
    answer = answerer.ask("do i need qts or qtls to aply?")
    assert answer.status == "answered"
    assert "QTS" in answer.text and "desirable" in answer.text.lower()


def test_curly_quotes_and_case_do_not_matter(answerer: Answerer) -> None:
    straight = answerer.ask("What's the cost?")
    curly = answerer.ask("WHAT\u2019S THE COST?")
    assert (straight.status, straight.entry) == (curly.status, curly.entry)


@pytest.mark.parametrize("question", ["hello", "thanks!", "what can you do?"])
def test_small_talk_is_recognised(answerer: Answerer, question: str) -> None:
    answer = answerer.ask(question)
    assert answer.status == "smalltalk"
    assert answer.text


def test_a_question_the_documents_do_not_cover_is_not_answered(answerer: Answerer) -> None:
    answer = answerer.ask("who won the football last night")
    assert answer.status == "fallback"
    assert answer.text == answerer.knowledge.messages["fallback"]


def test_a_known_gap_gets_its_honest_specific_reply(answerer: Answerer) -> None:
    answer = answerer.ask("is the training online or in person?")
    assert answer.status == "fallback"
    assert answer.entry is not None and answer.entry.kind == "not_covered"
    assert "don't say" in answer.text


def test_two_questions_in_one_message_get_both_answers(answerer: Answerer) -> None:
    answer = answerer.ask("how long does it last and is it free?")
    assert answer.status == "answered"
    assert "two-year" in answer.text and "free" in answer.text


def test_numbers_alone_do_not_pull_in_an_unrelated_entry(answerer: Answerer) -> None:
    # "40" is Cohort 1's size and "15" the release days; a bare number or a number in an unrelated
    # question must not match either.
    for question in ("40", "15", "I have 40 students in room 15, is the wifi down?"):
        assert answerer.ask(question).status != "answered", question


@pytest.mark.parametrize(
    "question", ["when does cohort 2 start", "when does cohort 3 start", "cohort 4 start date"]
)
def test_a_cohort_the_documents_do_not_describe_is_not_answered_as_cohort_1(
    answerer: Answerer, question: str
) -> None:
    answer = answerer.ask(question)
    assert answer.status != "answered", (answer.entry.id if answer.entry else None, answer.text)
    assert answerer.ask("when does cohort 1 start").entry.id == "cohort1_start"  # type: ignore[union-attr]


@pytest.mark.parametrize("question", ["how many release days are funded in 2026/27", "release time 2025-26"])
def test_a_year_the_documents_do_not_speak_of_is_not_answered_as_another_year(
    answerer: Answerer, question: str
) -> None:
    answer = answerer.ask(question)
    assert answer.status != "answered", (answer.entry.id if answer.entry else None, answer.text)
    assert answerer.ask("how many release days are funded in 2024/25").status == "answered"


def test_question_words_alone_are_small_talk_or_not_answered(answerer: Answerer) -> None:
    assert answerer.ask("who are you?").status == "smalltalk"
    for question in ("who?", "when?", "why", "who is it"):
        assert answerer.ask(question).status != "answered", question


def test_typo_correction_keeps_the_first_letter(answerer: Answerer) -> None:
    correct = answerer.matcher.analyzer.correct
    assert correct("expereince") == "experience"
    assert correct("signing") == "signing", "a real word we do not know is not 'design'"


def test_an_academic_year_points_to_that_years_answer(answerer: Answerer) -> None:
    answer = answerer.ask("can I still apply for 2023/24")
    assert answer.status == "answered", answer.text
    assert answer.entry is not None and answer.entry.id in ("applications_2023_24", "applications_open")
    assert "2023/24" in answer.text
    assert "closed" in answer.text or "no longer" in answer.text


def test_an_unclear_question_offers_suggestions_not_an_answer(answerer: Answerer) -> None:
    # "teaching" alone could be about experience, observation or the students taught: ask which.
    answer = answerer.ask("teaching")
    assert answer.status == "suggest"
    assert 2 <= len(answer.suggestions) <= 3
    assert all(s.kind == "faq" for s in answer.suggestions)


def test_when_does_it_start_gives_both_cohorts_start_dates(answerer: Answerer) -> None:
    answer = answerer.ask("when does it start")
    assert answer.status == "answered"
    assert "summer term 2023" in answer.text and "autumn term 2023" in answer.text


def test_two_related_answers_that_tie_are_both_given(answerer: Answerer) -> None:
    # The curators linked the two start dates as related: a tie between them gives both, not a guess.
    by_id = answerer.knowledge.by_id
    tie = [Candidate(by_id["trailblazer_start"], 0.80), Candidate(by_id["cohort1_start"], 0.79)]
    match = decide(tie, answerer.knowledge.matcher)
    assert (match.status, match.best, match.also) == ("answered", tie[0], (by_id["cohort1_start"],))
    unrelated = [Candidate(by_id["trailblazer_start"], 0.80), Candidate(by_id["cost"], 0.79)]
    assert decide(unrelated, answerer.knowledge.matcher).status == "suggest"


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   \n\t ",
        "😀😀😀",
        "Как дела?",
        "你好吗",
        "\x00\x07\x1b[31m",
        "<b>bold</b> & <i>",
        "a" * 4000,
        "cost " * 800,
    ],
)
def test_bad_input_gets_a_sensible_reply(answerer: Answerer, question: str) -> None:
    answer = answerer.ask(question)
    assert answer.status in ("fallback", "suggest", "answered")
    assert answer.text.strip()


def test_empty_question_prompts_for_a_question(answerer: Answerer) -> None:
    answer = answerer.ask("   ")
    assert answer.status == "fallback"
    assert answer.text == answerer.knowledge.messages["empty_question"]


def test_date_bound_answer_is_flagged_once_its_source_is_out_of_date() -> None:
    then = load_answerer(default_knowledge_dir(), today=lambda: date(2024, 1, 15))
    now = load_answerer(default_knowledge_dir(), today=lambda: date(2026, 11, 25))
    question = "are applications open at the moment?"
    then_answer, now_answer = then.ask(question), now.ask(question)
    assert then_answer.entry is not None and then_answer.entry.date_bound
    note = then.knowledge.sources[then_answer.entry.source.file].stale_note  # type: ignore[union-attr]
    assert "2024/25" in then_answer.text and note not in then_answer.text
    assert "2024/25" in now_answer.text and note in now_answer.text
    assert "local Maths Hub" in now_answer.text


def test_undated_answer_has_no_as_of_note(answerer: Answerer) -> None:
    answer = answerer.ask("do I need QTS?")
    assert not any(s.stale_note in answer.text for s in answerer.knowledge.sources.values())


def test_answer_json_contract(answerer: Answerer) -> None:
    answer = answerer.ask("How much does the programme cost?").to_json()
    assert set(answer) == {"question", "status", "entry_id", "score", "text", "suggestions"}
    assert answer["question"] == "How much does the programme cost?"
    assert isinstance(answer["score"], float) and 0 < answer["score"] <= 1
    assert answer["entry_id"] in {e.id for e in answerer.knowledge.faq_entries}


def test_an_either_or_question_answers_the_side_it_asks_about(answerer: Answerer) -> None:
    answer = answerer.ask("is working with other colleges part of it, or is it all in-house?")
    assert answer.status == "answered"
    collaboration = answerer.knowledge.by_id["collaboration_other_colleges"]
    assert collaboration in (answer.entry, *answer.also), answer.text


def test_two_small_talk_replies_that_tie_are_still_small_talk(answerer: Answerer) -> None:
    assert answerer.ask("cheers bye").status == "smalltalk"


def test_year_two_is_the_programmes_second_year_not_its_length(answerer: Answerer) -> None:
    answer = answerer.ask("what happens in year 2?")
    assert answer.status == "answered"
    assert answer.entry is not None and answer.entry.id == "after_first_year", answer.text


def test_a_known_gap_in_one_clause_gets_its_honest_reply(answerer: Answerer) -> None:
    answer = answerer.ask("I'm 0.6 part time, is that allowed?")
    assert answer.status == "fallback"
    assert answer.entry is not None and answer.entry.kind == "not_covered", answer.text


def test_a_clear_answer_outweighs_a_known_gap_in_the_context(answerer: Answerer) -> None:
    answer = answerer.ask("how many yrs does the course last? SLT want to know what we're signing up to")
    assert answer.status == "answered", answer.text
    assert answer.entry is not None and answer.entry.id == "duration"


def test_a_near_literal_phrasing_with_other_telling_words_is_not_taken_literally(answerer: Answerer) -> None:
    # Almost the same letters as "wat is the post16 mastery specialist programme", but about who runs it.
    matcher = answerer.matcher
    assert matcher.literal_match("who runs the post 16 mastery specialist programme?") is None
    literal = matcher.literal_match("what is the post 16 mastery specialist programme")
    assert literal is not None and literal.entry.id == "what_is_it"


def test_an_academic_year_alone_names_what_is_asked(answerer: Answerer) -> None:
    answer = answerer.ask("can we still get someone on for 23/24?")
    assert answer.status == "answered", answer.text
    assert "2023/24" in answer.text and "no longer" in answer.text
