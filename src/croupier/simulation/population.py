"""The plan of a simulation: who the actors are and what each will do, from a seed alone.

``plan_population`` is a pure function of its arguments: the same seed, size,
span and run tag give the same accounts, devices, cards, amounts, stakes and
timings, step for step. What the server answers (ids, dice rolls) is not part of
the plan; the ground-truth labels are (``ActorPlan.typology``).

Time: every actor starts at an offset within the first half of the span and its
pauses fit in the rest, so the activity of ``minutes`` minutes takes about that
much wall time, in real time (the engine's windows see the real gaps). A span
of 0 plays every step back to back.

Every account is an adult in the EU with a card of its own, a device (an app
installation id, a user agent) and an address; what the fraudsters do differently
is the typology, and honest players include near misses of each (a second
device, a single large deposit, a household sharing an address, a withdrawal
after plenty of play) so that precision means something.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace

from croupier.risk.typologies import Typology

HONEST = "honest"
CURRENCY = "EUR"
# The large-transaction reporting threshold structuring stays under (EUR 2,000, as for casinos
# under the EU AML directive), in minor units.
DEFAULT_REPORTING_THRESHOLD = 200_000
# Minimal play withdraws after wagering less than this share of the deposit.
MINIMAL_PLAY_SHARE = 0.30
SIMULATED_TYPOLOGIES = (
    Typology.ACCOUNT_TAKEOVER,
    Typology.MULTI_ACCOUNTING,
    Typology.STRUCTURING,
    Typology.MINIMAL_PLAY,
    Typology.VELOCITY,
    Typology.RAPID_ESCALATION,
)
# Per typology, this share of the accounts (at least one actor each, two for velocity).
FRAUD_SHARE_PER_TYPOLOGY = 0.05
MINIMUM_PLAYERS = 12
# The sandbox declines every card numbered 400000…0002 (see its test cards).
DECLINED_RANGE = ("400000", "0002")
GAMES = ("dice", "roulette", "slots")
# Rounds in one sitting, at most: a player wagering a larger deposit raises the stakes instead.
MAX_ROUNDS = 40
_FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Niklaus", "Radia", "Ken")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Wirth", "Perlman")
_COUNTRIES = ("MT", "DE", "FI", "SE", "IE", "NL", "AT", "EE")
_USER_AGENTS = (
    "CroupierApp/3.2 (iPhone; iOS 17.5)",
    "CroupierApp/3.2 (Android 14; Pixel 8)",
    "CroupierApp/3.1 (Android 13; SM-S911B)",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0",
)


@dataclass(frozen=True)
class Device:
    """Where requests come from: the app's installation id, its user agent, the client address."""

    device_id: str
    user_agent: str
    ip: str

    def headers(self) -> dict[str, str]:
        # X-Forwarded-For counts only when the simulator's address is a trusted proxy.
        return {"X-Device-Id": self.device_id, "User-Agent": self.user_agent, "X-Forwarded-For": self.ip}


@dataclass(frozen=True)
class Card:
    number: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class Account:
    email: str
    password: str
    first_name: str
    last_name: str
    date_of_birth: str
    country: str
    device: Device
    card: Card


# Steps. ``pause`` is the wait, in seconds, before the step; ``account`` indexes the actor's accounts.


@dataclass(frozen=True)
class Register:
    """Register, confirm the address with the mailed link, sign in, learn the player id."""

    account: int
    pause: float = 0.0


@dataclass(frozen=True)
class SignIn:
    account: int
    device: Device
    pause: float = 0.0


@dataclass(frozen=True)
class FailedSignIns:
    """Sign-in attempts with wrong passwords (credential stuffing, password guessing)."""

    account: int
    device: Device
    attempts: int
    pause: float = 0.0


@dataclass(frozen=True)
class Deposit:
    account: int
    device: Device
    amount: int
    card: Card
    succeeds: bool = True
    pause: float = 0.0


@dataclass(frozen=True)
class Play:
    """Rounds of one game, one stake each (minor units), until done or the balance runs out."""

    account: int
    device: Device
    game: str
    stakes: tuple[int, ...]
    pause: float = 0.0


@dataclass(frozen=True)
class ChangePassword:
    account: int
    device: Device
    new_password: str
    pause: float = 0.0


@dataclass(frozen=True)
class Withdraw:
    """Withdraw ``share`` of the available balance to the account's card."""

    account: int
    device: Device
    share: float
    pause: float = 0.0


Step = Register | SignIn | FailedSignIns | Deposit | Play | ChangePassword | Withdraw


@dataclass(frozen=True)
class ActorPlan:
    """One actor: its accounts, its script, and the ground truth about them."""

    name: str
    typology: str  # HONEST or a Typology value; every account of the actor carries it
    scenario: str
    start: float
    accounts: tuple[Account, ...]
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class PopulationPlan:
    seed: int
    players: int
    minutes: float
    run_tag: str
    reporting_threshold: int
    actors: tuple[ActorPlan, ...] = field(default=())

    @property
    def accounts(self) -> int:
        return sum(len(actor.accounts) for actor in self.actors)


class PopulationTooSmall(ValueError):
    pass


def plan_population(
    *,
    seed: int,
    players: int,
    minutes: float,
    run_tag: str,
    reporting_threshold: int = DEFAULT_REPORTING_THRESHOLD,
) -> PopulationPlan:
    """``players`` accounts (each typology at least once, the rest honest), spread over ``minutes``."""
    if players < MINIMUM_PLAYERS:
        raise PopulationTooSmall(
            f"at least {MINIMUM_PLAYERS} players: one actor per typology and honest ones"
        )
    # Not cryptography: a reproducible population.
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - a reproducible population, not a secret
    builder = _Builder(rng, seed=seed, run_tag=run_tag, span=max(minutes, 0.0) * 60.0)
    per_typology = max(1, round(players * FRAUD_SHARE_PER_TYPOLOGY))
    actors: list[ActorPlan] = []
    for _ in range(per_typology):
        actors.append(builder.account_takeover())
        actors.append(builder.multi_accounting())
        actors.append(builder.structuring(reporting_threshold))
        actors.append(builder.minimal_play())
        actors.append(builder.rapid_escalation())
    for n in range(max(2, per_typology)):
        actors.append(builder.card_testing() if n % 2 == 0 else builder.credential_stuffing())
    fraud = sum(len(actor.accounts) for actor in actors)
    honest = players - fraud
    if honest < 1:
        raise PopulationTooSmall(
            f"{players} players leave no honest ones next to {fraud} fraudulent accounts"
        )
    household: Device | None = None
    for _ in range(honest):
        actor = builder.honest(shared_address=household)
        actors.append(actor)
        # About one honest player in twenty shares an address with the next (a household, a NAT).
        household = actor.accounts[0].device if household is None and rng.random() < 0.05 else None
    # A stable order that mixes typologies, so that the plan does not put them in blocks.
    rng.shuffle(actors)
    return PopulationPlan(
        seed=seed,
        players=players,
        minutes=minutes,
        run_tag=run_tag,
        reporting_threshold=reporting_threshold,
        actors=tuple(actors),
    )


class _Builder:
    def __init__(self, rng: random.Random, *, seed: int, run_tag: str, span: float) -> None:
        self.rng = rng
        self.seed = seed
        self.run_tag = run_tag
        self.span = span
        self.counter = 0
        self.cards: set[str] = set()

    # Identities ---------------------------------------------------------------------------

    def device(self, *, ip: str | None = None, user_agent: str | None = None) -> Device:
        rng = self.rng
        return Device(
            device_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            user_agent=user_agent or rng.choice(_USER_AGENTS),
            ip=ip or f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        )

    def card(self) -> Card:
        rng = self.rng
        while True:
            body = rng.choice("45") + "".join(str(rng.randrange(10)) for _ in range(14))
            number = body + _luhn_digit(body)
            if number not in self.cards and not number.startswith(DECLINED_RANGE[0]):
                self.cards.add(number)
                return Card(number, rng.randrange(1, 13), 2030 + rng.randrange(5))

    def declined_number(self) -> str:
        """A card of the sandbox's decline range (400000…0002), each one distinct."""
        while True:
            body = DECLINED_RANGE[0] + "".join(str(self.rng.randrange(10)) for _ in range(6)) + "000"
            if _luhn_digit(body) == DECLINED_RANGE[1][-1] and body + "2" not in self.cards:
                self.cards.add(body + "2")
                return body + "2"

    def account(self, *, device: Device | None = None, card: Card | None = None) -> Account:
        rng = self.rng
        self.counter += 1
        return Account(
            email=f"sim{self.seed}-{self.run_tag}-{self.counter:05d}@example.com",
            password=f"sim-{rng.getrandbits(64):016x}",
            first_name=rng.choice(_FIRST_NAMES),
            last_name=rng.choice(_LAST_NAMES),
            date_of_birth=_date(rng),
            country=rng.choice(_COUNTRIES),
            device=device or self.device(),
            card=card or self.card(),
        )

    # Timing -------------------------------------------------------------------------------

    def start(self) -> float:
        return self.rng.uniform(0.0, self.span * 0.5)

    def pauses(self, count: int, *, share: float = 0.45, cap: float | None = None) -> list[float]:
        """``count`` pauses adding up to ``share`` of the span (each at most ``cap`` seconds)."""
        if self.span == 0 or count == 0:
            return [0.0] * count
        weights = [self.rng.random() + 0.05 for _ in range(count)]
        total = sum(weights)
        budget = self.span * share
        return [min(budget * w / total, cap) if cap is not None else budget * w / total for w in weights]

    def game(self) -> str:
        return self.rng.choice(GAMES)

    def stakes(self, typical: int, rounds: int, *, spread: float = 2.0) -> tuple[int, ...]:
        """Stakes around ``typical``: within a factor of ``spread``, as a player varies them."""
        rng = self.rng
        return tuple(_stake(round(typical * rng.uniform(1 / spread, spread))) for _ in range(rounds))

    def wager(self, at_least: int, typical: int) -> tuple[int, ...]:
        """Stakes around ``typical`` adding up to at least ``at_least``: playing a deposit through."""
        rounds = min(max(-(-at_least // typical), 8), MAX_ROUNDS)
        typical = max(typical, -(-at_least // rounds))
        stakes = list(self.stakes(typical, rounds, spread=1.5))
        while sum(stakes) < at_least:
            stakes.append(_stake(typical))
        return tuple(stakes)

    def _timed(self, steps: list[Step], **kwargs: float) -> tuple[Step, ...]:
        pauses = self.pauses(len(steps), **kwargs)
        return tuple(_with_pause(step, pause) for step, pause in zip(steps, pauses, strict=True))

    # Actors -------------------------------------------------------------------------------

    def honest(self, *, shared_address: Device | None = None) -> ActorPlan:
        rng = self.rng
        device = self.device(ip=shared_address.ip) if shared_address else None
        account = self.account(device=device)
        me = account.device
        high_roller = rng.random() < 0.05
        first = rng.randrange(150_000, 190_001) if high_roller else rng.randrange(2_000, 30_001)
        typical = max(first // rng.randrange(20, 60), 10)
        # Every deposit is played through at least once before anything is withdrawn.
        steps: list[Step] = [
            Register(0),
            Deposit(0, me, first, account.card),
            Play(0, me, self.game(), self.wager(first, typical)),
        ]
        if rng.random() < 0.10:
            # A new phone: a sign-in from a device and network not seen before, then more play.
            phone = self.device()
            steps += [
                SignIn(0, phone),
                Play(0, phone, self.game(), self.stakes(typical, rng.randrange(3, 10))),
            ]
        if rng.random() < 0.30 and not high_roller:
            again = rng.randrange(2_000, 20_001)
            steps += [
                Deposit(0, me, again, account.card),
                Play(0, me, self.game(), self.wager(again, typical)),
            ]
        if rng.random() < 0.35:
            steps += [SignIn(0, me), Withdraw(0, me, round(rng.uniform(0.3, 1.0), 2))]
        return ActorPlan(
            name=f"honest-{self.counter:05d}",
            typology=HONEST,
            scenario="household" if shared_address else ("high_roller" if high_roller else "regular"),
            start=self.start(),
            accounts=(account,),
            steps=self._timed(steps),
        )

    def account_takeover(self) -> ActorPlan:
        """The victim plays as usual; then someone signs in from a new device and network,
        changes the password (which ends every session), signs in with it and asks for a
        withdrawal, within minutes."""
        rng = self.rng
        victim = self.account()
        me = victim.device
        deposit = rng.randrange(10_000, 60_001)
        typical = max(deposit // 50, 10)
        own = self._timed(
            [
                Register(0),
                Deposit(0, me, deposit, victim.card),
                # The victim is an honest player: the deposit played through, the rest left in the account.
                Play(0, me, self.game(), self.wager(deposit, typical)),
            ],
            share=0.25,
        )
        intruder = self.device()
        takeover = self._timed(
            [
                SignIn(0, intruder),
                ChangePassword(0, intruder, f"sim-{rng.getrandbits(64):016x}"),
                SignIn(0, intruder),
                Withdraw(0, intruder, 0.9),
            ],
            share=0.15,
            cap=120.0,
        )
        return ActorPlan(
            name=f"takeover-{self.counter:05d}",
            typology=Typology.ACCOUNT_TAKEOVER,
            scenario="new_device_password_change_withdrawal",
            start=self.start(),
            accounts=(victim,),
            steps=own + takeover,
        )

    def multi_accounting(self) -> ActorPlan:
        """Two to four accounts of one person: one device for all, or one card for all."""
        rng = self.rng
        size = rng.randrange(2, 5)
        shared_card = rng.random() < 0.5
        if shared_card:
            card = self.card()
            accounts = tuple(self.account(card=card) for _ in range(size))
        else:
            device = self.device()
            accounts = tuple(self.account(device=device) for _ in range(size))
        steps: list[Step] = []
        for n, account in enumerate(accounts):
            amount = rng.randrange(2_000, 10_001)
            steps += [
                Register(n),
                Deposit(n, account.device, amount, account.card),
                Play(n, account.device, self.game(), self.stakes(max(amount // 20, 10), 6)),
            ]
        return ActorPlan(
            name=f"multi-{self.counter:05d}",
            typology=Typology.MULTI_ACCOUNTING,
            scenario="shared_card" if shared_card else "shared_device",
            start=self.start(),
            accounts=accounts,
            steps=self._timed(steps),
        )

    def structuring(self, threshold: int) -> ActorPlan:
        """Deposits in one gaming day, each just under the reporting threshold, together above it."""
        rng = self.rng
        account = self.account()
        me = account.device
        count = rng.randrange(3, 6)
        steps: list[Step] = [Register(0)]
        for _ in range(count):
            amount = threshold - rng.randrange(max(threshold // 100, 1), max(threshold // 12, 2))
            steps.append(Deposit(0, me, amount, account.card))
            steps.append(Play(0, me, self.game(), self.stakes(max(amount // 200, 10), 2)))
        return ActorPlan(
            name=f"structuring-{self.counter:05d}",
            typology=Typology.STRUCTURING,
            scenario=f"{count}_deposits_under_threshold",
            start=self.start(),
            accounts=(account,),
            steps=self._timed(steps, share=0.4),
        )

    def minimal_play(self) -> ActorPlan:
        """A deposit, a little play (well under 30 % of it), then a withdrawal of most of it."""
        rng = self.rng
        account = self.account()
        me = account.device
        amount = rng.randrange(20_000, 100_001)
        wagered = amount * rng.uniform(0.0, MINIMAL_PLAY_SHARE * 0.6)
        rounds = rng.randrange(1, 4)
        stakes = tuple(_stake(round(wagered / rounds)) for _ in range(rounds))
        steps: list[Step] = [
            Register(0),
            Deposit(0, me, amount, account.card),
            Play(0, me, self.game(), stakes),
            SignIn(0, me),
            Withdraw(0, me, 0.95),
        ]
        return ActorPlan(
            name=f"minimal-{self.counter:05d}",
            typology=Typology.MINIMAL_PLAY,
            scenario="deposit_withdraw_little_play",
            start=self.start(),
            accounts=(account,),
            steps=self._timed(steps, share=0.3),
        )

    def card_testing(self) -> ActorPlan:
        """One account trying many cards in a row, most of them declined."""
        rng = self.rng
        account = self.account()
        me = account.device
        steps: list[Step] = [Register(0)]
        for _ in range(rng.randrange(8, 16)):
            card = Card(self.declined_number(), rng.randrange(1, 13), 2027 + rng.randrange(6))
            steps.append(Deposit(0, me, rng.randrange(1_000, 5_001), card, succeeds=False))
        steps.append(Deposit(0, me, rng.randrange(1_000, 5_001), account.card))
        return ActorPlan(
            name=f"card-testing-{self.counter:05d}",
            typology=Typology.VELOCITY,
            scenario="card_testing",
            start=self.start(),
            accounts=(account,),
            steps=self._timed(steps, share=0.05, cap=20.0),
        )

    def credential_stuffing(self) -> ActorPlan:
        """An ordinary account, then a burst of wrong passwords for it from one address."""
        rng = self.rng
        victim = self.account()
        me = victim.device
        amount = rng.randrange(2_000, 20_001)
        own = self._timed(
            [
                Register(0),
                Deposit(0, me, amount, victim.card),
                Play(0, me, self.game(), self.stakes(amount // 30, 6)),
            ],
            share=0.25,
        )
        attack = self._timed([FailedSignIns(0, self.device(), rng.randrange(12, 25))], share=0.05, cap=30.0)
        return ActorPlan(
            name=f"stuffing-{self.counter:05d}",
            typology=Typology.VELOCITY,
            scenario="credential_stuffing",
            start=self.start(),
            accounts=(victim,),
            steps=own + attack,
        )

    def rapid_escalation(self) -> ActorPlan:
        """Small stakes for a while, then a larger deposit and stakes rising far beyond them."""
        rng = self.rng
        account = self.account()
        me = account.device
        typical = rng.randrange(50, 201)
        top_up = rng.randrange(50_000, 150_001)
        factor = rng.uniform(1.5, 2.2)
        rising = tuple(_stake(round(typical * 10 * factor**n)) for n in range(6))
        steps: list[Step] = [
            Register(0),
            Deposit(0, me, typical * 60, account.card),
            Play(0, me, "dice", self.stakes(typical, 20, spread=1.3)),
            Deposit(0, me, top_up, account.card),
            Play(0, me, self.game(), rising),
        ]
        return ActorPlan(
            name=f"escalation-{self.counter:05d}",
            typology=Typology.RAPID_ESCALATION,
            scenario="stakes_rising_after_deposit",
            start=self.start(),
            accounts=(account,),
            steps=self._timed(steps, share=0.3),
        )


# The default stake limits of every game in EUR, minor units; slots stake ten lines.
_MIN_STAKE, _MAX_STAKE = 10, 100_000


def _stake(value: int) -> int:
    return min(max(value, _MIN_STAKE), _MAX_STAKE)


def _with_pause(step: Step, pause: float) -> Step:
    return replace(step, pause=round(pause, 3))


def _date(rng: random.Random) -> str:
    return f"{rng.randrange(1955, 2004)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"


def _luhn_digit(body: str) -> str:
    total = 0
    for position, char in enumerate(reversed(body)):
        digit = int(char)
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)
