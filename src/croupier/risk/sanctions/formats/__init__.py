"""Reading the publishers' own files: OFAC's SDN CSV, the EU's and the UN's consolidated XML.

Every reader returns ``ListedEntry`` rows or raises ``ListFileInvalid`` with a
reason naming the line or element, before anything is written.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import pycountry

from croupier.kit.errors import CroupierError
from croupier.risk.sanctions.models import ListSource, SubjectKind


class ListFormat(StrEnum):
    OFAC_CSV = "ofac-csv"
    EU_XML = "eu-xml"
    UN_XML = "un-xml"

    @property
    def source(self) -> ListSource:
        return {
            ListFormat.OFAC_CSV: ListSource.OFAC_SDN,
            ListFormat.EU_XML: ListSource.EU_FSF,
            ListFormat.UN_XML: ListSource.UN_SC,
        }[self]


class ListFileInvalid(CroupierError):
    code = "sanctions_list_invalid"
    status = 422
    title = "The sanctions list file cannot be read"


# A list file is tens of megabytes; anything far larger is not one.
MAX_FILE_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class ListedEntry:
    """One listed subject, in the form stored and screened, whichever publisher it came from."""

    source_id: str
    kind: SubjectKind
    name: str
    aliases: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()  # YYYY-MM-DD, YYYY-MM or YYYY
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2
    programs: tuple[str, ...] = ()
    reference: str | None = None

    def content_hash(self) -> bytes:
        """SHA-256 of what screening reads: a new hash is a changed entry."""
        content = {
            "kind": str(self.kind),
            "name": self.name,
            "aliases": sorted(self.aliases),
            "birth_dates": sorted(self.birth_dates),
            "countries": sorted(self.countries),
        }
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).digest()


def unique(values: Iterable[str]) -> tuple[str, ...]:
    """Non-empty values, stripped, first occurrence kept, order kept."""
    seen: dict[str, None] = {}
    for value in values:
        text = " ".join(value.split())
        if text and text.casefold() not in {s.casefold() for s in seen}:
            seen[text] = None
    return tuple(seen)


@lru_cache(maxsize=1024)
def country_code(text: str) -> str | None:
    """An ISO alpha-2 code for a code or an English country name; None when unknown."""
    value = text.strip().strip(".")
    if not value or value in {"00", "-0-"}:
        return None
    try:
        found = pycountry.countries.lookup(value)
    except LookupError:
        try:
            # Common names ("Russia", "Iran") beside the official ones pycountry keys on.
            found = pycountry.countries.search_fuzzy(value)[0]
        except LookupError:
            return None
    return str(found.alpha_2)


def merged(entries: Iterable[ListedEntry]) -> list[ListedEntry]:
    """Refuse a file that lists one id twice: its two rows cannot both be the entry."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.source_id in seen:
            raise ListFileInvalid(f"the id {entry.source_id} is listed twice")
        seen.add(entry.source_id)
        out.append(entry)
    if not out:
        raise ListFileInvalid("the file lists no one")
    return out
