"""Text normalisation shared by the matcher and the knowledge validator."""

from __future__ import annotations

import re
import unicodedata

_PUNCTUATION_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "`": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2012": "-",
        "\u2212": "-",
        "\u00a0": " ",
    }
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
# Academic years in any common spelling: 2023/24, 2023-24, 23/24, 2023/2024, "2023 to 2024".
_ACADEMIC_YEAR = re.compile(r"\b(?:20)?(\d\d)\s*(?:/|-|to)\s*(?:20)?(\d\d)\b")
_WORD = re.compile(r"[a-z0-9]+")


def plain(text: str) -> str:
    """Unicode-normalise, straighten quotes and dashes, drop control characters, collapse spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION_MAP)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def for_quote_check(text: str) -> str:
    """Form used to find a quote in its source: plain, lower case, no bullet marks."""
    return plain(text.replace("•", " ")).lower()


def _academic_year(match: re.Match[str]) -> str:
    first, second = int(match.group(1)), int(match.group(2))
    if second == (first + 1) % 100:
        return f" ay{2000 + first} "
    return match.group(0)


def words(text: str) -> list[str]:
    """Lower-case word tokens; academic years become one token such as `ay2023`; apostrophes vanish."""
    text = plain(text).lower().replace("'", "")
    text = _ACADEMIC_YEAR.sub(_academic_year, text)
    return _WORD.findall(text)


def is_academic_year(token: str) -> bool:
    """A token such as `ay2023` (see `words`): a specific year, so as telling as a word."""
    return token.startswith("ay") and token[2:].isdigit()


def is_number(token: str) -> bool:
    return token.isdigit() or (token.startswith("ay") and token[2:].isdigit())
