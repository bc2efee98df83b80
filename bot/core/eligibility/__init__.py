"""The eligibility self-check: model, understanding typed answers, the engine (a state machine), the verdict."""

from .engine import EligibilityEngine, StepResult
from .model import UNSURE, Choice, Criteria, DialogueState, Step
from .understanding import parse_years, prefill_from_question

__all__ = [
    "UNSURE",
    "Choice",
    "Criteria",
    "DialogueState",
    "EligibilityEngine",
    "Step",
    "StepResult",
    "parse_years",
    "prefill_from_question",
]
