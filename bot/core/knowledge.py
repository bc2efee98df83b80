"""The knowledge base as the core sees it: frozen, typed objects built once by bot.content at start-up."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from .eligibility.model import Criteria
from .text import for_quote_check

EntryKind = Literal["faq", "smalltalk", "not_covered"]


@dataclass(frozen=True)
class Source:
    """A programme document, with the date its facts speak for."""

    file: str
    title: str
    speaks_for: str
    valid_until: date
    stale_note: str
    text: str

    @functools.cached_property
    def searchable(self) -> str:
        """The text as quotes are looked up in it (see text.for_quote_check), computed once."""
        return for_quote_check(self.text)


@dataclass(frozen=True)
class SourceRef:
    file: str
    section: str
    quote: str


@dataclass(frozen=True)
class Entry:
    """One answerable question: a FAQ, a piece of small talk, or an honest 'the documents do not say'."""

    id: str
    kind: EntryKind
    question: str
    alternates: tuple[str, ...]
    answer: str
    topic: str | None = None
    related: tuple[str, ...] = ()
    source: SourceRef | None = None
    date_bound: bool = False
    offer: str | None = None
    file: str = ""
    line: int = 0

    @property
    def phrasings(self) -> tuple[str, ...]:
        return (self.question, *self.alternates)


@dataclass(frozen=True)
class Topic:
    id: str
    title: str


@dataclass(frozen=True)
class MatcherConfig:
    """Matcher weights and decision thresholds (knowledge/matcher.yaml); tuned on the question sets."""

    answer_threshold: float
    answer_margin: float
    suggest_threshold: float
    max_suggestions: int
    weight_phrasing: float
    weight_coverage: float
    weight_fuzzy: float
    answer_text_weight: float
    unknown_word_weight: float
    number_weight: float
    number_conflict_penalty: float
    academic_year_conflict_penalty: float
    weak_word_weight: float
    typo_min_length: int
    typo_score_cutoff: float
    similar_phrasing_cutoff: float
    literal_match_cutoff: float
    one_word_max_entries: int
    whole_gap_lead: float


@dataclass(frozen=True)
class MenuItem:
    label: str
    action: str


@dataclass(frozen=True)
class Knowledge:
    entries: tuple[Entry, ...]
    topics: tuple[Topic, ...]
    synonyms: Mapping[str, tuple[str, ...]]
    stopwords: frozenset[str]
    weak_words: frozenset[str]
    numbered_names: frozenset[str]  # words whose number names a different thing: cohort 1, cohort 2
    messages: Mapping[str, str]
    matcher: MatcherConfig
    sources: Mapping[str, Source]
    eligibility: Criteria
    start_menu: tuple[MenuItem, ...] = ()
    by_id: Mapping[str, Entry] = field(default_factory=dict)

    @property
    def faq_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "faq")

    def entries_in_topic(self, topic_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.faq_entries if e.topic == topic_id)

    def is_stale(self, entry: Entry, today: date) -> bool:
        if not entry.date_bound or entry.source is None:
            return False
        return today > self.sources[entry.source.file].valid_until

    def stale_note(self, entry: Entry, today: date) -> str:
        """The as-of note for a date-bound answer whose source's date has passed; else empty."""
        if entry.source is None or not self.is_stale(entry, today):
            return ""
        return self.sources[entry.source.file].stale_note

    def answer_text(self, entry: Entry, today: date) -> str:
        """The answer as the user reads it, with the as-of note once its source's date has passed."""
        note = self.stale_note(entry, today)
        return f"{entry.answer}\n\n{note}" if note else entry.answer
