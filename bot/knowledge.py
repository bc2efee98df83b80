"""The knowledge base: YAML files in `knowledge/` loaded into typed, frozen objects and validated."""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, Literal

from .eligibility import Criteria, parse_criteria
from .textnorm import for_quote_check
from .yamlfile import KnowledgeError, LineDict, LineList, Problem, load_yaml

DEFAULT_KNOWLEDGE_DIR = Path(__file__).resolve().parent.parent / "knowledge"
TELEGRAM_MESSAGE_LIMIT = 4096

EntryKind = Literal["faq", "smalltalk", "not_covered"]
_ID = re.compile(r"^[a-z][a-z0-9_]*$")

# Messages the code sends; each must exist in messages.yaml with exactly these {placeholders}.
REQUIRED_MESSAGES: dict[str, frozenset[str]] = {
    "fallback": frozenset(),
    "suggest_intro": frozenset(),
    "empty_question": frozenset(),
    "related_intro": frozenset(),
    "topics_intro": frozenset(),
    "welcome": frozenset(),
    "help": frozenset(),
    "about": frozenset(),
    "cancelled": frozenset(),
    "unknown_command": frozenset(),
    "button_expired": frozenset(),
    "button_check_again": frozenset(),
    "console_button_hint": frozenset(),
    "console_privacy": frozenset(),
    "button_eligibility": frozenset(),
    "button_topics": frozenset(),
    "ask_prompt": frozenset(),
    "only_text": frozenset(),
    "slow_down": frozenset(),
    "something_went_wrong": frozenset(),
    "inline_open_chat": frozenset(),
    "command_start": frozenset(),
    "command_help": frozenset(),
    "command_eligibility": frozenset(),
    "command_topics": frozenset(),
    "command_about": frozenset(),
    "command_cancel": frozenset(),
    "button_helpful": frozenset(),
    "button_not_helpful": frozenset(),
    "button_ask_person": frozenset(),
    "button_handoff_yes": frozenset(),
    "button_handoff_no": frozenset(),
    "feedback_thanks": frozenset(),
    "handoff_offer": frozenset(),
    "handoff_sent": frozenset(),
    "handoff_declined": frozenset(),
    "handoff_unavailable": frozenset(),
    "handoff_gone": frozenset(),
    "handoff_post": frozenset({"question", "outcome"}),
    "handoff_outcome_answered": frozenset({"entry"}),
    "handoff_outcome_suggest": frozenset(),
    "handoff_outcome_fallback": frozenset(),
    "curator_reply": frozenset({"reply"}),
    "curator_reply_sent": frozenset(),
    "curator_reply_not_handoff": frozenset(),
    "curator_reply_forgotten": frozenset(),
    "curator_reply_blocked": frozenset(),
    "privacy": frozenset({"retention_days"}),
    "forget_done": frozenset(),
    "forget_failed": frozenset(),
    "command_privacy": frozenset(),
    "command_forget": frozenset(),
    "admin_stats": frozenset(
        {"questions", "answered", "answer_rate", "unsure", "unanswered", "helpful", "not_helpful"}
    ),
    "log_unavailable": frozenset(),
    "reload_done": frozenset({"entries"}),
    "reload_failed": frozenset({"count", "problems"}),
    "weekly_report_intro": frozenset(),
}


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
        """The text as quotes are looked up in it (see textnorm.for_quote_check), computed once."""
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


class _Reader:
    """Collects problems while reading one file, so a bad file reports everything at once."""

    def __init__(self, name: str, problems: list[Problem]) -> None:
        self.name = name
        self.problems = problems

    def problem(self, line: int, message: str) -> None:
        self.problems.append(Problem(self.name, line, message))

    def mapping(self, value: Any, line: int, what: str) -> LineDict | None:
        if not isinstance(value, LineDict):
            self.problem(line, f"{what} must be a mapping")
            return None
        return value

    def text(self, data: LineDict, key: str, *, required: bool = True) -> str | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem(data.line, f"missing required field '{key}'")
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(data.line_of(key), f"'{key}' must be non-empty text")
            return None
        return value.strip()

    def text_list(self, data: LineDict, key: str) -> tuple[str, ...]:
        value = data.get(key)
        if value is None:
            return ()
        if not isinstance(value, LineList) or not all(isinstance(v, str) and v.strip() for v in value):
            self.problem(data.line_of(key), f"'{key}' must be a list of non-empty text")
            return ()
        return tuple(v.strip() for v in value)

    def unknown_keys(self, data: LineDict, allowed: set[str]) -> None:
        for key in data:
            if key not in allowed:
                self.problem(
                    data.line_of(key), f"unknown field '{key}' (allowed: {', '.join(sorted(allowed))})"
                )

    def items(self, data: Any, key: str, line: int) -> list[tuple[Any, int]]:
        """The items of a top-level list, each with its line."""
        doc = self.mapping(data, line, "the file")
        if doc is None:
            return []
        value = doc.get(key)
        if not isinstance(value, LineList):
            self.problem(doc.line_of(key), f"'{key}' must be a list")
            return []
        return list(zip(value, value.item_lines, strict=True))


_ENTRY_FIELDS = {
    "faq": {"id", "topic", "question", "alternates", "answer", "related", "source", "date_bound", "offer"}
}
_ENTRY_FIELDS["smalltalk"] = {"id", "question", "alternates", "answer", "related"}
_ENTRY_FIELDS["not_covered"] = {"id", "question", "alternates", "answer", "related"}
_OFFERS = {"eligibility"}


_BULLET = re.compile(r"^\s*[•*-]\s+")


def unwrap(text: str) -> str:
    """Join soft-wrapped lines into paragraphs; keep blank lines and bullet lines as breaks."""
    paragraphs = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines: list[str] = []
        for raw in block.splitlines():
            line = raw.strip()
            if lines and not _BULLET.match(line):  # a wrapped line continues its sentence or bullet
                lines[-1] = f"{lines[-1]} {line}"
            else:
                lines.append(line)
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def _read_entry(reader: _Reader, raw: Any, line: int, kind: EntryKind) -> Entry | None:
    data = reader.mapping(raw, line, "an entry")
    if data is None:
        return None
    reader.unknown_keys(data, _ENTRY_FIELDS[kind])
    entry_id = reader.text(data, "id")
    question = reader.text(data, "question")
    answer = reader.text(data, "answer")
    answer = unwrap(answer) if answer is not None else None
    alternates = reader.text_list(data, "alternates")
    related = reader.text_list(data, "related")
    if entry_id is not None and not _ID.match(entry_id):
        reader.problem(data.line_of("id"), f"id '{entry_id}' must be snake_case (a-z, 0-9, _)")
    if answer is not None and len(answer) > TELEGRAM_MESSAGE_LIMIT:
        reader.problem(
            data.line_of("answer"),
            f"answer is {len(answer)} characters; Telegram allows {TELEGRAM_MESSAGE_LIMIT}",
        )
    topic = source = offer = None
    date_bound = False
    if kind == "faq":
        topic = reader.text(data, "topic")
        source = _read_source_ref(reader, data)
        date_bound_value = data.get("date_bound", False)
        if not isinstance(date_bound_value, bool):
            reader.problem(data.line_of("date_bound"), "'date_bound' must be true or false")
        else:
            date_bound = date_bound_value
        offer = reader.text(data, "offer", required=False)
        if offer is not None and offer not in _OFFERS:
            reader.problem(
                data.line_of("offer"), f"unknown offer '{offer}' (known: {', '.join(sorted(_OFFERS))})"
            )
    if entry_id is None or question is None or answer is None:
        return None
    return Entry(
        id=entry_id,
        kind=kind,
        question=question,
        alternates=alternates,
        answer=answer,
        topic=topic,
        related=related,
        source=source,
        date_bound=date_bound,
        offer=offer,
        file=reader.name,
        line=data.line,
    )


def _read_source_ref(reader: _Reader, data: LineDict) -> SourceRef | None:
    if "source" not in data:
        reader.problem(data.line, "missing required field 'source'")
        return None
    raw = reader.mapping(data["source"], data.line_of("source"), "'source'")
    if raw is None:
        return None
    reader.unknown_keys(raw, {"file", "section", "quote"})
    file, section, quote = reader.text(raw, "file"), reader.text(raw, "section"), reader.text(raw, "quote")
    if file is None or section is None or quote is None:
        return None
    return SourceRef(file=file, section=section, quote=quote)


def _read_sources(reader: _Reader, data: Any, directory: Path) -> dict[str, Source]:
    sources: dict[str, Source] = {}
    for raw, line in reader.items(data, "sources", 1):
        item = reader.mapping(raw, line, "a source")
        if item is None:
            continue
        reader.unknown_keys(item, {"file", "title", "speaks_for", "valid_until", "stale_note"})
        file, title = reader.text(item, "file"), reader.text(item, "title")
        speaks_for, stale_note = reader.text(item, "speaks_for"), reader.text(item, "stale_note")
        valid_until = item.get("valid_until")
        if not isinstance(valid_until, date):
            reader.problem(item.line_of("valid_until"), "'valid_until' must be a date (YYYY-MM-DD)")
            continue
        if file is None or title is None or speaks_for is None or stale_note is None:
            continue
        try:
            text = (directory / "sources" / file).read_text(encoding="utf-8")
        except OSError:
            reader.problem(item.line_of("file"), f"source document 'sources/{file}' not found")
            continue
        sources[file] = Source(file, title, speaks_for, valid_until, stale_note, text)
    return sources


def _word_list(reader: _Reader, doc: LineDict, key: str) -> frozenset[str]:
    words = doc.get(key, [])
    if not isinstance(words, LineList) or not all(isinstance(w, str) for w in words):
        reader.problem(doc.line_of(key), f"'{key}' must be a list of words (quote yes, no, on and off)")
        return frozenset()
    return frozenset(w.lower() for w in words)


def _read_synonyms(
    reader: _Reader, data: Any
) -> tuple[dict[str, tuple[str, ...]], frozenset[str], frozenset[str], frozenset[str]]:
    doc = reader.mapping(data, 1, "the file")
    if doc is None:
        return {}, frozenset(), frozenset(), frozenset()
    reader.unknown_keys(doc, {"synonyms", "stopwords", "weak_words", "numbered_names"})
    synonyms: dict[str, tuple[str, ...]] = {}
    seen_variant: dict[str, str] = {}
    raw = doc.get("synonyms")
    if not isinstance(raw, LineDict):
        reader.problem(doc.line_of("synonyms"), "'synonyms' must be a mapping of canonical word to variants")
    else:
        for canonical, variants in raw.items():
            line = raw.line_of(canonical)
            if not isinstance(variants, LineList) or not all(
                isinstance(v, str) and v.strip() for v in variants
            ):
                reader.problem(line, f"synonyms of '{canonical}' must be a list of text")
                continue
            cleaned = tuple(v.strip().lower() for v in variants)
            for variant in cleaned:
                if variant in seen_variant and seen_variant[variant] != canonical:
                    reader.problem(
                        line, f"'{variant}' is listed under both '{seen_variant[variant]}' and '{canonical}'"
                    )
                seen_variant[variant] = canonical
            synonyms[canonical.lower()] = cleaned
    return (
        synonyms,
        _word_list(reader, doc, "stopwords"),
        _word_list(reader, doc, "weak_words"),
        _word_list(reader, doc, "numbered_names"),
    )


def _read_messages(reader: _Reader, data: Any) -> dict[str, str]:
    doc = reader.mapping(data, 1, "the file")
    if doc is None:
        return {}
    messages: dict[str, str] = {}
    for key, value in doc.items():
        line = doc.line_of(key)
        if not isinstance(value, str) or not value.strip():
            reader.problem(line, f"message '{key}' must be non-empty text")
            continue
        try:
            placeholders = {name for _, name, _, _ in string.Formatter().parse(value) if name}
        except ValueError as exc:
            reader.problem(line, f"message '{key}' has a broken {{placeholder}}: {exc}")
            continue
        expected = REQUIRED_MESSAGES.get(key)
        if expected is not None and placeholders != expected:
            want = ", ".join(f"{{{p}}}" for p in sorted(expected)) or "no placeholders"
            reader.problem(line, f"message '{key}' must use {want}")
        messages[key] = value.strip()
    for key in REQUIRED_MESSAGES:
        if key not in doc:
            reader.problem(doc.line, f"missing message '{key}'")
    return messages


def _read_matcher_config(reader: _Reader, data: Any) -> MatcherConfig | None:
    doc = reader.mapping(data, 1, "the file")
    if doc is None:
        return None
    names = {f.name: f.type for f in fields(MatcherConfig)}
    reader.unknown_keys(doc, set(names))
    values: dict[str, Any] = {}
    for name, type_name in names.items():
        value = doc.get(name)
        if value is None:
            reader.problem(doc.line, f"missing setting '{name}'")
            continue
        want_int = type_name == "int"
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (want_int and not isinstance(value, int))
        ):
            reader.problem(
                doc.line_of(name), f"'{name}' must be {'a whole number' if want_int else 'a number'}"
            )
            continue
        values[name] = value
    if len(values) != len(names):
        return None
    return MatcherConfig(**values)


def _check_cross_references(
    problems: list[Problem], entries: list[Entry], topics: dict[str, Topic], sources: dict[str, Source]
) -> None:
    by_id: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in by_id:
            first = by_id[entry.id]
            problems.append(
                Problem(
                    entry.file, entry.line, f"duplicate id '{entry.id}' (first at {first.file}:{first.line})"
                )
            )
        else:
            by_id[entry.id] = entry
    for entry in entries:
        for related in entry.related:
            if related not in by_id:
                problems.append(
                    Problem(entry.file, entry.line, f"entry '{entry.id}' relates to unknown id '{related}'")
                )
            elif related == entry.id:
                problems.append(
                    Problem(entry.file, entry.line, f"entry '{entry.id}' lists itself as related")
                )
        if entry.kind == "faq" and entry.topic not in topics:
            problems.append(
                Problem(entry.file, entry.line, f"entry '{entry.id}' has unknown topic '{entry.topic}'")
            )
        if entry.source is not None:
            source = sources.get(entry.source.file)
            if source is None:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"entry '{entry.id}' cites unknown source '{entry.source.file}'",
                    )
                )
                continue
            if for_quote_check(entry.source.quote) not in source.searchable:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"entry '{entry.id}': quote not found in {entry.source.file}: {entry.source.quote!r}",
                    )
                )
            if for_quote_check(entry.source.section) not in source.searchable:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"entry '{entry.id}': section {entry.source.section!r} not found in {entry.source.file}",
                    )
                )
            longest = len(entry.answer) + 2 + len(source.stale_note)
            if entry.date_bound and longest > TELEGRAM_MESSAGE_LIMIT:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"answer with its as-of note is {longest} characters; Telegram allows {TELEGRAM_MESSAGE_LIMIT}",
                    )
                )


EligibilityParser = Callable[[Any, str, list[Problem]], Any]


def load_knowledge(directory: Path = DEFAULT_KNOWLEDGE_DIR) -> Knowledge:
    """Load and validate every knowledge file; raise KnowledgeError listing all problems found."""
    problems: list[Problem] = []

    def read(file: str) -> tuple[_Reader, Any]:
        reader = _Reader(f"knowledge/{file}", problems)
        try:
            return reader, load_yaml(directory / file, reader.name)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            return reader, None

    def present(reader_and_data: tuple[_Reader, Any]) -> bool:
        return reader_and_data[1] is not None

    sources: dict[str, Source] = {}
    if present(loaded := read("sources.yaml")):
        sources = _read_sources(*loaded, directory)

    topics: dict[str, Topic] = {}
    entries: list[Entry] = []
    if present(loaded := read("faq.yaml")):
        reader, data = loaded
        for raw, line in reader.items(data, "topics", 1):
            item = reader.mapping(raw, line, "a topic")
            if item is None:
                continue
            reader.unknown_keys(item, {"id", "title"})
            topic_id, title = reader.text(item, "id"), reader.text(item, "title")
            if topic_id is not None and title is not None:
                if topic_id in topics:
                    reader.problem(item.line, f"duplicate topic id '{topic_id}'")
                topics[topic_id] = Topic(topic_id, title)
        entries += [
            e
            for raw, line in reader.items(data, "entries", 1)
            if (e := _read_entry(reader, raw, line, "faq"))
        ]
    for file, kind in (("smalltalk.yaml", "smalltalk"), ("not_covered.yaml", "not_covered")):
        if present(loaded := read(file)):
            reader, data = loaded
            entries += [
                e
                for raw, line in reader.items(data, "entries", 1)
                if (e := _read_entry(reader, raw, line, kind))  # type: ignore[arg-type]
            ]

    synonyms: dict[str, tuple[str, ...]] = {}
    stopwords: frozenset[str] = frozenset()
    weak_words: frozenset[str] = frozenset()
    numbered_names: frozenset[str] = frozenset()
    if present(loaded := read("synonyms.yaml")):
        synonyms, stopwords, weak_words, numbered_names = _read_synonyms(*loaded)
    messages: dict[str, str] = {}
    if present(loaded := read("messages.yaml")):
        messages = _read_messages(*loaded)
    matcher_config = None
    if present(loaded := read("matcher.yaml")):
        matcher_config = _read_matcher_config(*loaded)

    start_menu: list[MenuItem] = []
    menu_lines: list[tuple[_Reader, int]] = []
    if present(loaded := read("menu.yaml")):
        reader, data = loaded
        for raw, line in reader.items(data, "start_menu", 1):
            item = reader.mapping(raw, line, "a menu item")
            if item is None:
                continue
            reader.unknown_keys(item, {"label", "action"})
            label, action = reader.text(item, "label"), reader.text(item, "action")
            if label is not None and action is not None:
                start_menu.append(MenuItem(label, action))
                menu_lines.append((reader, item.line_of("action")))

    eligibility = None
    if present(loaded := read("eligibility.yaml")):
        reader, data = loaded
        eligibility = parse_criteria(data, reader.name, problems, directory / "sources")

    _check_cross_references(problems, entries, topics, sources)
    known_ids = {e.id for e in entries if e.kind == "faq"}
    for menu_item, (reader, line) in zip(start_menu, menu_lines, strict=True):
        kind, _, target = menu_item.action.partition(":")
        valid = (
            (kind in {"eligibility", "topics", "ask"} and not target)
            or (kind == "topic" and target in topics)
            or (kind == "faq" and target in known_ids)
        )
        if not valid:
            reader.problem(line, f"menu action '{menu_item.action}' is not a known action, topic or entry")
    if problems or matcher_config is None or eligibility is None:
        raise KnowledgeError(problems or [Problem("knowledge/matcher.yaml", 0, "matcher settings missing")])

    return Knowledge(
        entries=tuple(entries),
        topics=tuple(topics.values()),
        synonyms=synonyms,
        stopwords=stopwords,
        weak_words=weak_words,
        numbered_names=numbered_names,
        messages=messages,
        matcher=matcher_config,
        sources=sources,
        start_menu=tuple(start_menu),
        eligibility=eligibility,
        by_id={e.id: e for e in entries},
    )
