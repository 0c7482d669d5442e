"""Scoring a person against list entries, and the in-memory index that finds the candidates.

A name's score compares tokens, not strings, so order does not matter
("LADEN, Osama bin" and "Osama bin Laden" are the same tokens). Each pair of
tokens gets the better of Jaro-Winkler on the spelling and on the phonetic
fold (``normalise.fold``); near misses are then stretched (``_sharpen``) so
that Petrov against Petrenko counts far less than a one-letter typo. Tokens
are paired by best assignment; a token left without a partner costs a share of
its weight, little when it stood in the middle of its name (a middle name or
patronymic one side left out), more at either end. At least two tokens must
pair up unless a side has only one: a shared first name is not a match.

Date of birth and nationality then move the score: a matching date raises it,
a conflicting year lowers it a lot; a matching nationality raises it a little.
Each step leaves a reason code, stored with the score.

The index blocks by the first letter of each token and of its fold, and within a block
finds similar tokens with ``rapidfuzz.process.extract``; only entries sharing
similar tokens with the query are scored in full. One name against 20,000
entries takes about a millisecond (``bench/sanctions_eval.py``).
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from croupier.risk.sanctions.normalise import EQUIVALENTS, block_keys, fold, tokens

# A pair of tokens scoring below this is no pair at all.
PAIR_FLOOR = 0.70
# Listed tokens are looked up at this Jaro-Winkler similarity, of spellings or of folds,
# or one edit apart; a pair needs 0.90 before sharpening (PAIR_FLOOR after it).
LOOKUP_CUTOFF = 0.88
# How much an unpaired token costs, as a share of its weight.
MIDDLE_MISSING = 0.10
END_MISSING = 0.55
# Two tokens one edit apart (Rhman, Rahman) count as this alike at least.
ONE_EDIT = 0.88
# A single paired token, when both names have more, caps the score here.
ONE_TOKEN_CAP = 0.60

DOB_EXACT = 0.08
DOB_MONTH = 0.05
DOB_YEAR = 0.03
DOB_NEAR = -0.10
DOB_CONFLICT = -0.25
COUNTRY_MATCH = 0.02
COUNTRY_OTHER = -0.02
# What a name's best possible score may gain beyond its tokens: the largest date and
# country bonus, and a margin for partners heavier than the query's own tokens.
BOUND_SLACK = DOB_EXACT + COUNTRY_MATCH + 0.03


@dataclass(frozen=True)
class Subject:
    """Who is screened: a player's name, and what else the list may say about them."""

    name: str
    date_of_birth: date | None = None
    country: str | None = None


@dataclass(frozen=True)
class Listed:
    """A list entry as screening sees it."""

    entry_id: uuid.UUID
    content_hash: bytes
    names: tuple[str, ...]
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Match:
    entry: Listed
    score: float
    name_score: float
    matched_name: str
    reasons: tuple[str, ...]


def _sharpen(similarity: float) -> float:
    """Stretch near misses: 0.95 (a typo) stays high, 0.89 (Petrov/Petrenko) drops to 0.67."""
    return max(0.0, 1.0 - (1.0 - similarity) * 3.0)


@lru_cache(maxsize=1 << 18)
def token_similarity(a: str, b: str) -> float:
    if a == b:
        return 1.0
    if len(a) == 1 or len(b) == 1:
        # An initial against a name it could stand for.
        return 0.85 if a[0] == b[0] else 0.0
    if a.isdigit() or b.isdigit():
        return 0.0
    if _gendered_pair(a, b):
        return 0.5
    spelled = JaroWinkler.normalized_similarity(a, b)
    fa, fb = fold(a), fold(b)
    if fa == fb:
        # The same sound; a spelling that shares little (Hassan, Hussein) is worth less.
        sounded = 0.97 if spelled >= 0.8 or a in EQUIVALENTS or b in EQUIVALENTS else 0.93
    else:
        sounded = 0.97 * JaroWinkler.normalized_similarity(fa, fb)
    similarity = _sharpen(max(spelled, sounded))
    if min(len(a), len(b)) >= 4 and OSA.distance(a, b, score_cutoff=1) <= 1:
        # One letter dropped, doubled, swapped or replaced: a typo more often than another name.
        similarity = max(similarity, ONE_EDIT)
    return similarity


def _gendered_pair(a: str, b: str) -> bool:
    """Petrov and Petrova, Mansour and Mansouri, Maria and Mario: names that differ by an ending.

    One is the other with a vowel added, or the two end in different vowels of a, e, o.
    """
    short, long = sorted((a, b), key=len)
    if len(short) < 4:
        return False
    if len(long) == len(short) + 1:
        return long.startswith(short) and long[-1] in "aio"
    return len(long) == len(short) and a[:-1] == b[:-1] and {a[-1], b[-1]} <= set("aeo") and a != b


def _weight(token: str) -> float:
    # Longer tokens say more about who someone is than initials and short names.
    return 0.5 + min(len(token), 8) / 8


def name_score(query: Sequence[str], listed: Sequence[str]) -> tuple[float, tuple[str, ...]]:
    """How alike two names' tokens are, in [0, 1], with reason codes."""
    if not query or not listed:
        return 0.0, ()
    pairs = sorted(
        ((token_similarity(q, c), i, j) for i, q in enumerate(query) for j, c in enumerate(listed)),
        reverse=True,
    )
    used_q: set[int] = set()
    used_c: set[int] = set()
    matched = 0.0
    weight = 0.0
    exact = 0
    for similarity, i, j in pairs:
        if similarity < PAIR_FLOOR:
            break
        if i in used_q or j in used_c:
            continue
        used_q.add(i)
        used_c.add(j)
        w = (_weight(query[i]) + _weight(listed[j])) / 2
        matched += similarity * w
        weight += w
        exact += similarity == 1.0
    if not used_q:
        return 0.0, ("no_token_paired",)
    penalty = 0.0
    missing_middle = missing_end = 0
    for side, used in ((query, used_q), (listed, used_c)):
        for k, token in enumerate(side):
            if k in used:
                continue
            middle = 0 < k < len(side) - 1
            penalty += _weight(token) * (MIDDLE_MISSING if middle else END_MISSING)
            missing_middle += middle
            missing_end += not middle
    score = matched / (weight + penalty)
    reasons = [f"tokens_paired:{len(used_q)}/{max(len(query), len(listed))}", f"tokens_exact:{exact}"]
    if missing_middle:
        reasons.append(f"middle_names_unpaired:{missing_middle}")
    if missing_end:
        reasons.append(f"tokens_unpaired:{missing_end}")
    if len(used_q) == 1 and (len(query) > 1 or len(listed) > 1):
        score = min(score, ONE_TOKEN_CAP)
        reasons.append("one_token_only")
    return score, tuple(reasons)


def _dob_adjustment(born: date | None, listed: Sequence[str]) -> tuple[float, str]:
    if born is None or not listed:
        return 0.0, "dob_unknown"
    best = DOB_CONFLICT, "dob_conflict"
    for text in listed:
        parts = text.split("-")
        try:
            year = int(parts[0])
        except ValueError:
            continue
        if year == born.year:
            if len(parts) == 3 and text == born.isoformat():
                return DOB_EXACT, "dob_exact"
            if len(parts) >= 2 and int(parts[1]) == born.month:
                candidate = (DOB_MONTH, "dob_month") if len(parts) == 2 else (DOB_YEAR, "dob_year")
            elif len(parts) == 1:
                candidate = DOB_YEAR, "dob_year"
            else:
                # The same year, another day: a typo or a namesake.
                candidate = 0.0, "dob_year_other_day"
        elif abs(year - born.year) == 1:
            candidate = DOB_NEAR, "dob_year_off_by_one"
        else:
            continue
        if candidate[0] > best[0]:
            best = candidate
    return best


def _country_adjustment(country: str | None, listed: Sequence[str]) -> tuple[float, str | None]:
    if country is None or not listed:
        return 0.0, None
    if country.upper() in listed:
        return COUNTRY_MATCH, "country_match"
    return COUNTRY_OTHER, "country_other"


def score(subject: Subject, entry: Listed, *, query: Sequence[str] | None = None) -> Match:
    """The subject against every name of the entry: the best name, then date of birth and country."""
    query = tokens(subject.name) if query is None else query
    best_score, best_name = 0.0, entry.names[0]
    best_reasons: tuple[str, ...] = ()
    for name in entry.names:
        value, why = name_score(query, tokens(name))
        if value > best_score:
            best_score, best_name, best_reasons = value, name, why
    dob, dob_reason = _dob_adjustment(subject.date_of_birth, entry.birth_dates)
    country, country_reason = _country_adjustment(subject.country, entry.countries)
    total = min(max(best_score + dob + country, 0.0), 1.0)
    reasons: list[str] = [f"name:{best_score:.3f}", *best_reasons, dob_reason]
    if country_reason:
        reasons.append(country_reason)
    return Match(
        entry=entry,
        score=round(total, 4),
        name_score=round(best_score, 4),
        matched_name=best_name,
        reasons=tuple(reasons),
    )


@dataclass
class _Block:
    """The distinct tokens whose folds start alike, spelled and folded, position for position."""

    tokens: list[str] = field(default_factory=list)
    folds: list[str] = field(default_factory=list)


class ScreeningIndex:
    """Every name of every entry, tokenised once, with postings from tokens to names."""

    def __init__(self, entries: Iterable[Listed], *, version: int | None = None) -> None:
        self.version = version
        self.entries: list[Listed] = []
        self._names: list[tuple[int, tuple[str, ...]]] = []  # (entry position, tokens)
        self._postings: dict[str, list[int]] = defaultdict(list)  # token -> name positions
        self._blocks: dict[str, _Block] = defaultdict(_Block)
        for entry in entries:
            position = len(self.entries)
            self.entries.append(entry)
            seen: set[tuple[str, ...]] = set()
            for name in entry.names:
                name_tokens = tokens(name)
                if not name_tokens or name_tokens in seen:
                    continue
                seen.add(name_tokens)
                name_position = len(self._names)
                self._names.append((position, name_tokens))
                for token in set(name_tokens):
                    if len(token) < 2:
                        continue  # initials find nothing on their own
                    postings = self._postings[token]
                    if not postings:
                        for key in block_keys(token):
                            block = self._blocks[key]
                            block.tokens.append(token)
                            block.folds.append(fold(token))
                    postings.append(name_position)

    def __len__(self) -> int:
        return len(self.entries)

    def _similar(self, token: str) -> dict[str, float]:
        """Listed tokens that could pair with ``token``, and how alike they are."""
        similar: dict[str, float] = {}
        for key in block_keys(token):
            block = self._blocks.get(key)
            if block is not None:
                similar.update(self._similar_in(block, token))
        return similar

    @staticmethod
    def _similar_in(block: _Block, token: str) -> dict[str, float]:
        positions = {
            k
            for _, _, k in process.extract(
                fold(token), block.folds, scorer=JaroWinkler.normalized_similarity,
                score_cutoff=LOOKUP_CUTOFF, limit=None,
            )
        }  # fmt: skip
        positions.update(
            k
            for _, _, k in process.extract(
                token, block.tokens, scorer=JaroWinkler.normalized_similarity,
                score_cutoff=LOOKUP_CUTOFF, limit=None,
            )
        )  # fmt: skip
        if len(token) >= 4:
            positions.update(
                k
                for _, _, k in process.extract(
                    token, block.tokens, scorer=OSA.distance, score_cutoff=1, limit=None
                )
            )
        similar = {}
        for k in positions:
            listed = block.tokens[k]
            similarity = token_similarity(token, listed)
            if similarity >= PAIR_FLOOR:
                similar[listed] = similarity
        return similar

    def search(self, subject: Subject, *, floor: float = 0.5, limit: int = 5) -> list[Match]:
        """The best-scoring entries for ``subject``, at least ``floor``, best first."""
        query = tokens(subject.name)
        usable = [i for i, t in enumerate(query) if len(t) >= 2]
        if not usable:
            return []
        # For each name, the query tokens that could pair in it, with their best similarity.
        found: dict[int, dict[int, float]] = defaultdict(dict)
        for i in usable:
            for listed, similarity in self._similar(query[i]).items():
                for name_position in self._postings[listed]:
                    pairs = found[name_position]
                    if similarity > pairs.get(i, 0.0):
                        pairs[i] = similarity
        # Score in full only names whose best possible score (the tokens found paired as
        # found, every other unpaired, the largest date and country bonus) reaches the floor.
        weights = [_weight(t) for t in query]
        missing = [
            w * (MIDDLE_MISSING if 0 < k < len(query) - 1 else END_MISSING) for k, w in enumerate(weights)
        ]
        all_missing = sum(missing)
        needed = min(2, len(usable))
        candidates: set[int] = set()
        for name_position, pairs in found.items():
            entry_position, name_tokens = self._names[name_position]
            if entry_position in candidates or len(pairs) < min(needed, len(name_tokens)):
                continue
            weight = sum(weights[k] for k in pairs)
            matched = sum(weights[k] * similarity for k, similarity in pairs.items())
            penalty = all_missing - sum(missing[k] for k in pairs)
            penalty += max(0, len(name_tokens) - len(pairs)) * MIDDLE_MISSING * _weight("")
            bound = matched / (weight + penalty)
            if len(pairs) == 1 and (len(query) > 1 or len(name_tokens) > 1):
                bound = min(bound, ONE_TOKEN_CAP)
            if bound + BOUND_SLACK >= floor:
                candidates.add(entry_position)
        matches = [
            m
            for position in candidates
            if (m := score(subject, self.entries[position], query=query)).score >= floor
        ]
        matches.sort(key=lambda m: m.score, reverse=True)
        return matches[:limit]
