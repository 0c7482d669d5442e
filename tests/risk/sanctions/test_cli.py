"""`croupier sanctions`: lists imported from the publishers' files, players re-screened, hits cleared."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import httpx
import pytest

from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from tests.cli_support import acroupier, env_for, refused, succeeded, usage_error
from tests.factories import register
from tests.risk.sanctions.support import FIXTURES, alerts_of, hits_of

pytestmark = pytest.mark.slow  # each case runs the console script

PETROVA = {"first_name": "Anna", "last_name": "Petrova", "date_of_birth": "1985-03-03", "country": "RU"}


@pytest.fixture
def env(settings: Settings) -> dict[str, str]:
    return env_for(settings)


def _copy(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "lists"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(FIXTURES / name, folder / name)
    return folder


class TestImport:
    @pytest.mark.parametrize(
        ("name", "list_format", "source", "counts"),
        [
            ("sdn.csv", "ofac-csv", "ofac_sdn", "entries 6: added 6, changed 0, removed 0, unchanged 0"),
            ("eu.xml", "eu-xml", "eu_fsf", "entries 3: added 3, changed 0, removed 0, unchanged 0"),
            ("un.xml", "un-xml", "un_sc", "entries 3: added 3, changed 0, removed 0, unchanged 0"),
        ],
    )
    async def test_each_format_is_imported_and_its_provenance_kept(
        self, env: dict[str, str], name: str, list_format: str, source: str, counts: str
    ) -> None:
        out = succeeded(
            await acroupier("sanctions", "import", str(FIXTURES / name), "--format", list_format, env=env)
        )

        assert f"imported {source} from {name} ({list_format}) as list version 1" in out
        assert counts in out
        digest = re.search(r"^sha256 ([0-9a-f]{64})$", out, re.MULTILINE)
        assert digest is not None
        listed = succeeded(await acroupier("sanctions", "imports", env=env))
        assert f"\t{source}\t{list_format}\t{name}\tsha256 {digest.group(1)}\t" in listed

    async def test_ofac_aliases_come_from_alt_csv_beside_the_file_or_named(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        alone = _copy(tmp_path, "sdn.csv") / "sdn.csv"
        succeeded(
            await acroupier(
                "sanctions",
                "import",
                str(alone),
                "--format",
                "ofac-csv",
                "--alt",
                str(FIXTURES / "alt.csv"),
                env=env,
            )
        )

        out = succeeded(await acroupier("sanctions", "screen", "Rostam Qarimov", env=env))

        assert "Rostam Aliyevich QARIMOV" in out

    async def test_importing_the_same_file_again_changes_nothing(self, env: dict[str, str]) -> None:
        args = ("sanctions", "import", str(FIXTURES / "un.xml"), "--format", "un-xml")
        succeeded(await acroupier(*args, env=env))

        out = succeeded(await acroupier(*args, env=env))

        assert "as list version 2" in out
        assert "added 0, changed 0, removed 0, unchanged 3" in out

    async def test_an_entry_missing_from_a_newer_file_is_marked_removed_not_deleted(
        self, env: dict[str, str], tmp_path: Path
    ) -> None:
        succeeded(
            await acroupier("sanctions", "import", str(FIXTURES / "eu.xml"), "--format", "eu-xml", env=env)
        )
        shorter = tmp_path / "eu.xml"
        text = (FIXTURES / "eu.xml").read_text()
        start = text.index(
            '  <sanctionEntity designationDetails="" unitedNationId="" euReferenceNumber="EU.9001.02"'
        )
        shorter.write_text(text[:start] + text[text.index("</export>") :])

        out = succeeded(await acroupier("sanctions", "import", str(shorter), "--format", "eu-xml", env=env))

        assert "added 0, changed 0, removed 1, unchanged 2" in out

    @pytest.mark.parametrize(
        ("content", "list_format", "reason"),
        [
            (b'9001,"KARIMOV, Rustam","individual"\r\n', "ofac-csv", "sdn.csv line 1: expected 12 columns"),
            (b"<export><sanctionEntity/></export>", "eu-xml", "has no logicalId"),
            (b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e 'e'>]><x>&e;</x>", "un-xml", "DTDs and entities"),
            (b"\xff\xfe not a list", "un-xml", "not well-formed XML"),
        ],
    )
    async def test_a_bad_file_exits_1_with_its_reason_and_writes_nothing(
        self, env: dict[str, str], tmp_path: Path, content: bytes, list_format: str, reason: str
    ) -> None:
        bad = tmp_path / "sdn.csv"
        bad.write_bytes(content)

        refused(await acroupier("sanctions", "import", str(bad), "--format", list_format, env=env), reason)

        assert succeeded(await acroupier("sanctions", "imports", env=env)) == ""

    async def test_a_missing_file_exits_1(self, env: dict[str, str], tmp_path: Path) -> None:
        refused(
            await acroupier("sanctions", "import", str(tmp_path / "nope.xml"), "--format", "eu-xml", env=env),
            "cannot read nope.xml",
        )

    async def test_an_unknown_format_is_a_usage_error(self, env: dict[str, str]) -> None:
        usage_error(
            await acroupier("sanctions", "import", str(FIXTURES / "sdn.csv"), "--format", "csv", env=env),
            "--format",
        )


class TestRescreenOnImport:
    async def test_an_existing_player_who_matches_a_new_entry_gets_a_hit_and_an_alert(
        self, env: dict[str, str], client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, _ = await register(client, **PETROVA)
        await register(client)  # an honest player, screened too

        out = succeeded(
            await acroupier("sanctions", "import", str(FIXTURES / "sdn.csv"), "--format", "ofac-csv", env=env)
        )

        assert "screened 2 players against the changes: 1 new hits" in out
        [hit] = await hits_of(runtime, player_id)
        [alert] = await alerts_of(runtime, player_id)
        assert (alert.typology, alert.id) == ("sanctions", hit.alert_id)
        listed = succeeded(await acroupier("sanctions", "hits", "--status", "open", env=env))
        assert f"{hit.id}\topen\tblocking\t" in listed
        assert "ofac_sdn:9002 Anna Sergeyevna PETROVA" in listed

    async def test_a_cleared_hit_is_not_raised_again_until_its_entry_changes(
        self, env: dict[str, str], client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
    ) -> None:
        player_id, _ = await register(client, **PETROVA)
        lists = _copy(tmp_path, "sdn.csv", "alt.csv")
        succeeded(
            await acroupier("sanctions", "import", str(lists / "sdn.csv"), "--format", "ofac-csv", env=env)
        )
        [hit] = await hits_of(runtime, player_id)

        cleared = succeeded(
            await acroupier(
                "sanctions", "clear", str(hit.id), "--reason", "passport shows another person", env=env
            )
        )
        assert f"cleared {hit.id}" in cleared
        again = succeeded(
            await acroupier("sanctions", "import", str(lists / "sdn.csv"), "--format", "ofac-csv", env=env)
        )
        assert "unchanged 6" in again
        assert len(await hits_of(runtime, player_id)) == 1

        sdn = lists / "sdn.csv"
        sdn.write_bytes(sdn.read_bytes().replace(b"DOB 03 Mar 1985;", b"DOB 03 Mar 1985; alt. DOB 1986;"))
        changed = succeeded(await acroupier("sanctions", "import", str(sdn), "--format", "ofac-csv", env=env))

        assert "changed 1" in changed
        assert "1 new hits" in changed
        first, second = await hits_of(runtime, player_id)
        assert (first.status, second.status) == ("cleared", "open")
        assert first.entry_id == second.entry_id
        assert first.entry_hash != second.entry_hash
        assert len(await alerts_of(runtime, player_id)) == 2

    async def test_an_entry_removed_from_the_list_leaves_its_hits_open_and_says_so(
        self, env: dict[str, str], client: httpx.AsyncClient, runtime: Runtime, tmp_path: Path
    ) -> None:
        player_id, _ = await register(
            client, first_name="Won Ho", last_name="Ri", date_of_birth="1964-07-17", country="KP"
        )
        succeeded(
            await acroupier("sanctions", "import", str(FIXTURES / "un.xml"), "--format", "un-xml", env=env)
        )
        text = (FIXTURES / "un.xml").read_text()
        shorter = tmp_path / "un.xml"
        shorter.write_text(
            text[: text.index("    <INDIVIDUAL>")]
            + text[text.index("    <INDIVIDUAL>", text.index("</INDIVIDUAL>")) :]
        )

        out = succeeded(await acroupier("sanctions", "import", str(shorter), "--format", "un-xml", env=env))

        assert "removed 1" in out
        assert "note: 1 open hits refer to removed entries" in out
        [hit] = await hits_of(runtime, player_id)
        assert hit.status == "open"
        listed = succeeded(await acroupier("sanctions", "hits", "--player", player_id, env=env))
        assert "un_sc:6908555 RI WON HO (removed from the list)" in listed

    async def test_clearing_twice_or_an_unknown_hit_is_refused(
        self, env: dict[str, str], client: httpx.AsyncClient, runtime: Runtime
    ) -> None:
        player_id, _ = await register(client, **PETROVA)
        succeeded(
            await acroupier("sanctions", "import", str(FIXTURES / "sdn.csv"), "--format", "ofac-csv", env=env)
        )
        [hit] = await hits_of(runtime, player_id)
        succeeded(await acroupier("sanctions", "clear", str(hit.id), "--reason", "not her", env=env))

        # Each is refused and changes nothing: they run side by side.
        twice, unknown, no_reason = await asyncio.gather(
            acroupier("sanctions", "clear", str(hit.id), "--reason", "not her", env=env),
            acroupier("sanctions", "clear", "00000000-0000-0000-0000-000000000007", "--reason", "x", env=env),
            acroupier("sanctions", "clear", str(hit.id), "--reason", " ", env=env),
        )
        refused(twice, "cleared already")
        refused(unknown, "No sanctions hit")
        usage_error(no_reason, "reason")
