"""Text helpers shared by every layer: normalisation, tokens, quotes, command names, the message limit."""

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

# Telegram's limit for one message (in UTF-16 code units). Answers and the verdict must fit in one; longer
# questions are cut to it before matching or logging.
MESSAGE_LIMIT = 4096


def plain(text: str) -> str:
    """Unicode-normalise, straighten quotes and dashes, drop control characters, collapse spaces."""
    text = unicodedata.normalize("NFKC", text).translate(_PUNCTUATION_MAP)
    text = _CONTROL.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def quote_form(text: str) -> str:
    """How a quote is found in its source: whitespace collapsed, quotes straightened, bullets dropped."""
    return plain(text.replace("•", " "))


def for_quote_check(text: str) -> str:
    """Form used to find an FAQ quote in its source: `quote_form`, lower case."""
    return quote_form(text).lower()


def _academic_year(match: re.Match[str]) -> str:
    first, second = int(match.group(1)), int(match.group(2))
    if second == (first + 1) % 100:
        return f" ay{2000 + first} "
    return match.group(0)


def _lowered(text: str) -> str:
    return plain(text).lower().replace("'", "")


def words(text: str) -> list[str]:
    """Lower-case word tokens; academic years become one token such as `ay2023`; apostrophes vanish."""
    return _WORD.findall(_ACADEMIC_YEAR.sub(_academic_year, _lowered(text)))


def joined_words(text: str) -> str:
    """Lower-case words joined by single spaces (years left as typed); punctuation and emoji dropped."""
    return " ".join(_WORD.findall(_lowered(text)))


def command_name(text: str) -> str | None:
    """`/help@botname more` -> `help`; `/` alone -> ``; None when the text is not a command."""
    stripped = text.strip()
    if not stripped.startswith("/"):
        return None
    if len(stripped) == 1:
        return ""
    return stripped[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()


def is_academic_year(token: str) -> bool:
    """A token such as `ay2023` (see `words`): a specific year, so as telling as a word."""
    return token.startswith("ay") and token[2:].isdigit()


def is_number(token: str) -> bool:
    return token.isdigit() or (token.startswith("ay") and token[2:].isdigit())
