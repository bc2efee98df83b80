"""The eligibility self-check as a teacher meets it: whole dialogues, typed answers, Back, Cancel, bad input."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import textstat

from bot.content import default_knowledge_dir, load_knowledge
from bot.content.eligibility import parse_criteria
from bot.content.yamlfile import load_yaml
from bot.core.eligibility import (
    Criteria,
    DialogueState,
    EligibilityEngine,
    StepResult,
    parse_years,
    prefill_from_question,
)
from bot.core.eligibility.model import ELIGIBILITY_ACTION_PREFIX
from bot.core.problems import Problem
from bot.core.text import MESSAGE_LIMIT

TODAY = date(2026, 11, 25)
YAML = default_knowledge_dir() / "eligibility.yaml"
DIAGRAM = Path(__file__).resolve().parent.parent / "bot" / "core" / "eligibility" / "diagram.mmd"

# A teacher who meets every essential criterion and two desirable ones, by the buttons they would press.
MEETS_ALL = {
    "experience": "5",
    "fe_setting": "Yes",
    "students": "Both",
    "observation": "Yes",
    "passion": "Yes",
    "collaboration": "Yes",
    "track_record": "Yes",
    "communication": "Yes",
    "effective_learning": "Yes",
    "qts": "Yes",
    "additional_status": "No",
    "subject_leader": "Yes",
    "curriculum": "No",
    "leadership_capacity": "No",
    "leading_pd": "No",
    "nomination": "Yes",
    "senior_support": "Yes",
    "statements": "Yes",
}
BAD_INPUT = [
    "",
    "   ",
    "x" * 4000,
    "🙂🙂",
    "How much does it cost?",
    "Is it free?",
    "What if I don't have QTS?",  # a question, though it holds a "no"
    "200",
    "-1",
]


@pytest.fixture(scope="module")
def criteria() -> Criteria:
    return load_knowledge().eligibility


@pytest.fixture
def engine(criteria: Criteria) -> EligibilityEngine:
    return EligibilityEngine(criteria, lambda: TODAY)


class Session:
    """One teacher's side of the dialogue: type text or press a button by its label, then read the reply."""

    def __init__(self, engine: EligibilityEngine, prefill: dict[str, Any] | None = None) -> None:
        self.engine = engine
        self.criteria = engine.criteria
        self.state: DialogueState | None
        self.state, self.last = engine.start(prefill)
        self.result: StepResult | None = None

    def send(self, text: str) -> StepResult:
        assert self.state is not None, "the dialogue has already ended"
        self.result = self.engine.step(self.state, text)
        self.state, self.last = self.result.state, self.result.reply
        return self.result

    def press(self, label: str) -> StepResult:
        actions = {b.label: b.action for b in self.last.buttons}
        assert label in actions, f"no {label!r} button; offered {list(actions)}"
        return self.send(actions[label])

    def question_number(self) -> int:
        """The N of "Question N of 18" in the last reply."""
        total = len(self.criteria.steps)
        numbers = [
            n
            for n in range(1, total + 1)
            if self.criteria.messages["progress"].format(number=n, total=total) in self.last.text
        ]
        assert len(numbers) == 1, self.last.text
        return numbers[0]

    def current_step(self) -> str:
        return self.criteria.steps[self.question_number() - 1].id

    def answer(self, text: str) -> StepResult:
        """Press the button labelled `text` if there is one, else type it."""
        if text in self.last.button_labels:
            return self.press(text)
        return self.send(text)

    def finish(self, answers: dict[str, str]) -> str:
        """Answer each question asked from `answers` (by step id) and return the verdict."""
        while self.state is not None:
            step_id = self.current_step()
            result = self.answer(answers[step_id])
            assert result.understood, (step_id, answers[step_id], result.reply.text)
        assert self.result is not None and self.result.finished
        assert self.last.buttons == (), "the verdict has no buttons"
        return self.last.text


def section(verdict: str, heading: str) -> str:
    """The paragraph of the verdict that starts with `heading`, or empty if there is none."""
    return next((part for part in verdict.split("\n\n") if part.startswith(heading)), "")


def unmet(criteria: Criteria, verdict: str) -> str:
    heading = criteria.messages["unmet_heading"].split("{")[0]
    return section(verdict, heading)


def assert_never_overclaims(verdict: str) -> None:
    assert "you are eligible" not in verdict.lower()
    assert "you're eligible" not in verdict.lower()
    assert len(verdict) < MESSAGE_LIMIT


# --- Whole dialogues ----------------------------------------------------------------------------------------


def test_someone_who_meets_everything(engine: EligibilityEngine) -> None:
    verdict = Session(engine).finish(MEETS_ALL)
    assert verdict.startswith("Your eligibility self-check")
    assert "You appear to meet all the essential criteria" in verdict
    assert "your Maths Hub decides who takes part" in verdict
    assert "You don't appear to meet" not in verdict and "Things to check" not in verdict
    assert "You meet 2 of the 6 desirable criteria" in verdict
    strengthen = section(verdict, "You meet 2 of the 6").split("would strengthen your application:")[1]
    assert "a status such as Maths SLE" in strengthen and "QTS" not in strengthen
    assert "Talk to your senior leaders" in verdict and "a senior leader writes a statement" in verdict
    assert "15 days' release time" in verdict and "2023/24 and 2024/25" in verdict
    assert (
        "The programme page (2023/24) said applications for 2024/25 were open. "
        "Check with your local Maths Hub for the current round." in verdict
    )
    assert "Your college would also need to agree to" not in verdict
    assert_never_overclaims(verdict)


def test_eighteen_months_experience_names_the_unmet_criterion(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    verdict = Session(engine).finish({**MEETS_ALL, "experience": "18 months"})
    assert "You appear to meet all the essential criteria" not in verdict
    missing = unmet(criteria, verdict)
    assert missing.startswith("You don't appear to meet 1 of the 9 essential criteria yet:")
    assert "• 2 years' experience teaching maths" in missing
    assert "The programme asks for: at least 2 years' experience teaching maths." in missing
    assert "You said: 1.5 years." in missing
    assert "What would change it: Apply once you have taught maths for 2 years." in missing
    assert "Further Education" not in missing, "only the unmet criterion is listed"
    assert_never_overclaims(verdict)


def test_school_sixth_form_teacher_is_told_the_fe_setting_is_not_met(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    verdict = Session(engine).finish({**MEETS_ALL, "fe_setting": "No, I teach in a school sixth form"})
    missing = unmet(criteria, verdict)
    assert "• Employed in a Further Education setting" in missing
    assert "You said: No." in missing
    assert "ask your local Maths Hub" in missing
    assert "2 years' experience" not in missing
    # Said without a leading "no", the school still answers the question.
    session = Session(engine)
    session.send("4")
    assert session.send("I teach in a school sixth form").understood
    assert session.question_number() == 3
    assert "• Employed in a Further Education setting" in unmet(criteria, session.finish(MEETS_ALL))


def test_teaching_neither_gcse_resit_nor_functional_skills(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    verdict = Session(engine).finish({**MEETS_ALL, "students": "A-level only"})
    missing = unmet(criteria, verdict)
    assert "• Teaching maths to Condition of Funding students" in missing
    assert "You said: Neither." in missing
    assert "GCSE resit or Functional Skills" in missing
    assert "What would change it: Teach GCSE resit or Functional Skills maths classes regularly." in missing


def test_unsure_about_observation_is_a_thing_to_check_not_a_fail(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    session = Session(engine)
    for step_id in ("experience", "fe_setting", "students"):
        session.answer(MEETS_ALL[step_id])
    assert session.current_step() == "observation"
    session.press("Not sure")
    what_counts = criteria.step("observation").what_counts
    assert what_counts in session.last.text, "Not sure explains what counts straight away"
    assert session.question_number() == 5
    verdict = session.finish(MEETS_ALL)
    assert "You appear to meet all the essential criteria" not in verdict
    assert "You appear to meet 8 of the 9 essential criteria" in verdict
    assert unmet(criteria, verdict) == ""
    assert f"Things to check:\n• Good teaching shown by observation: {what_counts}" in verdict
    assert_never_overclaims(verdict)


def test_free_text_answers_throughout(engine: EligibilityEngine, criteria: Criteria) -> None:
    typed = {
        "experience": "two and a half years",
        "fe_setting": "yep",
        "students": "resit and functional skills",
        "observation": "y",
        "passion": "yeah, definitely",
        "collaboration": "Yes I do",
        "track_record": "I have",
        "communication": "sure",
        "effective_learning": "YES!",
        "qts": "nope",
        "additional_status": "not really",
        "subject_leader": "n",
        "curriculum": "not sure",
        "leadership_capacity": "dunno",
        "leading_pd": "I haven't",
        "nomination": "I think so",
        "senior_support": "Definitely not",
        "statements": "yeah",
    }
    verdict = Session(engine).finish(typed)
    assert "You appear to meet all the essential criteria" in verdict
    assert "You meet 0 of the 6 desirable criteria" in verdict
    strengthen = verdict.split("would strengthen your application:")[1]
    assert "QTS or QTLS" in strengthen and "leading professional development" in strengthen
    checks = section(verdict, "Things to check:")
    assert "• Developing a maths curriculum" in checks and "• Growing leadership in others" in checks
    commitments = section(verdict, "Your college would also need to agree to:")
    assert "• Senior leaders' support" in commitments and "nominates you" not in commitments


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("GCSE resit", "gcse"),
        ("resit", "gcse"),
        ("I teach GCSE", "gcse"),
        ("functional skills", "fsq"),
        ("FS", "fsq"),
        ("both", "both"),
        ("resit and functional skills", "both"),
        ("neither", "neither"),
        ("a-level only", "neither"),
        ("elig:fsq", "fsq"),
    ],
)
def test_choices_are_read_by_label_keyword_or_button(
    engine: EligibilityEngine, typed: str, value: str
) -> None:
    session = Session(engine)
    session.send("3")
    session.press("Yes")
    assert session.send(typed).understood
    assert session.question_number() == 4
    assert session.state is not None and session.state["answers"]["students"] == value


def test_since_a_year_uses_the_injected_clock(criteria: Criteria) -> None:
    engine = EligibilityEngine(criteria, lambda: date(2020, 6, 1))
    verdict = Session(engine).finish({**MEETS_ALL, "experience": "since 2019"})
    assert "You said: 1 year." in unmet(criteria, verdict)
    later = EligibilityEngine(criteria, lambda: date(2024, 6, 1))
    assert unmet(criteria, Session(later).finish({**MEETS_ALL, "experience": "since 2019"})) == ""


@pytest.mark.parametrize(
    ("typed", "years"),
    [
        ("3", 3.0),
        ("three", 3.0),
        ("3 years", 3.0),
        ("2.5", 2.5),
        ("18 months", 1.5),
        ("two and a half years", 2.5),
        ("a year and a half", 1.5),
        ("1 year and 6 months", 1.5),
        ("half a year", 0.5),
        ("since 2019", 7.0),
        ("since September 2024", 2.17),
        ("I've taught maths for 4 years", 4.0),
        ("about 10 yrs", 10.0),
        ("200", 200.0),
    ],
)
def test_years_are_read_as_teachers_type_them(typed: str, years: float) -> None:
    assert parse_years(typed, TODAY) == years


def test_back_changes_the_previous_answer(engine: EligibilityEngine, criteria: Criteria) -> None:
    session = Session(engine)
    assert "Back" not in session.last.button_labels, "nothing to go back to yet"
    session.send("1")
    session.press("Back")
    assert session.question_number() == 1
    session.send("4")
    for step_id in ("fe_setting", "students"):
        session.answer(MEETS_ALL[step_id])
    session.press("No")  # observation
    assert session.question_number() == 5
    back = session.send("back")
    assert back.understood and session.question_number() == 4
    session.press("Yes")
    verdict = session.finish(MEETS_ALL)
    assert "You appear to meet all the essential criteria" in verdict, "the changed answers count"
    assert unmet(criteria, verdict) == ""


def test_cancel_and_restart(engine: EligibilityEngine, criteria: Criteria) -> None:
    for cancel in ("Cancel", "cancel", "/cancel", f"{ELIGIBILITY_ACTION_PREFIX}cancel"):
        session = Session(engine)
        session.send("3")
        result = session.answer(cancel)
        assert result.cancelled and not result.finished and result.state is None, cancel
        assert result.reply.text == criteria.messages["cancelled"] and result.reply.buttons == ()
    session = Session(engine)
    session.send("3")
    session.press("Yes")
    assert session.question_number() == 3
    restarted = session.press("Restart")
    assert restarted.understood and session.question_number() == 1
    assert session.last.text.startswith(criteria.messages["restarted"])
    assert "Back" not in session.last.button_labels, "the earlier answers are gone"
    session.send("restart")
    assert session.question_number() == 1
    assert "You appear to meet all the essential criteria" in session.finish(MEETS_ALL)


def test_prefill_from_a_question(engine: EligibilityEngine, criteria: Criteria) -> None:
    question = "I've taught maths for 3 years in an FE college, can I apply?"
    prefill = prefill_from_question(criteria, question, TODAY)
    assert prefill == {"experience": 3.0, "fe_setting": "yes"}
    session = Session(engine, prefill)
    assert "You told me you have taught maths for 3 years, so I've noted that." in session.last.text
    assert "You told me you work in a Further Education setting" in session.last.text
    assert session.question_number() == 3, "the two answered questions are skipped"
    session.press("Back")
    assert session.question_number() == 2, "Back reopens what the question filled in"
    session.press("Yes")
    assert "You appear to meet all the essential criteria" in session.finish(MEETS_ALL)


@pytest.mark.parametrize(
    "question",
    [
        "Do I need 2 years' experience?",
        "Can FE college teachers apply?",
        "I haven't taught maths for 2 years in FE yet",
        "How much does it cost?",
    ],
)
def test_prefill_only_takes_what_the_question_clearly_says(criteria: Criteria, question: str) -> None:
    assert prefill_from_question(criteria, question, TODAY) == {}


def test_prefill_does_not_read_a_school_as_fe(criteria: Criteria) -> None:
    said = prefill_from_question(criteria, "I have taught for 5 years in a school sixth form", TODAY)
    assert said == {"experience": 5.0}


# --- Bad input ----------------------------------------------------------------------------------------------


def test_bad_input_at_every_step_is_re_asked_and_keeps_the_place(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    session = Session(engine)
    while session.state is not None:
        number, step = session.question_number(), criteria.steps[session.question_number() - 1]
        before = json.loads(json.dumps(session.state))
        for bad in BAD_INPUT:
            result = engine.step(session.state, bad)
            assert not result.understood and not result.finished and not result.cancelled, (step.id, bad)
            assert result.state == before, (step.id, bad)
            session.last = result.reply
            assert session.question_number() == number, (step.id, bad)
            if step.kind == "years" and bad in ("200", "-1"):
                assert "Please type a number of years from 0 to 50" in result.reply.text
            else:
                assert result.reply.text.startswith("Sorry, I didn't understand that"), (step.id, bad)
            if step.kind == "choice":
                assert "GCSE resit, Functional Skills, Both, Neither, Not sure" in result.reply.text
            if step.kind == "yes_no":
                assert "Please choose one of: Yes, No, Not sure." in result.reply.text
            assert len(result.reply.text) < 1000, "a 4000-character message is not echoed back"
        session.answer(MEETS_ALL[step.id])
    assert session.result is not None and session.result.finished


@pytest.mark.parametrize("estimate", ["less than 2 years", "nearly two", "2-3 years", "two or three years"])
def test_an_estimate_around_the_line_asks_for_one_number(engine: EligibilityEngine, estimate: str) -> None:
    state, _ = engine.start()
    result = engine.step(state, estimate)
    assert not result.understood and result.state == state
    assert "Please type one number, your best estimate" in result.reply.text


def test_ambiguous_statements_are_asked_again_rather_than_guessed(engine: EligibilityEngine) -> None:
    session = Session(engine)
    session.send("3")
    assert not session.send("What is FE?").understood, "a question naming FE is not a yes"
    session.press("Yes")
    assert not session.send("not GCSE").understood, "a negated choice is not read as that choice"
    assert not session.send("GCSE and A level").understood
    session.press("GCSE resit")
    assert not session.send("I have been observed by my manager").understood, "a statement is not a yes"
    assert session.send("I have never been observed").understood
    assert session.state is not None and session.state["answers"]["observation"] == "no"


@pytest.mark.parametrize(
    ("step_id", "typed", "value"),
    [
        ("subject_leader", "I'm second in department", "yes"),
        ("subject_leader", "just a classroom teacher", "no"),
        ("qts", "I have QTLS", "yes"),
        ("qts", "working towards QTLS", "no"),
        ("observation", "my last obs was graded good", "yes"),
        ("observation", "requires improvement last time", "no"),
        ("additional_status", "I'm a maths SLE", "yes"),
        ("leading_pd", "I've run CPD for my team", "yes"),
    ],
)
def test_statements_about_a_criterion_are_read_as_answers(
    engine: EligibilityEngine, step_id: str, typed: str, value: str
) -> None:
    session = Session(engine)
    while session.current_step() != step_id:
        session.answer(MEETS_ALL[session.current_step()])
    assert session.send(typed).understood, session.last.text
    assert session.state is not None and session.state["answers"][step_id] == value


def test_what_counts_explains_the_question_without_answering_it(
    engine: EligibilityEngine, criteria: Criteria
) -> None:
    session = Session(engine)
    session.send("3")
    before = json.loads(json.dumps(session.state))
    result = session.send("what counts?")
    assert result.understood and session.state == before, "nothing is recorded"
    assert criteria.step("fe_setting").what_counts in result.reply.text
    assert "Question 2 of" in result.reply.text


@pytest.mark.parametrize("hedge", ["probably", "I hope so", "I guess", "it depends"])
def test_a_hedged_answer_is_a_thing_to_check(engine: EligibilityEngine, hedge: str) -> None:
    session = Session(engine)
    session.send("3")
    assert session.send(hedge).understood
    assert session.state is not None and session.state["answers"]["fe_setting"] == "unsure"


# --- Saved state --------------------------------------------------------------------------------------------


def test_state_round_trips_through_json_mid_dialogue(engine: EligibilityEngine) -> None:
    session = Session(engine)
    reference = Session(engine).finish({**MEETS_ALL, "experience": "18 months", "curriculum": "not sure"})
    answers = {**MEETS_ALL, "experience": "18 months", "curriculum": "not sure"}
    while session.state is not None:
        session.state = json.loads(json.dumps(session.state))  # as if the bot restarted before each answer
        session.answer(answers[session.current_step()])
    assert session.last.text == reference


def test_a_saved_dialogue_that_no_longer_fits_is_refused_or_tidied(engine: EligibilityEngine) -> None:
    with pytest.raises(ValueError):
        engine.step({"answers": "saved by a much older version"}, "yes")
    # A step removed from the YAML since, and an answer that no longer fits, are dropped, not fatal.
    old = {
        "answers": {"experience": 4.0, "retired_step": "yes", "fe_setting": "maybe"},
        "asked": [],
        "prefilled": [],
    }
    result = engine.step(old, "yes")
    assert result.understood and result.state is not None
    assert result.state["answers"] == {"experience": 4.0, "fe_setting": "yes"}


# --- Buttons ------------------------------------------------------------------------------------------------


def test_each_question_offers_its_answers_and_controls(engine: EligibilityEngine) -> None:
    session = Session(engine)
    assert session.last.button_labels == ["Not sure", "Cancel"]
    session.send("3")
    assert session.last.button_labels == ["Yes", "No", "Not sure", "Back", "Restart", "Cancel"]
    assert [b.action for b in session.last.buttons] == [
        "elig:yes",
        "elig:no",
        "elig:unsure",
        "elig:back",
        "elig:restart",
        "elig:cancel",
    ]
    session.press("Yes")
    labels = session.last.button_labels
    assert labels[:5] == ["GCSE resit", "Functional Skills", "Both", "Neither", "Not sure"]
    assert session.send("elig:gcse").understood
    assert not session.send("elig:gcse").understood, "a choice action does not answer a yes/no question"


# --- The verdict --------------------------------------------------------------------------------------------


def extreme_answers(criteria: Criteria, pick: Callable[[Any], str]) -> dict[str, str]:
    return {s.id: pick(s) for s in criteria.steps}


@pytest.mark.parametrize(
    "pick",
    [
        lambda step: "0" if step.kind == "years" else "Neither" if step.kind == "choice" else "No",
        lambda step: "Not sure",
    ],
    ids=["every answer fails", "every answer unsure"],
)
def test_even_the_longest_verdict_fits_one_message_and_never_overclaims(
    engine: EligibilityEngine, criteria: Criteria, pick: Callable[[Any], str]
) -> None:
    verdict = Session(engine).finish(extreme_answers(criteria, pick))
    assert_never_overclaims(verdict)
    assert "You appear to meet all the essential criteria" not in verdict


def test_every_failing_essential_criterion_is_named(engine: EligibilityEngine, criteria: Criteria) -> None:
    answers = extreme_answers(
        criteria, lambda step: "0" if step.kind == "years" else "Neither" if step.kind == "choice" else "No"
    )
    missing = unmet(criteria, Session(engine).finish(answers))
    for step in criteria.steps:
        assert (f"• {step.criterion}\n" in missing) == (step.group == "essential"), step.id


# --- The data -----------------------------------------------------------------------------------------------


def test_steps_go_hard_facts_first_then_qualities_desirable_and_commitments(criteria: Criteria) -> None:
    ids = [s.id for s in criteria.steps]
    assert ids[:3] == ["experience", "fe_setting", "students"]
    groups = [s.group for s in criteria.steps]
    assert groups == sorted(groups, key=["essential", "desirable", "commitment"].index)
    assert groups.count("essential") == 9 and groups.count("desirable") == 6
    assert 15 <= len(ids) <= 18


def test_the_diagram_shows_every_step_in_order(criteria: Criteria) -> None:
    diagram = DIAGRAM.read_text(encoding="utf-8")
    positions = [re.search(rf"^\s+(?:\[\*\] --> )?{s.id}\b", diagram, re.M) for s in criteria.steps]
    assert all(positions), [s.id for s, p in zip(criteria.steps, positions, strict=True) if p is None]
    starts = [p.start() for p in positions if p is not None]
    assert starts == sorted(starts)


def test_questions_and_explanations_are_plain_english(criteria: Criteria) -> None:
    for field in ("question", "what_counts"):
        scores = {s.id: textstat.flesch_reading_ease(getattr(s, field)) for s in criteria.steps}
        assert min(scores.values()) >= 25, (field, scores)
        assert sum(scores.values()) / len(scores) >= 60, (field, scores)


def parse(path: Path) -> tuple[Criteria | None, list[str]]:
    problems: list[Problem] = []
    criteria = parse_criteria(
        load_yaml(path, "knowledge/eligibility.yaml"),
        "knowledge/eligibility.yaml",
        problems,
        default_knowledge_dir() / "sources",
    )
    return criteria, [str(p) for p in problems]


def line_of(text: str, fragment: str) -> int:
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_the_shipped_file_parses_cleanly() -> None:
    criteria, problems = parse(YAML)
    assert problems == [] and criteria is not None


def test_broken_criteria_are_reported_by_file_and_line(tmp_path: Path) -> None:
    text = YAML.read_text(encoding="utf-8")
    text = text.replace("    kind: years\n", "    kind: stars\n", 1)
    text = text.replace('    criterion: "Working collaboratively"\n', "", 1)
    text = text.replace(
        'quote: "Ability to work collaboratively with others"', 'quote: "Ability to juggle with others"'
    )
    text = text.replace("    rule: {at_least: 2}\n", "    rule: {at_least: 2}\n    colour: blue\n", 1)
    text = text.replace("rule: {one_of: [gcse, fsq, both]}", "rule: {one_of: [gcse, alevel]}")
    text = text.replace('progress: "Question {number} of {total}"', 'progress: "Question {numbr} of {total}"')
    path = tmp_path / "eligibility.yaml"
    path.write_text(text, encoding="utf-8")
    criteria, problems = parse(path)
    assert criteria is None
    name = "knowledge/eligibility.yaml"
    collaboration = line_of(text, "id: collaboration")
    assert (
        f"{name}:{line_of(text, 'kind: stars')}: unknown answer kind 'stars' (known: choice, years, yes_no)"
        in problems
    )
    assert f"{name}:{collaboration}: missing required field 'criterion'" in problems
    assert (
        f"{name}:{line_of(text, 'juggle')}: quote not found in the source document: 'Ability to juggle with others'"
        in problems
    )
    assert any(
        p.startswith(f"{name}:{line_of(text, 'colour: blue')}: unknown field 'colour'") for p in problems
    )
    assert any(p.startswith(f"{name}:{line_of(text, 'alevel]')}: bad rule: 'one_of'") for p in problems)
    assert f"{name}:{line_of(text, '{numbr}')}: message 'progress' must use {{number}}, {{total}}" in problems


def test_quotes_match_their_source_whatever_the_quote_marks_and_spacing(tmp_path: Path) -> None:
    text = YAML.read_text(encoding="utf-8")
    curly = 'quote: "A minimum of 2 years’ experience teaching maths"'
    assert curly in text
    text = text.replace(curly, 'quote: "A minimum of 2 years\'   experience\\n teaching maths"')
    path = tmp_path / "eligibility.yaml"
    path.write_text(text, encoding="utf-8")
    criteria, problems = parse(path)
    assert problems == [] and criteria is not None


def test_a_file_with_yes_and_no_unquoted_gets_a_hint(tmp_path: Path) -> None:
    text = YAML.read_text(encoding="utf-8").replace('"yes": ["yes", y,', '"yes": [yes, y,', 1)
    path = tmp_path / "eligibility.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = parse(path)
    assert any('write "yes" and "no" in quotes' in p for p in problems)


def test_all_words_come_from_the_yaml(tmp_path: Path) -> None:
    text = YAML.read_text(encoding="utf-8")
    text = text.replace('progress: "Question {number} of {total}"', 'progress: "Cwestiwn {number} o {total}"')
    text = text.replace('  "yes": "Yes"\n', '  "yes": "Ie"\n', 1)
    path = tmp_path / "eligibility.yaml"
    path.write_text(text, encoding="utf-8")
    criteria, problems = parse(path)
    assert problems == [] and criteria is not None
    engine = EligibilityEngine(criteria, lambda: TODAY)
    state, _ = engine.start()
    result = engine.step(state, "3")
    assert "Cwestiwn 2 o 18" in result.reply.text and "Ie" in result.reply.button_labels
    assert engine.step(result.state, "Ie").understood  # type: ignore[arg-type]
