"""``croupier sandbox psp`` as a developer runs it: keys, the port it announces, exits, no card data out."""

from __future__ import annotations

import re
import signal
import subprocess
import uuid
from typing import Any

import httpx

from croupier.sandbox.psp import cards
from tests.psp_sandbox import (
    GENERATED_KEY_PREFIX,
    GENERATED_SECRET_PREFIX,
    LISTENING_PREFIX,
    PspSandbox,
    croupier_command,
)

TEST_CARDS = [
    cards.VISA,
    cards.MASTERCARD,
    cards.AMEX,
    cards.CHALLENGE,
    cards.DECLINED,
    cards.INSUFFICIENT_FUNDS,
    cards.PAYOUT_REJECTED,
    "6011111111111117",
]


def leaves(value: Any) -> set[Any]:
    if isinstance(value, dict):
        return set().union(*(leaves(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(leaves(v) for v in value)) if value else set()
    return {value}


def test_generates_and_prints_keys_when_none_are_given() -> None:
    sandbox = PspSandbox()
    try:
        sandbox.wait_ready()
        lines = sandbox.stdout().splitlines()
        assert lines[0].startswith(GENERATED_KEY_PREFIX)
        assert lines[1].startswith(GENERATED_SECRET_PREFIX)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", lines[2].removeprefix(LISTENING_PREFIX))
        assert int(sandbox.base_url.rsplit(":", 1)[1]) > 0
        assert len(sandbox.api_key) >= 32
        assert len(sandbox.webhook_secret) >= 32
        with_key = httpx.get(f"{sandbox.base_url}/v1/payments/pay_x", headers=sandbox.auth)
        without = httpx.get(f"{sandbox.base_url}/v1/payments/pay_x")
        assert (with_key.status_code, without.status_code) == (404, 401)
    finally:
        code = sandbox.stop()
    assert code == 0, sandbox.stderr()
    assert "Traceback" not in sandbox.stderr()


def test_keys_from_the_environment_are_not_printed() -> None:
    key = f"env-{uuid.uuid4().hex}"
    secret = f"env-{uuid.uuid4().hex}"
    sandbox = PspSandbox(
        ["--payout-delay", "0"],
        api_key=key,
        webhook_secret=secret,
        env={"CROUPIER_SANDBOX_PSP_API_KEY": key, "CROUPIER_SANDBOX_PSP_WEBHOOK_SECRET": secret},
    )
    try:
        sandbox.wait_ready()
        assert httpx.get(f"{sandbox.base_url}/v1/payouts/po_x", headers=sandbox.auth).status_code == 404
    finally:
        sandbox.process.send_signal(signal.SIGINT)
        sandbox.process.wait(timeout=10)
        sandbox.stop()
    assert sandbox.process.returncode == 130
    assert sandbox.stdout().splitlines()[0].startswith(LISTENING_PREFIX)
    assert key not in sandbox.output()
    assert secret not in sandbox.output()
    assert "Traceback" not in sandbox.stderr()


def test_a_port_in_use_is_a_message(psp: PspSandbox) -> None:
    port = psp.base_url.rsplit(":", 1)[1]
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [*croupier_command(), "sandbox", "psp", "--port", port, "--api-key", "k", "--webhook-secret", "s"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert "cannot listen" in result.stderr
    assert "Traceback" not in result.stderr


async def test_card_numbers_never_leave_the_vault(psp: PspSandbox) -> None:
    """Every test card through every path, good and bad; then nothing printed may hold a number."""
    async with psp.client() as http:
        for number in TEST_CARDS:
            spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
            responses = [
                await http.post(
                    "/v1/tokens", json={"number": spaced, "exp_month": 12, "exp_year": 2099, "cvc": "987"}
                ),
                await http.post(
                    "/v1/tokens", json={"number": number, "exp_month": 12, "exp_year": 2001, "cvc": "987"}
                ),
                await http.post("/v1/tokens", json={"number": number, "exp_month": 12, "exp_year": 2099}),
                await http.post("/v1/tokens", json={"number": int(number), "exp_month": 1}),
                await http.post("/v1/tokens", json={"number": number + "1", "exp_month": 1, "cvc": "1"}),
                await http.post("/v1/payments", json={"token": number}, headers={"Idempotency-Key": "x"}),
            ]
            token = responses[0].json()["token"]
            common = {"currency": "EUR", "token": token, "webhook_url": "http://127.0.0.1:9/h"}
            payment = await http.post(
                "/v1/payments",
                json={"amount": 100, "reference": uuid.uuid4().hex, **common},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            payout = await http.post(
                "/v1/payouts",
                json={"amount": 100, "reference": uuid.uuid4().hex, **common},
                headers={"Idempotency-Key": uuid.uuid4().hex},
            )
            responses += [
                payment,
                payout,
                await http.get(f"/v1/tokens/{token}"),
                await http.get(f"/v1/payments/{payment.json()['id']}"),
                await http.get(f"/v1/payouts/{payout.json()['id']}"),
                await http.get(f"/3ds/{payment.json()['id']}"),
            ]
            for response in responses:
                assert response.status_code < 500
                assert number not in response.text, response.text
                assert spaced not in response.text
                if response.headers["content-type"].startswith("application/json"):
                    assert not {"987", 987} & leaves(response.json()), "the security code came back"
        assert (await http.get("/sandbox/events")).status_code == 200

    output = psp.output()
    assert "psp.token_created" in output, "the log is captured"
    for number in TEST_CARDS:
        assert number not in output
    for run in re.findall(r"\d{13,19}", output):
        assert not any(card in run for card in TEST_CARDS)
    assert '"cvc"' not in output
