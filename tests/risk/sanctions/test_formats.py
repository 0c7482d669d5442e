"""Reading each publisher's own file format, and refusing files that are not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from croupier.risk.sanctions.formats import ListedEntry, ListFileInvalid, ListFormat, eu, ofac, un
from croupier.risk.sanctions.formats.read import read
from croupier.risk.sanctions.models import SubjectKind

FIXTURES = Path(__file__).parent / "fixtures"


def _by_id(entries: list[ListedEntry]) -> dict[str, ListedEntry]:
    return {e.source_id: e for e in entries}


class TestOfacSdnCsv:
    def test_individuals_are_read_with_aliases_dates_of_birth_and_nationality_from_remarks(self) -> None:
        listing = read(FIXTURES / "sdn.csv", ListFormat.OFAC_CSV)  # alt.csv beside it is found

        karimov = _by_id(listing.entries)["9001"]
        assert karimov == ListedEntry(
            source_id="9001",
            kind=SubjectKind.PERSON,
            name="Rustam Alievich KARIMOV",
            aliases=("Rustem KARIMOV", "Rostam Aliyevich QARIMOV"),
            birth_dates=("1970-01-12", "1971"),
            countries=("IR",),
            programs=("SDGT", "IRGC"),
            reference="9001",
        )

    def test_entities_vessels_and_the_null_marker_are_understood(self) -> None:
        entries = _by_id(read(FIXTURES / "sdn.csv", ListFormat.OFAC_CSV).entries)

        assert entries["173"].kind is SubjectKind.ENTITY
        assert entries["173"].name == "ANGLO-CARIBBEAN CO., LTD."
        assert entries["173"].birth_dates == ()
        assert entries["9003"].kind is SubjectKind.VESSEL
        assert entries["2674"].birth_dates == ("1966",)
        assert entries["2674"].countries == ("IQ",)
        assert "-0-" not in str(entries)

    def test_alt_csv_is_optional_and_changes_the_file_hash(self, tmp_path: Path) -> None:
        alone = tmp_path / "sdn.csv"
        alone.write_bytes((FIXTURES / "sdn.csv").read_bytes())

        without = read(alone, ListFormat.OFAC_CSV)
        with_alt = read(alone, ListFormat.OFAC_CSV, alt=FIXTURES / "alt.csv")

        assert _by_id(without.entries)["9001"].aliases == ()
        assert _by_id(with_alt.entries)["9001"].aliases != ()
        assert without.sha256 != with_alt.sha256

    @pytest.mark.parametrize(
        ("content", "reason"),
        [
            (b'9001,"KARIMOV, Rustam","individual"\r\n', "line 1: expected 12 columns, found 3"),
            (
                b'x,"A","-0-","P","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\r\n',
                "ent_num must be a number",
            ),
            (b'1,"","-0-","P","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\r\n', "has no name"),
            (b"\x1a", "lists no one"),
            (
                b'1,"A","-0-","P","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\r\n'
                b'1,"B","-0-","P","-0-","-0-","-0-","-0-","-0-","-0-","-0-","-0-"\r\n',
                "the id 1 is listed twice",
            ),
        ],
    )
    def test_a_malformed_file_is_refused_with_its_reason(self, content: bytes, reason: str) -> None:
        with pytest.raises(ListFileInvalid, match=reason):
            ofac.parse(content)

    @pytest.mark.parametrize(
        ("remarks", "dates"),
        [
            ("DOB 12 Jan 1970;", ("1970-01-12",)),
            ("DOB Jan 1970; alt. DOB 1971;", ("1970-01", "1971")),
            ("DOB circa 1958;", ("1958",)),
            ("DOB 1968 to 1970;", ("1968", "1970")),
            ("POB Tehran, Iran;", ()),
        ],
    )
    def test_dates_of_birth_in_remarks(self, remarks: str, dates: tuple[str, ...]) -> None:
        assert ofac.birth_dates(remarks) == dates


class TestEuXml:
    def test_people_and_enterprises_with_every_name_alias(self) -> None:
        entries = _by_id(read(FIXTURES / "eu.xml", ListFormat.EU_XML).entries)

        assert entries["13"].name == "Saddam Hussein Al-Tikriti"
        assert entries["13"].aliases == ("Abu Ali",)
        assert entries["13"].birth_dates == ("1937-04-28",)
        assert entries["13"].countries == ("IQ",)
        assert entries["13"].reference == "EU.27.28"
        # A birth month and year without a day; a name in Cyrillic beside the Latin one.
        assert entries["144221"].birth_dates == ("1968-07",)
        assert entries["144221"].aliases == ("Сергей Иванович Воронцов",)
        assert entries["150001"].kind is SubjectKind.ENTITY

    def test_the_wrong_root_is_refused(self) -> None:
        with pytest.raises(ListFileInvalid, match="not <export>"):
            eu.parse(b"<CONSOLIDATED_LIST/>")

    def test_an_entity_without_a_name_is_refused(self) -> None:
        with pytest.raises(ListFileInvalid, match="sanctionEntity 7 has no name"):
            eu.parse(
                b'<export><sanctionEntity logicalId="7"><subjectType code="person"/></sanctionEntity>'
                b"</export>"
            )


class TestUnXml:
    def test_individuals_and_entities_with_good_aliases_only(self) -> None:
        entries = _by_id(read(FIXTURES / "un.xml", ListFormat.UN_XML).entries)

        hamadi = entries["110001"]
        assert hamadi.name == "ABDUL RAHMAN YASIN AL-HAMADI"
        assert hamadi.aliases == ("Abdelrahman Yassin",)  # "Abu Yasin" is of Low quality
        assert hamadi.birth_dates == ("1960", "1961", "1962")
        assert hamadi.countries == ("IQ", "JO")
        assert hamadi.reference == "QDi.999"
        assert entries["6908555"].name == "RI WON HO"
        assert entries["6908555"].countries == ("KP",)
        assert entries["110404"].kind is SubjectKind.ENTITY
        assert entries["110404"].aliases == ("Al Rasheed Trust",)

    def test_an_individual_without_a_dataid_is_refused(self) -> None:
        with pytest.raises(ListFileInvalid, match="without a DATAID"):
            un.parse(
                b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>A</FIRST_NAME>"
                b"</INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"
            )


class TestOutsideXmlIsReadSafely:
    @pytest.mark.parametrize(
        "document",
        [
            # A billion laughs: entity expansion is refused before it starts.
            b'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
            b"<export>&b;</export>",
            # An external entity that would read a local file.
            b'<?xml version="1.0"?><!DOCTYPE export [<!ENTITY x SYSTEM "file:///etc/passwd">]><export>&x;</export>',
        ],
    )
    def test_dtds_and_entities_are_refused(self, document: bytes) -> None:
        with pytest.raises(ListFileInvalid, match="DTDs and entities are refused"):
            eu.parse(document)

    def test_a_file_that_is_not_xml_is_refused(self) -> None:
        with pytest.raises(ListFileInvalid, match="not well-formed XML"):
            un.parse(b"DATAID,NAME\n1,A\n")


def test_the_content_hash_moves_with_what_screening_reads_and_only_with_it() -> None:
    entry = ListedEntry(source_id="1", kind=SubjectKind.PERSON, name="A B", birth_dates=("1970",))

    assert (
        entry.content_hash()
        == ListedEntry(
            source_id="1", kind=SubjectKind.PERSON, name="A B", birth_dates=("1970",), programs=("X",)
        ).content_hash()
    )
    assert (
        entry.content_hash()
        != ListedEntry(
            source_id="1", kind=SubjectKind.PERSON, name="A B", birth_dates=("1971",)
        ).content_hash()
    )
