"""The UN Security Council consolidated list, XML as published (``consolidated.xml``).

``<CONSOLIDATED_LIST>`` holds ``<INDIVIDUALS><INDIVIDUAL>`` and
``<ENTITIES><ENTITY>``; each has ``DATAID``, ``REFERENCE_NUMBER``, ``UN_LIST_TYPE``,
the name in ``FIRST_NAME`` … ``FOURTH_NAME`` (entities: ``FIRST_NAME`` only),
aliases in ``INDIVIDUAL_ALIAS``/``ENTITY_ALIAS`` with ``QUALITY`` and
``ALIAS_NAME``, dates of birth in ``INDIVIDUAL_DATE_OF_BIRTH`` (``DATE``, or
``YEAR``, or ``FROM_YEAR`` and ``TO_YEAR``), nationalities in
``NATIONALITY/VALUE``. Aliases of quality "Low" are left out: the UN itself
marks them as too vague to identify anyone (single names, kunyas).
"""

from __future__ import annotations

from xml.etree.ElementTree import Element  # nosec B405 - the type only; parsing is defusedxml's

from croupier.risk.sanctions.formats import ListedEntry, ListFileInvalid, country_code, merged, unique
from croupier.risk.sanctions.formats.safe_xml import child, children, local, root_of, text_of
from croupier.risk.sanctions.models import SubjectKind

NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")


def _aliases(subject: Element, tag: str) -> list[str]:
    return [
        text_of(alias, "ALIAS_NAME")
        for alias in children(subject, tag)
        if text_of(alias, "QUALITY").casefold() != "low"
    ]


def _dates(individual: Element) -> list[str]:
    dates = []
    for born in children(individual, "INDIVIDUAL_DATE_OF_BIRTH"):
        exact, year = text_of(born, "DATE"), text_of(born, "YEAR")
        if exact:
            dates.append(exact[:10])
        elif year.isdigit():
            dates.append(year)
        else:
            low, high = text_of(born, "FROM_YEAR"), text_of(born, "TO_YEAR")
            if low.isdigit() and high.isdigit() and 0 <= int(high) - int(low) <= 10:
                dates.extend(str(y) for y in range(int(low), int(high) + 1))
    return dates


def _subject(subject: Element, kind: SubjectKind, alias_tag: str, what: str) -> ListedEntry:
    data_id = text_of(subject, "DATAID")
    if not data_id:
        raise ListFileInvalid(f"the UN list has {what} without a DATAID")
    name = " ".join(filter(None, (text_of(subject, part) for part in NAME_PARTS)))
    if not name:
        raise ListFileInvalid(f"the UN list's {what} {data_id} has no name")
    nationality = child(subject, "NATIONALITY")
    return ListedEntry(
        source_id=data_id,
        kind=kind,
        name=name,
        aliases=unique(a for a in _aliases(subject, alias_tag) if a.casefold() != name.casefold()),
        birth_dates=unique(_dates(subject)) if kind is SubjectKind.PERSON else (),
        countries=unique(
            c
            for value in (children(nationality, "VALUE") if nationality is not None else [])
            if (c := country_code(value.text or ""))
        ),
        programs=unique([text_of(subject, "UN_LIST_TYPE")]),
        reference=text_of(subject, "REFERENCE_NUMBER") or None,
    )


def parse(data: bytes) -> list[ListedEntry]:
    root = root_of(data, "the UN list")
    if local(root.tag) != "CONSOLIDATED_LIST":
        raise ListFileInvalid(f"the UN list's root element is <{local(root.tag)}>, not <CONSOLIDATED_LIST>")
    entries = []
    for group in children(root, "INDIVIDUALS"):
        entries += [
            _subject(i, SubjectKind.PERSON, "INDIVIDUAL_ALIAS", "an INDIVIDUAL")
            for i in children(group, "INDIVIDUAL")
        ]
    for group in children(root, "ENTITIES"):
        entries += [
            _subject(e, SubjectKind.ENTITY, "ENTITY_ALIAS", "an ENTITY") for e in children(group, "ENTITY")
        ]
    return merged(entries)
