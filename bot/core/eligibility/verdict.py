"""The verdict at the end of the self-check: what is met, what is not and why, what to check, next steps."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .model import UNSURE, Criteria, Step


def describe(criteria: Criteria, step: Step, value: Any) -> str:
    """An answer as the user would recognise it: a button label, a choice, or "1.5 years"."""
    if value == UNSURE or value in ("yes", "no"):
        return criteria.buttons[str(value)]
    if step.kind == "years":
        years = float(value)
        template = criteria.messages["years_answer_one" if years == 1 else "years_answer"]
        return template.format(years=f"{years:g}")
    return next((c.label for c in step.choices if c.value == value), str(value))


def verdict_text(criteria: Criteria, answers: Mapping[str, Any]) -> str:
    m = criteria.messages
    steps = criteria.steps
    essential = [s for s in steps if s.group == "essential"]
    unmet = [s for s in essential if s.is_met(answers.get(s.id)) is False]
    unsure = [s for s in steps if answers.get(s.id) == UNSURE]
    parts = [m["verdict_heading"]]
    if unmet:
        items = [
            m["unmet_item"].format(
                criterion=s.criterion,
                asks=s.asks,
                answer=describe(criteria, s, answers[s.id]),
                advice=s.advice,
            )
            for s in unmet
        ]
        parts.append("\n".join([m["unmet_heading"].format(count=len(unmet), total=len(essential)), *items]))
    elif any(s.group == "essential" for s in unsure):
        met = sum(1 for s in essential if s.is_met(answers.get(s.id)))
        parts.append(m["some_essential_unsure"].format(met=met, total=len(essential)))
    else:
        parts.append(m["all_essential_met"])
    if unsure:
        items = [m["unsure_item"].format(criterion=s.criterion, what_counts=s.what_counts) for s in unsure]
        parts.append("\n".join([m["unsure_heading"], *items]))
    commitments = [s for s in steps if s.group == "commitment" and s.is_met(answers.get(s.id)) is False]
    if commitments:
        items = [m["commitment_item"].format(criterion=s.criterion, advice=s.advice) for s in commitments]
        parts.append("\n".join([m["commitments_heading"], *items]))
    desirable = [s for s in steps if s.group == "desirable"]
    if desirable:
        met_desirable = sum(1 for s in desirable if s.is_met(answers.get(s.id)))
        text = m["desirable_count"].format(met=met_desirable, total=len(desirable))
        missing = [s.advice for s in desirable if s.is_met(answers.get(s.id)) is False]
        if missing:
            text += " " + m["desirable_missing"].format(missing="; ".join(missing))
        parts.append(text)
    parts.append(m["next_steps"])
    return "\n\n".join(parts)


def longest_verdict(criteria: Criteria) -> int:
    """An upper bound on the verdict's length: each step's wordiest answer, plus every heading."""
    passing: dict[str, Any] = {
        s.id: s.min_years if s.kind == "years" else s.passing[0] for s in criteria.steps
    }
    wordiest = dict(passing)
    for step in criteria.steps:
        if step.kind == "years":
            failing: list[Any] = [round(step.min_years - 0.01, 2)] if step.min_years > 0 else []
        elif step.kind == "yes_no":
            failing = [v for v in ("yes", "no") if v not in step.passing]
        else:
            failing = [c.value for c in step.choices if c.value not in step.passing]
        wordiest[step.id] = max(
            [passing[step.id], UNSURE, *failing],
            key=lambda v: len(verdict_text(criteria, {**passing, step.id: v})),
        )
    m = criteria.messages
    headings = (
        "unmet_heading",
        "some_essential_unsure",
        "unsure_heading",
        "commitments_heading",
        "desirable_missing",
    )
    return len(verdict_text(criteria, wordiest)) + sum(len(m[h]) + 8 for h in headings)
