"""Playing an actor's script against the HTTP API, as the player's app and browser would.

Everything goes through Croupier's public API and the provider's card form:
registration, the confirmation link read from the account's mailbox (the
development mailbox the ``mailbox`` mail backend writes, one ``.eml`` per
message), sign-in, card tokenisation at the provider, deposits, rounds, password
changes and withdrawals. Each request carries the acting device's ``X-Device-Id``,
user agent and ``X-Forwarded-For`` address.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from croupier.simulation.population import (
    CURRENCY,
    Account,
    ActorPlan,
    Card,
    ChangePassword,
    Deposit,
    Device,
    FailedSignIns,
    Play,
    Register,
    SignIn,
    Step,
    Withdraw,
)

_VERIFY_TOKEN = re.compile(r"token=(crv_[A-Za-z0-9_-]+)")
MAIL_WAIT_SECONDS = 60.0
CREDIT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.1


# The risk engine's refusal (403 problem+json): for a fraudster's step, a detection.
RISK_REFUSAL = "risk_denied"


class StepFailed(Exception):
    """The server answered a step otherwise than an app would expect; the actor stops."""

    def __init__(self, step: str, detail: str, *, code: str | None = None) -> None:
        super().__init__(f"{step}: {detail}")
        self.step = step
        self.detail = detail
        self.code = code

    @property
    def refused_by_risk(self) -> bool:
        return self.code == RISK_REFUSAL


@dataclass(frozen=True)
class Target:
    """Where the simulation plays: Croupier, its payment provider, the mailbox it writes."""

    base_url: str
    psp_url: str
    mailbox: Path


class Mailbox:
    """The development mailbox, read incrementally: each message file is parsed once."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._seen: set[str] = set()
        self._tokens: dict[str, str] = {}
        self._lock = asyncio.Lock()

    async def verification_token(self, email: str) -> str:
        """The confirmation link's token in the newest mail to ``email``; waits for it to arrive."""
        deadline = time.monotonic() + MAIL_WAIT_SECONDS
        address = email.casefold()
        while True:
            async with self._lock:
                await asyncio.to_thread(self._scan)
                token = self._tokens.pop(address, None)
            if token is not None:
                return token
            if time.monotonic() > deadline:
                raise StepFailed(
                    "register", f"no confirmation mail in {self.folder} within {MAIL_WAIT_SECONDS:.0f} s"
                )
            await asyncio.sleep(POLL_SECONDS)

    def _scan(self) -> None:
        if not self.folder.is_dir():
            return
        for path in sorted(self.folder.glob("*.eml"), key=lambda p: p.stat().st_mtime):
            if path.name in self._seen:
                continue
            self._seen.add(path.name)
            message = message_from_bytes(path.read_bytes(), policy=policy.default)
            if not isinstance(message, EmailMessage):
                continue
            part = message.get_body(("plain",))
            body = str(part.get_content()) if isinstance(part, EmailMessage) else ""
            found = _VERIFY_TOKEN.search(body)
            if found:
                self._tokens[str(message["To"]).strip().casefold()] = found.group(1)


@dataclass
class Traffic:
    """What the simulation sent and what came back: (route, status) → count."""

    requests: Counter[tuple[str, int]] = field(default_factory=Counter)

    def count(self, route: str, status: int) -> None:
        self.requests[(route, status)] += 1

    def total(self, route: str, status: int | None = None) -> int:
        return sum(n for (r, s), n in self.requests.items() if r == route and (status is None or s == status))


@dataclass
class AccountState:
    account: Account
    password: str
    player_id: str | None = None
    tokens: dict[str, str] = field(default_factory=dict)  # device id → session token
    cards: dict[str, str] = field(default_factory=dict)  # card number → payment method id


class Actor:
    """One actor's run: its accounts' state, and the steps of its plan in order."""

    def __init__(
        self,
        plan: ActorPlan,
        *,
        http: httpx.AsyncClient,
        psp: httpx.AsyncClient,
        mailbox: Mailbox,
        traffic: Traffic,
        gate: asyncio.Semaphore,
    ) -> None:
        self.plan = plan
        self.http = http
        self.psp = psp
        self.mailbox = mailbox
        self.traffic = traffic
        self.gate = gate
        self.accounts = [AccountState(account, account.password) for account in plan.accounts]
        self.error: StepFailed | None = None

    async def run(self, started: float) -> None:
        """Wait for the actor's start, then play each step after its pause; stop at the first failure."""
        await _sleep_until(started + self.plan.start)
        try:
            for step in self.plan.steps:
                if step.pause:
                    await asyncio.sleep(step.pause)
                async with self.gate:
                    await self.perform(step)
        except StepFailed as exc:
            self.error = exc
        except httpx.HTTPError as exc:
            self.error = StepFailed(type(exc).__name__, "the connection failed")

    async def perform(self, step: Step) -> None:
        match step:
            case Register():
                await self.register(self.accounts[step.account])
            case SignIn():
                await self.sign_in(self.accounts[step.account], step.device)
            case FailedSignIns():
                await self.failed_sign_ins(self.accounts[step.account], step.device, step.attempts)
            case Deposit():
                await self.deposit(self.accounts[step.account], step)
            case Play():
                await self.play(self.accounts[step.account], step)
            case ChangePassword():
                await self.change_password(self.accounts[step.account], step.device, step.new_password)
            case Withdraw():
                await self.withdraw(self.accounts[step.account], step.device, step.share)

    # HTTP -----------------------------------------------------------------------------------

    async def call(
        self,
        route: str,
        *,
        device: Device,
        token: str | None = None,
        json: Any = None,
        key: str | None = None,
    ) -> httpx.Response:
        method, path = route.split(" ", 1)
        headers = device.headers()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        response = await self.http.request(method, path, json=json, headers=headers)
        self.traffic.count(_template(route), response.status_code)
        return response

    async def as_player(
        self, route: str, state: AccountState, device: Device, *, json: Any = None, idempotent: bool = False
    ) -> httpx.Response:
        """A request on the account's session on ``device``. When a long pause outlived the
        session or its step-up, the app asks for the password again and retries once."""
        key = str(uuid.uuid4()) if idempotent else None
        response = await self.call(
            route, device=device, token=self.session(state, device), json=json, key=key
        )
        if _code(response) in ("invalid_session", "step_up_required"):
            await self.sign_in(state, device)
            response = await self.call(
                route, device=device, token=self.session(state, device), json=json, key=key
            )
        return response

    def session(self, state: AccountState, device: Device) -> str:
        token = state.tokens.get(device.device_id)
        if token is None:
            raise StepFailed("session", "the script used a device before signing in on it")
        return token

    # Steps --------------------------------------------------------------------------------

    async def register(self, state: AccountState) -> None:
        account, device = state.account, state.account.device
        body = {
            "email": account.email,
            "password": state.password,
            "first_name": account.first_name,
            "last_name": account.last_name,
            "date_of_birth": account.date_of_birth,
            "country": account.country,
        }
        _expect(await self.call("POST /v1/players", device=device, json=body), 202, "register")
        token = await self.mailbox.verification_token(account.email)
        confirm = await self.call("POST /v1/players/verify-email", device=device, json={"token": token})
        _expect(confirm, 204, "verify email")
        await self.sign_in(state, device)
        me = _expect(await self.as_player("GET /v1/me", state, device), 200, "me")
        state.player_id = str(me.json()["id"])

    async def sign_in(self, state: AccountState, device: Device) -> None:
        body = {"email": state.account.email, "password": state.password}
        response = _expect(await self.call("POST /v1/sessions", device=device, json=body), 201, "sign in")
        state.tokens[device.device_id] = str(response.json()["token"])

    async def failed_sign_ins(self, state: AccountState, device: Device, attempts: int) -> None:
        for n in range(attempts):
            body = {"email": state.account.email, "password": f"{state.password}-wrong-{n}"}
            response = await self.call("POST /v1/sessions", device=device, json=body)
            if response.status_code == 201:
                raise StepFailed("failed sign-ins", "a wrong password was accepted")

    async def tokenize(self, card: Card, device: Device) -> str:
        body = {"number": card.number, "exp_month": card.exp_month, "exp_year": card.exp_year, "cvc": "123"}
        response = await self.psp.post("/v1/tokens", json=body, headers={"User-Agent": device.user_agent})
        self.traffic.count("POST {psp}/v1/tokens", response.status_code)
        return str(_expect(response, 201, "tokenize").json()["token"])

    async def deposit(self, state: AccountState, step: Deposit) -> None:
        before = await self.available(state, step.device)
        payment_token = await self.tokenize(step.card, step.device)
        body = {"amount": step.amount, "currency": CURRENCY, "payment_token": payment_token}
        response = await self.as_player("POST /v1/deposits", state, step.device, json=body, idempotent=True)
        deposit = _expect(response, 201, "deposit").json()
        if not step.succeeds:
            if deposit["status"] == "succeeded":
                raise StepFailed("deposit", "a declined card was charged")
            return
        if deposit["status"] not in ("succeeded", "pending"):
            raise StepFailed("deposit", f"status {deposit['status']} ({deposit.get('failure_code')})")
        state.cards[step.card.number] = str(deposit["payment_method_id"])
        # The wallet is credited when the provider's webhook arrives.
        deadline = time.monotonic() + CREDIT_WAIT_SECONDS
        while await self.available(state, step.device) < before + step.amount:
            if time.monotonic() > deadline:
                raise StepFailed("deposit", f"not credited within {CREDIT_WAIT_SECONDS:.0f} s")
            await asyncio.sleep(POLL_SECONDS)

    async def available(self, state: AccountState, device: Device) -> int:
        response = await self.as_player("GET /v1/wallet", state, device)
        for balance in _expect(response, 200, "wallet").json()["balances"]:
            if balance["currency"] == CURRENCY:
                return int(balance["available"])
        return 0

    async def play(self, state: AccountState, step: Play) -> None:
        for stake in step.stakes:
            response = await self.as_player(
                f"POST /v1/games/{step.game}/rounds",
                state,
                step.device,
                json={"currency": CURRENCY, **_bet(step.game, stake)},
                idempotent=True,
            )
            if response.status_code == 422 and _code(response) == "insufficient_funds":
                return  # out of money: the session ends, as a player's would
            _expect(response, 201, f"{step.game} round")

    async def change_password(self, state: AccountState, device: Device, new_password: str) -> None:
        body = {"current_password": state.password, "new_password": new_password}
        response = await self.as_player("POST /v1/me/password", state, device, json=body)
        _expect(response, 204, "change password")
        state.password = new_password
        # The change ends every session, this one included: the next step signs in again.
        state.tokens.clear()

    async def withdraw(self, state: AccountState, device: Device, share: float) -> None:
        amount = int(await self.available(state, device) * share)
        if amount <= 0:
            return  # nothing left to take out
        methods = _expect(await self.as_player("GET /v1/payment-methods", state, device), 200, "cards")
        usable = [m["id"] for m in methods.json()["items"] if CURRENCY in m["withdrawal_currencies"]]
        if not usable:
            raise StepFailed("withdraw", "no card that deposited in the currency")
        body = {"amount": amount, "currency": CURRENCY, "payment_method_id": usable[0]}
        response = await self.as_player("POST /v1/withdrawals", state, device, json=body, idempotent=True)
        _expect(response, 201, "withdraw")


def _bet(game: str, stake: int) -> dict[str, Any]:
    if game == "dice":
        return {"stake": stake, "target": 49.5, "direction": "under"}
    if game == "roulette":
        return {"wagers": [{"kind": "red", "stake": stake}]}
    return {"machine": "classic", "line_bet": max(stake // 10, 1)}


def _template(route: str) -> str:
    return re.sub(r"/games/[a-z]+/", "/games/{game}/", route)


def _code(response: httpx.Response) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _expect(response: httpx.Response, status: int, step: str) -> httpx.Response:
    if response.status_code != status:
        code = _code(response)
        raise StepFailed(step, f"HTTP {response.status_code}" + (f" {code}" if code else ""), code=code)
    return response


async def _sleep_until(moment: float) -> None:
    delay = moment - time.monotonic()
    if delay > 0:
        await asyncio.sleep(delay)
