"""Names reduced to comparable tokens: one spelling per sound, whatever script or punctuation.

``tokens("Dr. Usama BIN LĀDIN")`` is ``("usama", "ladin")``: transliterated to
ASCII (``anyascii``: Cyrillic, Arabic, Greek, CJK …), accents stripped (Unicode
NFKD), lower case, punctuation as a separator (apostrophes join: O'Brien is
obrien), honorifics and titles dropped, name particles (al, bin, van, de …)
dropped. Order is kept, since which token stood in the middle matters when it
is missing; the comparison itself is order-free.

``fold`` is a coarse phonetic key used both to block (find candidates) and as a
second opinion when comparing: Mohammed, Muhammad and Mohamad fold alike.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

HONORIFICS = frozenset(
    {
        "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "professor", "sir", "dame", "lord", "lady",
        "sheikh", "shaikh", "shaykh", "sheik", "cheikh", "haji", "hajji", "hadji", "alhaj", "alhajj",
        "mullah", "mulla", "maulana", "maulvi", "imam", "emir", "amir",
        "general", "gen", "col", "colonel", "maj", "major", "capt", "captain", "lt", "sgt", "brig",
        "brigadier", "admiral", "adm", "rev", "reverend", "father", "jr", "sr", "junior", "senior",
        "herr", "frau", "mme", "mlle", "m", "sra", "don", "dona", "gospodin",
    }
)  # fmt: skip
"""Titles that say nothing about who someone is. (``m`` is French Monsieur: a lone
initial M is rare enough next to it, and initials carry little weight anyway.)"""

PARTICLES = frozenset(
    {
        "al", "el", "ul", "ad", "ar", "as", "at", "az", "an", "bin", "ibn", "bint", "ben", "binti",
        "van", "von", "der", "den", "de", "da", "di", "del", "della", "du", "la", "le", "dos", "das",
        "y", "e", "of",
    }
)  # fmt: skip
"""Joining words written, dropped or glued on by different transliterations (al-Baghdadi,
Al Baghdadi, Baghdadi): they are left out of the comparison."""

ENTITY_WORDS = frozenset(
    {
        "ltd", "limited", "llc", "inc", "incorporated", "co", "corp", "corporation", "company",
        "gmbh", "ag", "sa", "sarl", "srl", "spa", "bv", "nv", "plc", "oao", "ooo", "zao", "pao", "jsc",
        "ojsc", "cjsc", "fze", "fzco", "llp", "lp", "the",
    }
)  # fmt: skip
"""Legal-form words, dropped when normalising an organisation's name."""

_SEPARATORS = re.compile(r"[^a-z0-9]+")
_APOSTROPHES = re.compile(r"['`\u2018\u2019\u02bc\u02bb]")

# Spelling variants that transliteration produces for the same sound; applied in order.
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"ph", "f"),
        (r"ck", "k"),
        (r"kh", "h"),
        # Persian and Arabic qaf and ghain: Qasem, Ghasem, Kasem; Ghorbani, Qorbani.
        (r"gh", "k"),
        (r"th", "t"),
        (r"dh", "d"),
        (r"sch", "s"),
        (r"sh", "s"),
        (r"ch", "s"),
        (r"tz", "s"),
        (r"ts", "s"),
        (r"x", "ks"),
        (r"[cq]", "k"),
        (r"z", "s"),
        (r"w", "v"),
        (r"^j", "y"),
        (r"j", "y"),
    )
)
# Romanisations whose spellings share too little for any phonetic rule: Wade-Giles and
# Cantonese against Pinyin for common Chinese surnames. Each maps to one spelling.
EQUIVALENTS = {
    "hsu": "xu", "lee": "li", "ng": "wu", "wong": "huang", "chan": "chen", "chang": "zhang",
    "chao": "zhao", "chou": "zhou", "chu": "zhu", "cheung": "zhang", "tsang": "zeng", "hsieh": "xie",
    "kwok": "guo", "kuo": "guo", "lau": "liu", "yeung": "yang", "tse": "xie", "ho": "he",
}  # fmt: skip
_INNER_VOWELS = re.compile(r"[aeiouy]+(?!$)")
_FINAL_VOWELS = re.compile(r"[aeiouy]+$")
_DOUBLES = re.compile(r"(.)\1+")


def ascii_text(name: str) -> str:
    """``name`` in lower-case ASCII: transliterated, accents stripped, compatibility forms folded."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return anyascii(stripped).lower()


@lru_cache(maxsize=65_536)
def tokens(name: str, *, entity: bool = False) -> tuple[str, ...]:
    """The comparable tokens of a name, in their written order."""
    text = _APOSTROPHES.sub("", ascii_text(name))
    raw = [t for t in _SEPARATORS.split(text) if t]
    dropped = HONORIFICS | PARTICLES | (ENTITY_WORDS if entity else frozenset())
    kept = [t for t in raw if t not in dropped]
    # A name made only of dropped words (say "Al Ahad") keeps them rather than vanish.
    return tuple(kept or raw)


@lru_cache(maxsize=131_072)
def fold(token: str) -> str:
    """A coarse phonetic key: inner vowels as one, doubled letters single, ph/f, z/s, j/y alike."""
    if token.isdigit():
        return token
    folded = EQUIVALENTS.get(token, token)
    for pattern, replacement in _FOLDS:
        folded = pattern.sub(replacement, folded)
    # Vowels inside a name are one sound (Usama, Osama); a final vowel often marks
    # gender (Maria, Mario; Petrov, Petrova) and keeps its letter (y as i).
    folded = _FINAL_VOWELS.sub(lambda m: m.group(0)[-1].replace("y", "i"), folded)
    folded = _INNER_VOWELS.sub("a", folded).replace("h", "")
    return _DOUBLES.sub(r"\1", folded) or token


def block_keys(token: str) -> frozenset[str]:
    """The buckets a token is filed and looked up in: its first letter, and its fold's.

    Two keys, so that a typo or a spelling that changes one (Hrssan against Hassan:
    the fold drops the h) still meets the other.
    """
    return frozenset((token[:1], fold(token)[:1]))
