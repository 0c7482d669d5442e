"""The scrubbing rules that keep secrets out of logs and the audit trail."""

from __future__ import annotations

import pytest

from croupier.kit.scrub import REDACTED, is_sensitive_key, luhn_valid, scrub, scrub_text

PAN = "4539148803436467"  # Luhn-valid
NOT_A_PAN = "4539148803436468"  # one digit off: fails Luhn


class TestLuhn:
    @pytest.mark.parametrize("number", [PAN, "4111111111111111", "378282246310005", "6011111111111117"])
    def test_accepts_valid_card_numbers(self, number: str) -> None:
        assert luhn_valid(number)

    @pytest.mark.parametrize("number", [NOT_A_PAN, "4111111111111112", "1234567890123"])
    def test_rejects_others(self, number: str) -> None:
        assert not luhn_valid(number)


class TestSensitiveKeys:
    @pytest.mark.parametrize(
        "key",
        [
            "password",
            "new_password",
            "Passphrase",
            "passwd",
            "client_secret",
            "token",
            "session_token",
            "otp",
            "totp_code",
            "Authorization",
            "cookie",
            "api_key",
            "API-KEY",
            "private_key",
            "kek",
            "dek",
            "data_key",
            "card_number",
            "pan",
            "cvv",
            "cvc",
            "recovery_code",
            "signature",
            "credential_id",
        ],
    )
    def test_are_recognised(self, key: str) -> None:
        assert is_sensitive_key(key)

    @pytest.mark.parametrize("key", ["country", "reason", "session_id", "seq", "action", "minutes", "panel"])
    def test_ordinary_keys_are_not(self, key: str) -> None:
        assert not is_sensitive_key(key)

    def test_values_under_them_are_replaced_whatever_they_are(self) -> None:
        scrubbed = scrub({"password": "hunter2", "token": 12345, "otp": None, "country": "MT"})
        assert scrubbed == {"password": REDACTED, "token": REDACTED, "otp": REDACTED, "country": "MT"}


class TestSecretLookingValues:
    @pytest.mark.parametrize(
        "text",
        [PAN, "4539 1488 0343 6467", "4539-1488-0343-6467", f"card={PAN};", f"paid with {PAN} today"],
    )
    def test_card_numbers_are_masked_wherever_they_appear(self, text: str) -> None:
        out = scrub_text(text)
        assert "[REDACTED-PAN]" in out
        assert "6467" not in out

    @pytest.mark.parametrize(
        "text",
        [NOT_A_PAN, "order 123456789012", "id 12345678901234567890123", "2026-11-23T19:03:55.361935"],
    )
    def test_other_numbers_are_kept(self, text: str) -> None:
        assert scrub_text(text) == text

    def test_bearer_and_basic_credentials_are_removed(self) -> None:
        out = scrub_text("Authorization: Bearer abc.DEF-123_x and Basic dXNlcjpwYXNz")
        assert "abc.DEF-123_x" not in out
        assert "dXNlcjpwYXNz" not in out
        assert out.count(REDACTED) == 2

    @pytest.mark.parametrize("prefix", ["crs_", "crm_", "crp_"])
    def test_croupier_tokens_are_removed(self, prefix: str) -> None:
        token = prefix + "Xy7_-" * 8
        assert token not in scrub_text(f"agent {token} end")
        assert scrub_text(f"agent {token} end") == f"agent {REDACTED} end"


class TestScrub:
    def test_recurses_into_containers_and_leaves_the_original_alone(self) -> None:
        original = {
            "outer": {"list": [PAN, {"secret": "s"}], "tuple": ("Bearer abcdef",)},
            "n": 3,
            "ok": True,
        }
        scrubbed = scrub(original)
        assert scrubbed == {
            "outer": {"list": ["[REDACTED-PAN]", {"secret": REDACTED}], "tuple": [f"Bearer {REDACTED}"]},
            "n": 3,
            "ok": True,
        }
        assert original["outer"]["list"][0] == PAN  # type: ignore[index]

    def test_non_string_keys_and_scalars_pass_through(self) -> None:
        assert scrub({1: "x", None: 2.5}) == {1: "x", None: 2.5}
        assert scrub(None) is None
        assert scrub(42) == 42
