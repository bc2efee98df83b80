"""The eligibility self-check, walked like a teacher would: answers, free text, Back, Cancel, bad input."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.answers import Answerer
from bot.eligibility import EligibilityEngine, StepResult, parse_years, prefill_from_question
from bot.yamlfile import KnowledgeError

TODAY = date(2026, 11, 25)
# A teacher who meets everything, in step order, as button actions.
ALL_MET = {
    "experience": "5",
    "fe_setting": "elig:yes",
    "students": "elig:both",
    "observation": "elig:yes",
    "passion": "elig:yes",
    "collaboration": "elig:yes",
    "track_record": "elig:yes",
    "communication": "elig:yes",
    "effective_learning": "elig:yes",
    "qts": "elig:yes",
    "additional_status": "elig:no",
    "subject_leader": "elig:yes",
    "curriculum": "elig:no",
    "leadership_capacity": "elig:no",
    "leading_pd": "elig:no",
    "nomination": "elig:yes",
    "senior_support": "elig:yes",
    "statements": "elig:yes",
}


@pytest.fixture
def engine(answerer: Answerer) -> EligibilityEngine:
    return EligibilityEngine(answerer.knowledge.eligibility, lambda: TODAY)


def walk(engine: EligibilityEngine, answers: dict[str, str]) -> StepResult:
    """Answer every step from `answers`; return the last result (the verdict)."""
    state, _ = engine.start()
    result = None
    while state is not None:
        step_id = engine._next_step(state).id  # type: ignore[union-attr]
        result = engine.step(state, answers[step_id])
        assert result.understood, (step_id, result.reply.text)
        state = result.state
    assert result is not None and result.finished
    return result


def test_steps_go_hard_facts_first_then_qualities_desirable_and_commitments(
    engine: EligibilityEngine,
) -> None:
    groups = [s.group for s in engine.criteria.steps]
    assert [s.id for s in engine.criteria.steps[:3]] == ["experience", "fe_setting", "students"]
    assert groups == sorted(groups, key=["essential", "desirable", "commitment"].index)


def test_first_question_shows_progress_and_cancel(engine: EligibilityEngine) -> None:
    _, reply = engine.start()
    assert f"Question 1 of {len(engine.criteria.steps)}" in reply.text
    assert "How many years have you taught maths" in reply.text
    assert "Cancel" in reply.button_labels and "Back" not in reply.button_labels


def test_someone_who_meets_everything(engine: EligibilityEngine) -> None:
    text = walk(engine, ALL_MET).reply.text
    assert "You appear to meet all the essential criteria" in text
    assert "eligible" not in text.replace("Check if you might be eligible", "")
    assert "You meet 2 of the 6 desirable criteria" in text
    assert "Talk to your senior leaders" in text and "15 days' release time" in text
    assert "(2023/24) said applications for 2024/25 were open" in text


def test_eighteen_months_experience_is_named_as_unmet(engine: EligibilityEngine) -> None:
    text = walk(engine, {**ALL_MET, "experience": "18 months"}).reply.text
    assert "You appear to meet all the essential criteria" not in text
    assert "• 2 years' experience teaching maths" in text
    assert "You said: 1.5 years" in text
    assert "at least 2 years' experience" in text and "Apply once you have taught maths for 2 years" in text


def test_school_sixth_form_teacher_is_told_the_setting_is_unmet(engine: EligibilityEngine) -> None:
    text = walk(engine, {**ALL_MET, "fe_setting": "no, I teach in a school sixth form"}).reply.text
    assert "• Employed in a Further Education setting" in text
    assert "You said: No" in text
    assert "2 years' experience teaching maths\n" not in text


def test_teaching_neither_gcse_resit_nor_functional_skills(engine: EligibilityEngine) -> None:
    text = walk(engine, {**ALL_MET, "students": "Neither"}).reply.text
    assert "• Teaching maths to Condition of Funding students" in text
    assert "You said: Neither" in text
    assert "GCSE resit or Functional Skills" in text


def test_unsure_about_observation_is_a_thing_to_check_not_a_fail(engine: EligibilityEngine) -> None:
    text = walk(engine, {**ALL_MET, "observation": "elig:unsure"}).reply.text
    assert "You don't appear to meet" not in text
    assert "Things to check:\n• Good teaching shown by observation: " in text
    assert "internal" in text.split("Things to check:")[1]
    assert "You appear to meet all the essential criteria" not in text


def test_free_text_answers_throughout(engine: EligibilityEngine) -> None:
    typed = {
        "experience": "two and a half years",
        "fe_setting": "yep",
        "students": "I teach resit and functional skills",
        "observation": "y",
        "passion": "yeah definitely",
        "collaboration": "yes",
        "track_record": "Yes I have",
        "communication": "yes",
        "effective_learning": "I do",
        "qts": "nope",
        "additional_status": "not really",
        "subject_leader": "no",
        "curriculum": "not sure",
        "leadership_capacity": "dunno",
        "leading_pd": "n",
        "nomination": "yes",
        "senior_support": "yes",
        "statements": "yes",
    }
    text = walk(engine, typed).reply.text
    assert "You appear to meet all the essential criteria" in text
    assert "You meet 0 of the 6 desirable criteria" in text


@pytest.mark.parametrize(
    ("typed", "years"),
    [
        ("3", 3.0),
        ("three", 3.0),
        ("2.5", 2.5),
        ("18 months", 1.5),
        ("two and a half years", 2.5),
        ("since 2019", 7.0),
        ("a year and a half", 1.5),
        ("10 yrs", 10.0),
    ],
)
def test_years_are_read_from_what_teachers_type(typed: str, years: float) -> None:
    assert parse_years(typed, TODAY) == years


def test_back_changes_the_previous_answer(engine: EligibilityEngine) -> None:
    state, _ = engine.start()
    state = engine.step(state, "1").state
    result = engine.step(state, "elig:back")
    assert "Question 1 of" in result.reply.text
    state = engine.step(result.state, "4").state  # type: ignore[arg-type]
    answers = {**ALL_MET}
    while state is not None:
        step_id = engine._next_step(state).id  # type: ignore[union-attr]
        last = engine.step(state, answers[step_id] if step_id != "experience" else "4")
        state = last.state
    assert "You appear to meet all the essential criteria" in last.reply.text


def test_cancel_then_restart(engine: EligibilityEngine) -> None:
    state, _ = engine.start()
    state = engine.step(state, "3").state
    cancelled = engine.step(state, "cancel")  # type: ignore[arg-type]
    assert cancelled.cancelled and cancelled.state is None
    assert "stopped the eligibility check" in cancelled.reply.text
    state, reply = engine.start()
    assert "Question 1 of" in reply.text
    restarted = engine.step(engine.step(state, "3").state, "elig:restart")  # type: ignore[arg-type]
    assert "start again" in restarted.reply.text and "Question 1 of" in restarted.reply.text
    assert restarted.state is not None and restarted.state["answers"] == {}


@pytest.mark.parametrize(
    "bad", ["", "   ", "🙂🙂", "x" * 4000, "how much does it cost?", "200", "-1", "banana"]
)
def test_bad_input_is_re_asked_and_keeps_the_place(engine: EligibilityEngine, bad: str) -> None:
    state, _ = engine.start()
    state = engine.step(state, "3").state  # now on the FE setting question
    for text in (bad,):
        result = engine.step(state, text)  # type: ignore[arg-type]
        assert not result.understood
        assert "Sorry" in result.reply.text and "Question 2 of" in result.reply.text
        assert result.state == state
    years_state, _ = engine.start()
    years = engine.step(years_state, bad)
    assert not years.understood and years.state == years_state
    assert "Question 1 of" in years.reply.text


def test_state_survives_json_round_trip(engine: EligibilityEngine) -> None:
    state, _ = engine.start()
    state = engine.step(state, "3").state
    restored = json.loads(json.dumps(state))
    result = engine.step(restored, "yes")
    assert result.understood and "Question 3 of" in result.reply.text


def test_prefill_from_a_question(engine: EligibilityEngine) -> None:
    prefill = prefill_from_question(
        engine.criteria, "I've taught maths for 3 years in an FE college, can I apply?", TODAY
    )
    assert prefill == {"experience": 3.0, "fe_setting": "yes"}
    _, reply = engine.start(prefill)
    assert "3 years" in reply.text and "Question 3 of" in reply.text


def test_broken_criteria_file_is_reported_with_lines(knowledge_copy: Path) -> None:
    from bot.knowledge import load_knowledge

    path = knowledge_copy / "eligibility.yaml"
    text = path.read_text(encoding="utf-8")
    text = text.replace("    kind: years\n", "    kind: stars\n", 1)
    text = text.replace('quote: "Ability to work collaboratively with others"', 'quote: "Ability to juggle"')
    text = text.replace('    criterion: "Passion for improving outcomes"\n', "", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge_copy)
    problems = [str(p) for p in caught.value.problems]
    lines = text.splitlines()
    kind_line = next(i for i, line in enumerate(lines, 1) if "kind: stars" in line)
    assert (
        f"knowledge/eligibility.yaml:{kind_line}: unknown answer kind 'stars' (known: choice, years, yes_no)"
        in problems
    )
    assert any(
        p.startswith("knowledge/eligibility.yaml:") and "quote not found" in p and "juggle" in p
        for p in problems
    )
    assert any(
        p.startswith("knowledge/eligibility.yaml:") and "missing required field 'criterion'" in p
        for p in problems
    )
