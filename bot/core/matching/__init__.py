"""Question matching: normalise a question, score every entry's phrasings, decide how sure we are."""

from .analyzer import Analyzer
from .rules import Candidate, Match, Matcher, Status, decide

__all__ = ["Analyzer", "Candidate", "Match", "Matcher", "Status", "decide"]
