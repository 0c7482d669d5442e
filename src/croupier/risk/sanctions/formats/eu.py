"""The EU consolidated financial sanctions list, XML as published (``xmlFullSanctionsList_1_1``).

``<export>`` holds one ``<sanctionEntity logicalId=… euReferenceNumber=…>`` per
subject, with ``<subjectType code="person|enterprise"/>``, ``<nameAlias
wholeName=…/>`` (several), ``<birthdate birthdate="1970-01-12" year="1970"/>``,
``<citizenship countryIso2Code="IR"/>`` and ``<regulation programme="IRN"/>``.
Elements are in the namespace ``http://eu.europa.ec/fpi/fsd/export``; it is
matched by local name so that a change of namespace version reads the same.
"""

from __future__ import annotations

from croupier.risk.sanctions.formats import ListedEntry, ListFileInvalid, country_code, merged, unique
from croupier.risk.sanctions.formats.safe_xml import child, children, local, root_of
from croupier.risk.sanctions.models import SubjectKind

_KINDS = {"person": SubjectKind.PERSON, "enterprise": SubjectKind.ENTITY}


def parse(data: bytes) -> list[ListedEntry]:
    root = root_of(data, "the EU list")
    if local(root.tag) != "export":
        raise ListFileInvalid(f"the EU list's root element is <{local(root.tag)}>, not <export>")
    entries = []
    for number, entity in enumerate(children(root, "sanctionEntity"), start=1):
        logical_id = (entity.get("logicalId") or "").strip()
        if not logical_id:
            raise ListFileInvalid(f"the EU list's sanctionEntity #{number} has no logicalId")
        names = []
        for alias in children(entity, "nameAlias"):
            whole = alias.get("wholeName") or " ".join(
                filter(None, (alias.get(k) for k in ("firstName", "middleName", "lastName")))
            )
            names.append(whole)
        found = unique(names)
        if not found:
            raise ListFileInvalid(f"the EU list's sanctionEntity {logical_id} has no name")
        subject = child(entity, "subjectType")
        code = (subject.get("code") if subject is not None else "") or ""
        dates = []
        for born in children(entity, "birthdate"):
            exact = (born.get("birthdate") or "").strip()
            if exact:
                dates.append(exact[:10])
            elif (born.get("year") or "").strip().isdigit():
                month = (born.get("monthOfYear") or "").strip()
                year = born.get("year", "").strip()
                dates.append(f"{year}-{int(month):02d}" if month.isdigit() else year)
        entries.append(
            ListedEntry(
                source_id=logical_id,
                kind=_KINDS.get(code, SubjectKind.ENTITY),
                name=found[0],
                aliases=found[1:],
                birth_dates=unique(dates),
                countries=unique(
                    c
                    for citizen in children(entity, "citizenship")
                    if (c := country_code(citizen.get("countryIso2Code") or ""))
                ),
                programs=unique(r.get("programme") or "" for r in children(entity, "regulation")),
                reference=entity.get("euReferenceNumber"),
            )
        )
    return merged(entries)
