"""`croupier providers`: register a studio, its games and limits; issue tokens for its integration tests."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from croupier.audit import service as audit
from croupier.audit.models import AuditEvent
from croupier.audit.tags import AuditAction
from croupier.kit.runtime import Runtime
from croupier.kit.settings import Settings
from croupier.providers.cli import app
from croupier.providers.hub88.signature import fingerprint
from tests.mail.helpers import invoke
from tests.providers.support import EUR_CENT, UNIT, Player, Studio, public_pem
from tests.wallet.support import deposit, make_player


def _key_file(tmp_path: Path, key: rsa.RSAPrivateKey) -> Path:
    path = tmp_path / "studio.pub"
    path.write_bytes(public_pem(key))
    return path


async def _add_acme(settings: Settings, tmp_path: Path, key: rsa.RSAPrivateKey, *options: str) -> None:
    key_file = str(_key_file(tmp_path, key))
    added = await invoke(app, ["add", "acme", "--public-key", key_file, *options], settings)
    assert added.exit_code == 0, added.output


async def _audited(runtime: Runtime, action: AuditAction) -> list[AuditEvent]:
    async with runtime.database.unit_of_work() as session:
        return list(await audit.events(session, action=action))


async def test_add_registers_a_provider_with_its_games_and_limits_and_is_audited(
    settings: Settings, runtime: Runtime, tmp_path: Path, studio_key: rsa.RSAPrivateKey
) -> None:
    key_file = _key_file(tmp_path, studio_key)

    added = await invoke(
        app,
        ["add", "acme", "--public-key", str(key_file), "--game", "acme_slot", "--max-stake", "EUR:25.50"],
        settings,
    )
    listed = await invoke(app, ["list"], settings)

    assert added.exit_code == 0, added.output
    assert "wallet base URL is http://localhost:8000/providers/hub88/acme/" in added.output
    assert fingerprint(key_file.read_bytes()) in added.output
    assert listed.exit_code == 0, listed.output
    assert (
        "acme\thub88\tenabled\t/providers/hub88/acme\tmax stake: EUR 25.50\tgames: acme_slot" in listed.output
    )
    [entry] = await _audited(runtime, AuditAction.PROVIDER_ADD)
    assert entry.actor_type == "operator"
    assert entry.details["key_sha256"] == fingerprint(key_file.read_bytes())
    assert entry.details["stake_limits"] == {"EUR": 2550}


async def test_add_refuses_a_key_hub88_cannot_sign_with(settings: Settings, tmp_path: Path) -> None:
    short = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 - must be refused
    curve = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    garbage = tmp_path / "garbage.pub"
    garbage.write_text("not a key")
    elliptic = tmp_path / "ec.pub"
    elliptic.write_bytes(curve)

    for path in (_key_file(tmp_path, short), garbage, elliptic):
        result = await invoke(app, ["add", "acme", "--public-key", str(path)], settings)
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("croupier: ")
        assert "key" in result.stderr


async def test_add_refuses_a_taken_name_or_a_taken_game(
    settings: Settings, tmp_path: Path, studio_key: rsa.RSAPrivateKey
) -> None:
    await _add_acme(settings, tmp_path, studio_key, "--game", "slot_a")
    key_file = str(_key_file(tmp_path, studio_key))

    same_name = await invoke(app, ["add", "acme", "--public-key", key_file], settings)
    same_game = await invoke(app, ["add", "other", "--public-key", key_file, "--game", "slot_a"], settings)
    bad_name = await invoke(app, ["add", "Not A Name", "--public-key", key_file], settings)

    assert same_name.exit_code == same_game.exit_code == bad_name.exit_code == 1
    assert "slot_a" in same_game.output
    # Refused by the rules, not by a constraint the database trips over.
    assert "A provider named 'acme' exists" in same_name.stderr
    assert "Another provider has these games: slot_a" in same_game.stderr
    assert "Provider names are" in bad_name.stderr


async def test_token_prints_what_a_studio_needs_and_the_token_works(
    settings: Settings,
    runtime: Runtime,
    client: httpx.AsyncClient,
    tmp_path: Path,
    studio_key: rsa.RSAPrivateKey,
) -> None:
    await _add_acme(settings, tmp_path, studio_key)
    player_id = await make_player(runtime)
    await deposit(runtime, player_id, 1_000)

    result = await invoke(app, ["token", str(player_id), "--provider", "acme", "--currency", "eur"], settings)

    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    assert set(printed) == {"user", "token", "currency"}
    assert printed["user"] == str(player_id)
    assert printed["currency"] == "EUR"
    acme = Studio(client, runtime, "acme", studio_key)
    balance = await acme.balance(Player(id=player_id, token=printed["token"]))
    assert balance["status"] == "RS_OK"
    assert balance["balance"] == 10 * UNIT
    [entry] = await _audited(runtime, AuditAction.GAME_TOKEN_ISSUE)
    assert entry.target_id == str(player_id)
    assert printed["token"] not in json.dumps(entry.details)


async def test_token_refuses_an_unknown_provider_player_or_currency(
    settings: Settings, runtime: Runtime, tmp_path: Path, studio_key: rsa.RSAPrivateKey
) -> None:
    await _add_acme(settings, tmp_path, studio_key)
    player_id = str(await make_player(runtime))

    for args, reason in (
        ([player_id, "--provider", "nobody", "--currency", "EUR"], "No provider named 'nobody'"),
        ([str(uuid.uuid4()), "--provider", "acme", "--currency", "EUR"], "No such player"),
        ([player_id, "--provider", "acme", "--currency", "XYZ"], "'XYZ' is not a supported currency"),
        ([player_id, "--provider", "acme", "--currency", "EUR", "--game", "not_its_game"], "no game"),
    ):
        result = await invoke(app, ["token", *args], settings)
        assert result.exit_code == 1, (args, result.output)
        assert result.stderr.startswith("croupier: "), (args, result.output)
        assert reason in result.stderr, (args, result.output)


async def test_games_limits_and_disable_take_effect_at_once(
    settings: Settings,
    runtime: Runtime,
    client: httpx.AsyncClient,
    tmp_path: Path,
    studio_key: rsa.RSAPrivateKey,
) -> None:
    await _add_acme(settings, tmp_path, studio_key)
    acme = Studio(client, runtime, "acme", studio_key, game="acme_slot")

    assert (await invoke(app, ["games", "acme", "acme_slot", "acme_poker"], settings)).exit_code == 0
    assert (await invoke(app, ["limits", "acme", "--max-stake", "EUR:1.00"], settings)).exit_code == 0
    player = await acme.player()
    limited = await acme.bet(player, 101 * EUR_CENT)
    assert (await invoke(app, ["disable", "acme"], settings)).exit_code == 0
    disabled = await acme.bet(player, 100 * EUR_CENT)
    assert (await invoke(app, ["enable", "acme"], settings)).exit_code == 0
    enabled = await acme.bet(player, 100 * EUR_CENT)

    assert limited["status"] == "RS_ERROR_LIMIT_REACHED"
    assert disabled["status"] == "RS_ERROR_INVALID_PARTNER"
    assert enabled["status"] == "RS_OK"
    assert len(await _audited(runtime, AuditAction.PROVIDER_LIMITS_SET)) == 1
    assert len(await _audited(runtime, AuditAction.PROVIDER_DISABLE)) == 1
