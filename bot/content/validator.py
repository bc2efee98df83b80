"""The one validator every content file is read with: it collects problems instead of stopping at the first.

A reader walks a file already parsed by `yamlfile.load_yaml` (mappings and lists that know their lines) and
records each problem as `file:line: message`, so a bad knowledge base reports everything wrong at once.
"""

from __future__ import annotations

import re
import string
from typing import Any

from ..core.problems import Problem
from ..core.text import joined_words
from .yamlfile import LineDict, LineList

# Ids of entries, topics, steps and choice values: they end up in button payloads (`faq:<id>`).
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")


class Reader:
    """Reads one file's values, appending every problem found to a shared list."""

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

    def unknown_keys(self, data: LineDict, allowed: set[str] | frozenset[str], what: str = "field") -> None:
        for key in data:
            if key not in allowed:
                hint = " (quote yes and no)" if key in ("True", "False") else ""
                self.problem(
                    data.line_of(key), f"unknown {what} '{key}'{hint} (allowed: {', '.join(sorted(allowed))})"
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

    def phrases(self, value: Any, line: int, what: str) -> tuple[str, ...]:
        """A list of words or phrases, each normalised as typed text is."""
        if not isinstance(value, LineList) or not value:
            self.problem(line, f"{what} must be a non-empty list of words")
            return ()
        found: list[str] = []
        for item, item_line in zip(value, value.item_lines, strict=True):
            if isinstance(item, bool):
                self.problem(
                    item_line, f'{what}: write "yes" and "no" in quotes, or YAML reads them as true/false'
                )
            elif not isinstance(item, str) or not joined_words(item):
                self.problem(item_line, f"{what}: {item!r} is not a word or phrase")
            else:
                found.append(joined_words(item))
        return tuple(found)

    def placeholders(
        self, text: str, line: int, what: str, allowed: frozenset[str] | None, *, exact: bool
    ) -> bool:
        """Check a text's {placeholders}: exactly (or at most) `allowed`; None checks only that they parse.

        False (with a problem) when a placeholder is broken, so the text cannot be used.
        """
        try:
            used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            self.problem(line, f"{what} has a broken {{placeholder}}: {exc}")
            return False
        if allowed is not None and ((used != allowed) if exact else not used <= allowed):
            want = ", ".join(f"{{{p}}}" for p in sorted(allowed)) or "no placeholders"
            self.problem(line, f"{what} must use {want}" if exact else f"{what} may only use {want}")
        return True
