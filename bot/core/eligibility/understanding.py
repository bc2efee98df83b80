"""Reading a typed answer: years ("18 months", "since 2019"), yes or no, a choice; and answers a question states.

English grammar the parser needs lives here, not curated content: the answers themselves are in the YAML.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from ..text import joined_words, plain
from .model import MAX_YEARS, UNSURE, Criteria, Step

MAX_ANSWER_CHARS = 500  # longer text is never read as an answer


def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_NEGATIONS = _wordset(
    "not no never none nor neither nothing dont doesnt didnt havent hasnt hadnt isnt arent wasnt werent "
    "cant cannot couldnt wont wouldnt shouldnt aint"
)
_PRONOUNS = _wordset("i im ive id ill my me we were weve our they theyd theyre theyve it its")
_FIRST_PERSON = _wordset("i im ive id ill my me myself")
_QUESTION_WORDS = _wordset("how what when where why who which is are do does did can could should will would")
_RULE_WORDS = _wordset("need needs require required requirement requirements minimum least must")
_UNITS = _wordset("year years yr yrs month months mth mths")
_NUMBER_WORDS = {
    "zero": 0, "none": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20,
    "thirty": 30, "forty": 40, "fifty": 50,
}  # fmt: skip
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTHS = {m: n for n, m in enumerate(_MONTH_NAMES, start=1)}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True)) + r")\b")
_COMPOUND = re.compile(r"\b(twenty|thirty|forty)[ -](one|two|three|four|five|six|seven|eight|nine)\b")
_HALF = r"\s+and\s+a\s+half"
_COMPONENT = re.compile(
    rf"\b(?P<num>\d+(?:\.\d+)?|an?(?=\s))(?P<half>{_HALF})?\s*(?P<unit>years?|yrs?|y|months?|mths?)\b(?P<half2>{_HALF})?"
)
_SINCE = re.compile(
    r"\b(?:since|started|start|began|from)\b(?:\s+[a-z]+){0,4}?\s+"
    r"(?:(?P<month>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+)?(?P<year>(?:19|20)\d\d)\b"
)
_ESTIMATE = re.compile(
    r"\b(?:less than|fewer than|under|nearly|almost|not quite|just under|below|not even)\s+(?:\d|an?\s+(?:year|month))"
    r"|\d\s*(?:-|to|or)\s*\d"
)
_NEGATIVE = re.compile(r"(?:^|\s)-\s*\d")
_FILLER = re.compile(
    r"\b(?:just over|over|more than|at least|or more|plus|about|around|roughly|approximately|approx|just|"
    r"i think|maybe|probably|i have|ive)\b"
)
_BARE = re.compile(rf"(?P<num>\d+(?:\.\d+)?)(?P<half>{_HALF})?(?:\s*ish)?")


def has_phrase(words: str, phrase: str) -> bool:
    return f" {phrase} " in f" {words} "


def is_question(text: str) -> bool:
    """A question put instead of an answer ("is it free?"); short replies such as "yes?" are answers."""
    tokens = joined_words(text).split()
    asks = bool(tokens) and tokens[0] in _QUESTION_WORDS
    return ("?" in text and (asks or len(tokens) > 3)) or (asks and len(tokens) > 3)


def _clean_years_text(text: str) -> str:
    text = plain(text.replace("½", " and a half")).lower().replace("'", "")
    text = re.sub(r"(\d)\s*1/2\b", r"\1 and a half", text)
    text = re.sub(r"[^a-z0-9.\- ]+", " ", text)
    text = _COMPOUND.sub(lambda m: str(_NUMBER_WORDS[m[1]] + _NUMBER_WORDS[m[2]]), text)
    text = _NUMBER_WORD.sub(lambda m: str(_NUMBER_WORDS[m[1]]), text)
    text = re.sub(r"\ba couple of\b", "2", text)
    text = re.sub(r"\bhalf an? year\b", "6 months", text)
    return re.sub(r"\s+", " ", text).strip(" .")


def read_years(text: str, today: date) -> tuple[float | None, bool]:
    """(years, False) when the text says how long; (None, True) for an estimate such as "under 2" or "2-3"."""
    cleaned = _clean_years_text(text)
    cleaned = re.sub(r"\s+", " ", _FILLER.sub(" ", cleaned)).strip()  # "over 5 years", "2 or more"
    since = _SINCE.search(cleaned)
    if since:
        months = (today.year - int(since["year"])) * 12
        if since["month"]:
            months += today.month - _MONTHS[since["month"]]
        return round(months / 12, 2), False
    if _ESTIMATE.search(cleaned):
        return None, True
    if _NEGATIVE.search(cleaned):
        return -1.0, False
    total, found = 0.0, False
    for part in _COMPONENT.finditer(cleaned):
        number = 1.0 if part["num"] in ("a", "an") else float(part["num"])
        number += 0.5 if part["half"] or part["half2"] else 0.0
        total += number / 12 if part["unit"].startswith("m") else number
        found = True
    if found:
        return round(total, 2), False
    bare = _BARE.fullmatch(cleaned)
    if bare:
        return float(bare["num"]) + (0.5 if bare["half"] else 0.0), False
    return None, False


def parse_years(text: str, today: date) -> float | None:
    """Years of experience from "3", "three", "2.5", "18 months", "two and a half years", "since 2019"."""
    return read_years(text, today)[0]


def read_yes_no(words: str, vocab: Mapping[str, tuple[str, ...]], step: Step, question: bool) -> str | None:
    """Yes, no or not sure from typed words; None when the words do not clearly say which."""
    for value in (UNSURE, "yes", "no"):
        if words in vocab[value]:
            return value
    if question:
        return None
    if any(has_phrase(words, phrase) for phrase in vocab[UNSURE]):
        return UNSURE  # anywhere: "I'm not sure" must not be read as a statement
    tokens = words.split()
    # "yes I have", "no, I teach in a school"; but "I have no observation" is not a yes.
    if tokens[0] not in _PRONOUNS:
        for value in ("yes", "no"):
            lead = next((p for p in vocab[value] if len(p) > 1 and words.startswith(p + " ")), None)
            if lead is not None:
                negated = value == "yes" and words[len(lead) + 1 :].split()[0] in ("not", "no")
                return "no" if negated else value  # "definitely not"
    if _NEGATIONS.intersection(tokens):
        return "no"
    # The longest phrase found decides: "working towards QTLS" is a no, though "QTLS" alone is a yes.
    longest = {
        value: max((len(p) for p in phrases if has_phrase(words, p)), default=0)
        for value, phrases in step.answer_words.items()
    }
    ranked = sorted((length, value) for value, length in longest.items() if length)
    if not ranked or (len(ranked) > 1 and ranked[-1][0] == ranked[-2][0]):
        return None
    return ranked[-1][1]


def read_choice(words: str, vocab: Mapping[str, tuple[str, ...]], step: Step, question: bool) -> str | None:
    """One of the step's choices from typed words; None when unclear."""
    for choice in step.choices:
        if words == choice.value or words in choice.words:
            return choice.value
    if words in vocab[UNSURE]:
        return UNSURE
    if question:
        return None
    if any(has_phrase(words, phrase) for phrase in vocab[UNSURE]):
        return UNSURE
    choice_tokens = {t for c in step.choices for w in c.words for t in w.split()}
    if (_NEGATIONS - choice_tokens).intersection(words.split()):
        return None  # "not GCSE": too easy to misread, so ask again
    found = {c.value for c in step.choices if any(has_phrase(words, w) for w in c.words)}
    if len(found) == 1:
        return found.pop()
    for choice in step.choices:
        rest = found - {choice.value}
        if (
            choice.covers
            and rest
            and (rest == set(choice.covers) or (choice.value in found and rest <= set(choice.covers)))
        ):
            return choice.value  # "resit and functional skills" is "both"
    return None


def prefill_from_question(criteria: Criteria, text: str, today: date) -> dict[str, Any]:
    """Answers the user's question states clearly: "I've taught maths for 3 years in an FE college" -> both.

    Only first-person statements count, and nothing is filled in from a message with a negation ("I haven't
    taught for 2 years") or about the rules themselves ("do I need 2 years?").
    """
    words = joined_words(text)
    tokens = set(words.split())
    if not tokens & _FIRST_PERSON or tokens & _NEGATIONS:
        return {}
    prefill: dict[str, Any] = {}
    years_step = next((s for s in criteria.steps if s.kind == "years"), None)
    says_duration = tokens & (_UNITS | {"since", "started"})
    if years_step is not None and says_duration and not tokens & _RULE_WORDS:
        years, estimate = read_years(text, today)
        if years is not None and not estimate and 0 <= years <= MAX_YEARS:
            prefill[years_step.id] = years
    for step in criteria.steps:
        said = {v for v, phrases in step.answer_words.items() if any(has_phrase(words, p) for p in phrases)}
        if step.kind == "yes_no" and said == {"yes"}:
            prefill[step.id] = "yes"
    return prefill
