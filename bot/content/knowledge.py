"""Loading the knowledge base: knowledge/*.yaml read, validated and built into the core's frozen objects."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date
from pathlib import Path
from typing import Any

from ..core.answers import Answerer, Clock
from ..core.knowledge import Entry, EntryKind, Knowledge, MatcherConfig, MenuItem, Source, SourceRef, Topic
from ..core.matching import Matcher
from ..core.problems import KnowledgeError, Problem
from ..core.text import MESSAGE_LIMIT, for_quote_check
from .eligibility import parse_criteria
from .locate import default_knowledge_dir
from .validator import ID_PATTERN, Reader
from .yamlfile import LineDict, LineList, load_yaml

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


def _read_entry(reader: Reader, raw: Any, line: int, kind: EntryKind) -> Entry | None:
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
    if entry_id is not None and not ID_PATTERN.match(entry_id):
        reader.problem(data.line_of("id"), f"id '{entry_id}' must be snake_case (a-z, 0-9, _)")
    if answer is not None and len(answer) > MESSAGE_LIMIT:
        reader.problem(
            data.line_of("answer"),
            f"answer is {len(answer)} characters; Telegram allows {MESSAGE_LIMIT}",
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


def _read_source_ref(reader: Reader, data: LineDict) -> SourceRef | None:
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


def _read_sources(reader: Reader, data: Any, directory: Path) -> dict[str, Source]:
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


def _word_list(reader: Reader, doc: LineDict, key: str) -> frozenset[str]:
    words = doc.get(key, [])
    if not isinstance(words, LineList) or not all(isinstance(w, str) for w in words):
        reader.problem(doc.line_of(key), f"'{key}' must be a list of words (quote yes, no, on and off)")
        return frozenset()
    return frozenset(w.lower() for w in words)


def _read_synonyms(
    reader: Reader, data: Any
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


def _read_messages(reader: Reader, data: Any) -> dict[str, str]:
    doc = reader.mapping(data, 1, "the file")
    if doc is None:
        return {}
    messages: dict[str, str] = {}
    for key, value in doc.items():
        line = doc.line_of(key)
        if not isinstance(value, str) or not value.strip():
            reader.problem(line, f"message '{key}' must be non-empty text")
            continue
        if not reader.placeholders(value, line, f"message '{key}'", REQUIRED_MESSAGES.get(key), exact=True):
            continue
        messages[key] = value.strip()
    for key in REQUIRED_MESSAGES:
        if key not in doc:
            reader.problem(doc.line, f"missing message '{key}'")
    return messages


def _read_matcher_config(reader: Reader, data: Any) -> MatcherConfig | None:
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
            if entry.date_bound and longest > MESSAGE_LIMIT:
                problems.append(
                    Problem(
                        entry.file,
                        entry.line,
                        f"answer with its as-of note is {longest} characters; Telegram allows {MESSAGE_LIMIT}",
                    )
                )


def load_knowledge(directory: Path | None = None) -> Knowledge:
    """Load and validate every knowledge file; raise KnowledgeError listing all problems found."""
    directory = default_knowledge_dir() if directory is None else directory
    problems: list[Problem] = []

    def read(file: str) -> tuple[Reader, Any]:
        reader = Reader(f"knowledge/{file}", problems)
        try:
            return reader, load_yaml(directory / file, reader.name)
        except KnowledgeError as exc:
            problems.extend(exc.problems)
            return reader, None

    def present(reader_and_data: tuple[Reader, Any]) -> bool:
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
    menu_lines: list[tuple[Reader, int]] = []
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


def load_answerer(directory: Path | None = None, today: Clock = date.today) -> Answerer:
    """Load, validate and index the knowledge base; raise KnowledgeError with every problem found."""
    knowledge = load_knowledge(directory)
    matcher = Matcher(knowledge)
    problems = matcher.indistinguishable_phrasings()
    if problems:
        raise KnowledgeError(problems)
    return Answerer(knowledge, matcher, today)
