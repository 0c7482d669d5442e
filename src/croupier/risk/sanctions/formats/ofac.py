"""OFAC's Specially Designated Nationals list as published: ``sdn.csv`` with ``alt.csv`` beside it.

``sdn.csv`` has no header; its twelve columns are ent_num, SDN_Name, SDN_Type,
Program, Title, Call_Sign, Vess_type, Tonnage, GRT, Vess_flag, Vess_owner,
Remarks, with ``-0-`` for an empty field. Individuals are written
``LAST, First Middle``; programs as ``SDGT] [IRGC``. Dates of birth and
nationalities live in Remarks: ``DOB 12 Jan 1970; alt. DOB 1971; nationality Iran;``.
``alt.csv`` adds aliases: ent_num, alt_num, alt_type (aka, fka, nka), alt_name, alt_remarks.
The files end with a DOS end-of-file character (``\\x1a``) on a line of its own.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import datetime

from croupier.risk.sanctions.formats import (
    ListedEntry,
    ListFileInvalid,
    country_code,
    merged,
    unique,
)
from croupier.risk.sanctions.models import SubjectKind

NULL = "-0-"
SDN_COLUMNS = 12
ALT_COLUMNS = 5
_KINDS = {"individual": SubjectKind.PERSON, "vessel": SubjectKind.VESSEL, "aircraft": SubjectKind.AIRCRAFT}
_DOB = re.compile(r"\bDOB\s+([^;]+)", re.IGNORECASE)
_NATIONALITY = re.compile(r"\b(?:nationality|citizen)\s+([^;(]+)", re.IGNORECASE)
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")


def _text(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older releases of the files are Windows-1252.
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise ListFileInvalid(f"{what} is neither UTF-8 nor Windows-1252 text") from None


def _field(value: str) -> str:
    value = value.strip()
    return "" if value == NULL else value


def _rows(data: bytes, what: str, columns: int) -> list[tuple[int, list[str]]]:
    text = _text(data, what)
    if "\x00" in text:
        raise ListFileInvalid(f"{what} is not a CSV file")
    rows = []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (len(row) == 1 and row[0].strip() in {"", "\x1a"}):
            continue
        if len(row) != columns:
            raise ListFileInvalid(f"{what} line {number}: expected {columns} columns, found {len(row)}")
        if not row[0].strip().isdigit():
            raise ListFileInvalid(f"{what} line {number}: ent_num must be a number")
        rows.append((number, [_field(v) for v in row]))
    return rows


def person_name(name: str) -> str:
    """``LAST, First Middle`` as ``First Middle LAST``; other names as they are."""
    last, comma, rest = name.partition(",")
    return f"{rest.strip()} {last.strip()}".strip() if comma and rest.strip() else name.strip()


def _date(text: str) -> list[str]:
    text = text.strip().rstrip(".")
    for pattern, shown in (("%d %b %Y", "%Y-%m-%d"), ("%b %Y", "%Y-%m"), ("%Y", "%Y")):
        try:
            return [datetime.strptime(text, pattern).strftime(shown)]  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    # "circa 1970", "1968 to 1970": the years named.
    return _YEAR.findall(text)


def birth_dates(remarks: str) -> tuple[str, ...]:
    return unique(d for found in _DOB.findall(remarks) for d in _date(found))


def countries(remarks: str) -> tuple[str, ...]:
    return unique(c for found in _NATIONALITY.findall(remarks) if (c := country_code(found)))


def parse(sdn: bytes, alt: bytes | None = None) -> list[ListedEntry]:
    aliases: dict[str, list[str]] = defaultdict(list)
    if alt is not None:
        for _, row in _rows(alt, "alt.csv", ALT_COLUMNS):
            if row[3]:
                aliases[row[0]].append(row[3])
    entries = []
    for number, row in _rows(sdn, "sdn.csv", SDN_COLUMNS):
        ent_num, name, sdn_type, program, remarks = row[0], row[1], row[2], row[3], row[11]
        if not name:
            raise ListFileInvalid(f"sdn.csv line {number}: the entry has no name")
        kind = _KINDS.get(sdn_type.lower(), SubjectKind.ENTITY)
        shown = person_name if kind is SubjectKind.PERSON else str.strip
        entries.append(
            ListedEntry(
                source_id=ent_num,
                kind=kind,
                name=shown(name),
                aliases=unique(shown(a) for a in aliases.get(ent_num, [])),
                birth_dates=birth_dates(remarks),
                countries=countries(remarks),
                programs=unique(p.strip(" []") for p in program.split("] [")),
                reference=ent_num,
            )
        )
    return merged(entries)
