"""PCI DSS 3.3-3.5: after card deposits, no card number appears in a full database dump
or in the logs; only the provider's token, the brand, the first six and the last four digits."""

from __future__ import annotations

import re
import secrets

import pytest

from croupier.kit.logging import configure_logging
from croupier.kit.scrub import luhn_valid
from tests.log_capture import json_logs
from tests.payments.support import AMEX, CHALLENGE, DECLINED, MASTERCARD, VISA, Live, eventually
from tests.security.test_database_dump import _dump

__all__ = ["json_logs"]  # the fixture

# A run of 13-19 digits, possibly grouped by spaces or dashes, not part of a longer word.
PAN_LIKE = re.compile(r"(?<![0-9A-Za-z])(?:\d[ -]?){12,18}\d(?![0-9A-Za-z])")


# A UUID's last two groups can be all digits ("…-9425-894224534101"): sixteen digits joined
# by a dash, Luhn-valid one time in ten. Identifiers, not card numbers: taken out first.
UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def card_numbers_in(text: str) -> list[str]:
    found = (re.sub(r"[ -]", "", m.group(0)) for m in PAN_LIKE.finditer(UUID.sub("<uuid>", text)))
    return [digits for digits in found if 13 <= len(digits) <= 19 and luhn_valid(digits)]


def _fresh_card() -> str:
    body = "4" + "".join(secrets.choice("0123456789") for _ in range(14))
    return next(body + d for d in "0123456789" if luhn_valid(body + d))


def test_the_scan_finds_card_numbers_in_any_usual_form() -> None:
    text = f"a {VISA} b 4242 4242 4242 4242 c 3782-822463-10005 d"
    assert card_numbers_in(text) == [VISA, VISA, AMEX]
    assert card_numbers_in("tok_4242424242424242x 12345 uuid 550e8400-e29b-41d4-a716-446655440000") == []


def test_the_scan_passes_over_uuids_whose_tail_is_all_digits() -> None:
    assert luhn_valid("9425894224534101")
    ids = "1ed7dbd8-5a8f-4b75-9425-894224534101 and 3f1c0a9e-0000-4000-9425-894224534101"
    assert card_numbers_in(f"ids {ids}") == []
    assert card_numbers_in("pan 9425-8942-2453-4101") == ["9425894224534101"]


async def test_no_card_number_in_the_database_dump_or_the_logs(
    live: Live, database_url: str, json_logs: pytest.CaptureFixture[str]
) -> None:
    configure_logging("debug")
    json_logs.readouterr()
    fresh = _fresh_card()
    cards = [VISA, MASTERCARD, AMEX, DECLINED, CHALLENGE, fresh]
    player = await live.player(kyc="full")  # it withdraws below
    for card in cards:
        response = await live.deposit(player, 1_000, card=card)
        assert response.status_code == 201, response.text
        if response.json()["status"] == "requires_action":
            payment_id = response.json()["three_d_secure"]["challenge_url"].rsplit("/", 1)[1]
            await live.psp.complete_challenge(payment_id)
    await eventually(lambda: live.wallet(player), lambda w: w["available"] == 5_000)
    [method, *_] = (await live.get(player, "/v1/payment-methods"))["items"]
    assert (await live.withdraw(player, 500, method["id"])).status_code == 201

    dump = _dump(database_url)
    out = json_logs.readouterr()
    logs = out.out + out.err

    # What should be there is there, so the scan below means something.
    assert "payment_methods" in dump
    assert "tok_" in dump
    assert '"event": "http_request"' in logs
    assert fresh[:6] in dump
    assert fresh[-4:] in dump
    for card in cards:
        assert card not in dump, "a card number is in the database"
        assert card not in logs, "a card number is in the logs"
    assert card_numbers_in(dump) == []
    assert card_numbers_in(logs) == []
