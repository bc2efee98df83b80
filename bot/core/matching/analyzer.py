"""Text to matching terms: typo-corrected against the knowledge base's words, synonyms folded, stemmed."""

from __future__ import annotations

import itertools
from collections import defaultdict
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process

from ..knowledge import Knowledge
from ..text import is_number, words


class Analyzer:
    """Turns text into matching terms: typo-corrected, synonyms folded, stopwords dropped, stemmed."""

    def __init__(self, knowledge: Knowledge, known_words: set[str]) -> None:
        self._config = knowledge.matcher
        self._stopwords = knowledge.stopwords
        self._stemmer = snowballstemmer.stemmer("english")
        self.stem = lru_cache(maxsize=20000)(self._stem)
        # Variants are matched on stems, longest first, so "covers" finds "cover" and "applicants" finds
        # "applicant" without listing every inflection.
        self._synonyms: dict[tuple[str, ...], str] = {}
        for canonical, variants in knowledge.synonyms.items():
            for variant in (canonical, *variants):
                key = tuple(self._stem_unless_stopword(w) for w in words(variant))
                if key:
                    self._synonyms[key] = self.stem(canonical)
        self._longest_synonym = max((len(k) for k in self._synonyms), default=1)
        vocabulary = set(known_words)
        for canonical, variants in knowledge.synonyms.items():
            for variant in (canonical, *variants):
                vocabulary.update(words(variant))
        self._vocabulary = frozenset(vocabulary)
        self._typo_targets_by_initial: dict[str, list[str]] = defaultdict(list)
        for known in sorted(w for w in vocabulary if len(w) >= 3 and not is_number(w)):
            self._typo_targets_by_initial[known[0]].append(known)
        self.correct = lru_cache(maxsize=20000)(self._correct)

    def _stem_unless_stopword(self, word: str) -> str:
        # Synonym keys and question words must be stemmed alike, or "whats in it for" never matches.
        return word if word in self._stopwords else self.stem(word)

    def _stem(self, word: str) -> str:
        return word if is_number(word) else str(self._stemmer.stemWord(word))

    def _correct(self, word: str) -> str:
        """The known word a typo most likely meant, or the word itself."""
        if word in self._vocabulary or word in self._stopwords or is_number(word):
            return word
        if len(word) < self._config.typo_min_length:
            return word
        # Typos rarely change the first letter; a real word we do not know ("signing") often looks like
        # one we do ("design") once the first letter may differ.
        targets = self._typo_targets_by_initial.get(word[0], ())
        found = process.extractOne(
            word, targets, scorer=fuzz.ratio, score_cutoff=self._config.typo_score_cutoff
        )
        return str(found[0]) if found else word

    def terms(self, text: str, *, correct_typos: bool = True) -> list[str]:
        """Matching terms of a text, in order: typo-corrected, synonyms folded, stopwords dropped, stemmed."""
        tokens = words(text)
        if correct_typos:
            tokens = [self.correct(t) for t in tokens]
        stems = [self._stem_unless_stopword(t) for t in tokens]
        folded: list[str] = []
        i = 0
        while i < len(stems):
            for size in range(min(self._longest_synonym, len(stems) - i), 0, -1):
                canonical = self._synonyms.get(tuple(stems[i : i + size]))
                if canonical is not None:
                    folded.append(canonical)
                    i += size
                    break
            else:
                if tokens[i] not in self._stopwords:
                    folded.append(stems[i])
                i += 1
        return folded


def numbered_pairs(terms: list[str]) -> list[tuple[str, str]]:
    """(word, number) for each word directly followed by a number: "cohort 1" gives ("cohort", "1")."""
    return [
        (word, number)
        for word, number in itertools.pairwise(terms)
        if is_number(number) and not is_number(word)
    ]
