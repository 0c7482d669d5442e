"""The keyring: versioned KEKs and the other long-lived secrets, kept outside the database."""

from __future__ import annotations

import base64
import json
import os
import stat
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner

from croupier.crypto.service import PlayerCipher
from croupier.keys.cli import app as keys_app
from croupier.kit import keyring as keyring_module
from croupier.kit.keyring import (
    DEV_KEYRING_NAME,
    Keyring,
    KeyringError,
    KeyringSource,
    load_keyring,
    write_keyring_file,
)
from croupier.kit.settings import Settings


def _renderings(ring: Keyring) -> list[str]:
    """Every way a key could show up in text."""
    keys = [*ring.keks.values(), ring.blind_index_key, ring.audit_key]
    out: list[str] = []
    for key in keys:
        out += [
            key.hex(),
            base64.b64encode(key).decode(),
            repr(key)[2:-1],
            base64.urlsafe_b64encode(key).decode(),
        ]
    return out


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


class TestKeyring:
    def test_a_generated_keyring_has_one_kek_and_distinct_32_byte_keys(self) -> None:
        ring = Keyring.generate()
        keys = [*ring.keks.values(), ring.blind_index_key, ring.audit_key]
        assert ring.current_version == 1
        assert all(len(k) == 32 for k in keys)
        assert len(set(keys)) == 3

    def test_the_newest_version_wraps_and_older_ones_stay(self) -> None:
        ring = Keyring.generate().with_new_version().with_new_version()
        assert sorted(ring.keks) == [1, 2, 3]
        assert ring.current_version == 3
        assert ring.current_kek == ring.kek(3)
        assert len(set(ring.keks.values())) == 3

    def test_rotation_keeps_the_blind_index_and_audit_keys(self) -> None:
        ring = Keyring.generate()
        rotated = ring.with_new_version()
        assert (rotated.blind_index_key, rotated.audit_key) == (ring.blind_index_key, ring.audit_key)
        assert rotated.kek(1) == ring.kek(1)

    def test_the_newest_version_cannot_be_retired(self) -> None:
        ring = Keyring.generate().with_new_version()
        with pytest.raises(KeyringError):
            ring.without_version(2)
        assert sorted(ring.without_version(1).keks) == [2]

    def test_an_unknown_version_is_an_error(self) -> None:
        with pytest.raises(KeyringError, match="version 9"):
            Keyring.generate().kek(9)

    def test_json_round_trip(self) -> None:
        ring = Keyring.generate().with_new_version()
        assert Keyring.from_json(ring.to_json()) == ring

    @pytest.mark.parametrize(
        "doc",
        [
            "not json",
            "[]",
            '{"kek": {}, "blind_index_key": "", "audit_key": ""}',
            json.dumps({"kek": {"1": base64.b64encode(bytes(16)).decode()}}),
            json.dumps(
                {
                    "kek": {"1": base64.b64encode(bytes(16)).decode()},
                    "blind_index_key": base64.b64encode(bytes(32)).decode(),
                    "audit_key": base64.b64encode(bytes(32)).decode(),
                }
            ),
            json.dumps(
                {
                    "kek": {"one": base64.b64encode(bytes(32)).decode()},
                    "blind_index_key": base64.b64encode(bytes(32)).decode(),
                    "audit_key": base64.b64encode(bytes(32)).decode(),
                }
            ),
        ],
    )
    def test_a_malformed_keyring_is_refused(self, doc: str) -> None:
        with pytest.raises(KeyringError):
            Keyring.from_json(doc)

    def test_a_refusal_does_not_echo_the_keyring(self) -> None:
        secret = base64.b64encode(b"k" * 31).decode()
        doc = json.dumps({"kek": {"1": secret}, "blind_index_key": secret, "audit_key": secret})
        with pytest.raises(KeyringError) as caught:
            Keyring.from_json(doc)
        assert secret not in str(caught.value)


class TestNoKeyBytesInText:
    def test_repr_and_str_show_versions_only(self) -> None:
        ring = Keyring.generate().with_new_version()
        for text in (repr(ring), str(ring), f"{ring}", f"{ring!r}"):
            assert text == "Keyring(versions=[1, 2])"
            assert not any(r in text for r in _renderings(ring))

    def test_a_field_cipher_does_not_show_its_data_key(self) -> None:
        dek = os.urandom(32)
        text = repr(PlayerCipher(uuid.uuid4(), dek, 1))
        assert dek.hex() not in text
        assert base64.b64encode(dek).decode() not in text
        assert "PlayerCipher(player_id=" in text

    def test_settings_hold_an_inline_keyring_as_a_secret(self, tmp_path: Path) -> None:
        ring = Keyring.generate()
        settings = Settings(keyring=ring.to_json(), data_dir=tmp_path)
        for text in (repr(settings), str(settings), str(settings.model_dump())):
            assert not any(r in text for r in _renderings(ring))

    def test_a_keyring_source_does_not_show_keys(self) -> None:
        ring = Keyring.generate()
        source = KeyringSource(inline=ring.to_json())
        assert not any(r in repr(source) for r in _renderings(ring))


class TestKeyringFile:
    def test_is_written_readable_by_its_owner_only(self, tmp_path: Path) -> None:
        path = tmp_path / "deep" / "keyring.json"
        write_keyring_file(path, Keyring.generate())
        assert _mode(path) == 0o600

    def test_stays_owner_only_when_replaced_and_leaves_no_temporary_file(self, tmp_path: Path) -> None:
        path = tmp_path / "keyring.json"
        write_keyring_file(path, Keyring.generate())
        path.chmod(0o600)
        source = KeyringSource(path=path)
        source.replace(source.current().with_new_version())
        assert _mode(path) == 0o600
        assert sorted(p.name for p in tmp_path.iterdir()) == ["keyring.json"]
        assert Keyring.from_json(path.read_text()).current_version == 2

    def test_a_running_source_picks_up_a_changed_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(keyring_module, "_RELOAD_INTERVAL_SECONDS", 0.0)
        path = tmp_path / "keyring.json"
        ring = Keyring.generate()
        write_keyring_file(path, ring)
        source = KeyringSource(path=path)
        assert source.current().current_version == 1
        write_keyring_file(path, ring.with_new_version())
        later = path.stat().st_mtime + 5
        os.utime(path, (later, later))  # whatever the file system's time resolution
        assert source.current().current_version == 2

    def test_a_missing_file_is_a_clear_error(self, tmp_path: Path) -> None:
        with pytest.raises(KeyringError, match="does not exist"):
            KeyringSource(path=tmp_path / "absent.json")


class TestInlineKeyring:
    def test_is_not_writable(self) -> None:
        ring = Keyring.generate()
        source = KeyringSource(inline=ring.to_json())
        assert not source.writable
        with pytest.raises(KeyringError, match="CROUPIER_KEYRING"):
            source.replace(ring.with_new_version())
        assert source.current() == ring

    def test_a_source_is_a_file_or_inline_not_both(self, tmp_path: Path) -> None:
        with pytest.raises(KeyringError):
            KeyringSource()
        with pytest.raises(KeyringError):
            KeyringSource(path=tmp_path / "k.json", inline=Keyring.generate().to_json())


class TestLoadKeyring:
    def test_inline_wins_and_is_read_only(self, tmp_path: Path) -> None:
        ring = Keyring.generate()
        source = load_keyring(Settings(keyring=ring.to_json(), data_dir=tmp_path))
        assert source.current() == ring
        assert not source.writable

    def test_a_file_is_writable(self, tmp_path: Path) -> None:
        path = tmp_path / "keyring.json"
        write_keyring_file(path, Keyring.generate())
        assert load_keyring(Settings(keyring_file=path, data_dir=tmp_path)).writable

    def test_a_configured_database_without_keys_is_refused(self, tmp_path: Path) -> None:
        settings = Settings(database_url="postgresql://db.invalid/croupier", data_dir=tmp_path)
        with pytest.raises(KeyringError, match="croupier keys generate"):
            load_keyring(settings)

    def test_the_embedded_mode_generates_a_private_development_keyring_loudly(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(keyring_module, "_warned", False)  # as in a fresh process
        source = load_keyring(Settings(data_dir=tmp_path))
        path = tmp_path.resolve() / DEV_KEYRING_NAME
        assert source.path == path
        assert _mode(path) == 0o600
        warning = capsys.readouterr().err
        assert f"DEVELOPMENT KEYS IN USE\n!! generated development keys in {path}\n" in warning
        # The same keys on the next start; the warning is not repeated within a process.
        assert load_keyring(Settings(data_dir=tmp_path)).current() == source.current()
        assert capsys.readouterr().err == ""

    def test_a_new_process_says_it_uses_the_development_keys_it_finds(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        load_keyring(Settings(data_dir=tmp_path))
        monkeypatch.setattr(keyring_module, "_warned", False)
        capsys.readouterr()
        load_keyring(Settings(data_dir=tmp_path))
        path = tmp_path.resolve() / DEV_KEYRING_NAME
        assert f"DEVELOPMENT KEYS IN USE\n!! using development keys in {path}\n" in capsys.readouterr().err


class TestGenerateCommand:
    def test_prints_a_fresh_keyring_and_warns_on_stderr(self) -> None:
        first = CliRunner().invoke(keys_app, ["generate"])
        second = CliRunner().invoke(keys_app, ["generate"])
        assert first.exit_code == 0, first.output
        ring = Keyring.from_json(first.stdout)
        assert sorted(ring.keks) == [1]
        assert "secret" in first.stderr
        assert ring != Keyring.from_json(second.stdout)
        # The warning stays out of stdout, so `croupier keys generate > keyring.json` works.
        assert "secret" not in first.stdout
