"""The simulation's plan: one seed, one population; each actor does what its typology says."""

from __future__ import annotations

from collections import Counter

import pytest

from croupier.risk.typologies import Typology
from croupier.sandbox.psp import cards
from croupier.simulation.population import (
    DEFAULT_REPORTING_THRESHOLD,
    HONEST,
    MINIMAL_PLAY_SHARE,
    SIMULATED_TYPOLOGIES,
    ActorPlan,
    ChangePassword,
    Deposit,
    FailedSignIns,
    Play,
    PopulationTooSmall,
    SignIn,
    Withdraw,
    plan_population,
)


def _plan(seed: int = 11, players: int = 60, minutes: float = 10) -> list[ActorPlan]:
    return list(plan_population(seed=seed, players=players, minutes=minutes, run_tag="t").actors)


def _of(actors: list[ActorPlan], typology: str, scenario: str | None = None) -> list[ActorPlan]:
    return [a for a in actors if a.typology == typology and (scenario is None or a.scenario == scenario)]


class TestTheSeed:
    def test_the_same_seed_plans_the_same_population_step_for_step(self) -> None:
        assert _plan(seed=5) == _plan(seed=5)

    def test_another_seed_plans_another_population(self) -> None:
        assert _plan(seed=5) != _plan(seed=6)

    def test_the_run_tag_changes_only_the_addresses(self) -> None:
        one = plan_population(seed=5, players=30, minutes=1, run_tag="a")
        two = plan_population(seed=5, players=30, minutes=1, run_tag="b")
        assert [a.steps for a in one.actors] == [a.steps for a in two.actors]
        assert {acc.email for a in one.actors for acc in a.accounts}.isdisjoint(
            {acc.email for a in two.actors for acc in a.accounts}
        )


class TestThePopulation:
    @pytest.mark.parametrize("players", [12, 40, 200])
    def test_it_has_exactly_the_accounts_asked_for_with_every_typology_and_honest_players(
        self, players: int
    ) -> None:
        plan = plan_population(seed=1, players=players, minutes=0, run_tag="t")
        assert (
            sum(len(actor.accounts) for actor in plan.actors) == players
        )  # counted, not the plan's own figure
        counts = Counter(actor.typology for actor in plan.actors for _ in actor.accounts)
        assert set(counts) == {HONEST, *SIMULATED_TYPOLOGIES}
        assert counts[HONEST] >= 1
        if players >= 40:
            assert counts[HONEST] > sum(n for t, n in counts.items() if t != HONEST)

    def test_too_small_a_population_is_refused(self) -> None:
        with pytest.raises(PopulationTooSmall):
            plan_population(seed=1, players=11, minutes=0, run_tag="t")

    def test_every_account_has_its_own_address_and_card_except_where_the_typology_shares_them(self) -> None:
        actors = _plan()
        emails = [acc.email for a in actors for acc in a.accounts]
        assert len(emails) == len(set(emails))
        cards = Counter(acc.card.number for a in actors for acc in a.accounts)
        shared = {n for n, c in cards.items() if c > 1}
        ring_cards = {acc.card.number for a in _of(actors, Typology.MULTI_ACCOUNTING) for acc in a.accounts}
        assert shared <= ring_cards

    def test_the_activity_fits_in_the_span(self) -> None:
        for actor in _plan(minutes=10):
            assert 0 <= actor.start + sum(step.pause for step in actor.steps) <= 10 * 60

    def test_a_span_of_zero_plays_everything_back_to_back(self) -> None:
        for actor in _plan(minutes=0):
            assert actor.start == 0
            assert all(step.pause == 0 for step in actor.steps)


class TestEachTypology:
    def test_account_takeover_is_a_new_device_sign_in_then_a_password_change_then_a_withdrawal(self) -> None:
        for actor in _of(_plan(), Typology.ACCOUNT_TAKEOVER):
            own = actor.accounts[0].device
            kinds = [type(step) for step in actor.steps]
            change = kinds.index(ChangePassword)
            intruder = actor.steps[change - 1]
            assert isinstance(intruder, SignIn)
            assert intruder.device.device_id != own.device_id
            assert intruder.device.ip != own.ip
            assert Withdraw in kinds[change:]
            assert sum(step.pause for step in actor.steps[change - 1 :]) <= 6 * 60

    def test_multi_accounting_rings_share_a_device_or_a_card(self) -> None:
        for actor in _of(_plan(), Typology.MULTI_ACCOUNTING):
            assert len(actor.accounts) >= 2
            devices = {acc.device for acc in actor.accounts}
            cards = {acc.card for acc in actor.accounts}
            assert len(devices) == 1 or len(cards) == 1

    def test_structuring_deposits_are_each_under_the_threshold_and_together_above_it(self) -> None:
        for actor in _of(_plan(), Typology.STRUCTURING):
            amounts = [step.amount for step in actor.steps if isinstance(step, Deposit)]
            assert len(amounts) >= 3
            assert all(DEFAULT_REPORTING_THRESHOLD * 0.9 < a < DEFAULT_REPORTING_THRESHOLD for a in amounts)
            assert sum(amounts) > DEFAULT_REPORTING_THRESHOLD

    def test_minimal_play_wagers_under_the_share_of_its_deposit_before_withdrawing(self) -> None:
        for actor in _of(_plan(), Typology.MINIMAL_PLAY):
            deposited = sum(step.amount for step in actor.steps if isinstance(step, Deposit))
            wagered = sum(sum(step.stakes) for step in actor.steps if isinstance(step, Play))
            assert wagered < MINIMAL_PLAY_SHARE * deposited
            assert isinstance(actor.steps[-1], Withdraw)

    def test_card_testing_tries_many_declined_cards(self) -> None:
        for actor in _of(_plan(), Typology.VELOCITY, "card_testing"):
            declined = [s for s in actor.steps if isinstance(s, Deposit) and not s.succeeds]
            assert len(declined) >= 8
            numbers = {s.card.number for s in declined}
            assert len(numbers) == len(declined)  # a card of its own each time
            for number in numbers:
                assert cards.authorization_failure(cards.normalize_number(number)) == "card_declined"

    def test_credential_stuffing_is_a_burst_of_wrong_passwords_from_another_device(self) -> None:
        for actor in _of(_plan(), Typology.VELOCITY, "credential_stuffing"):
            [burst] = [s for s in actor.steps if isinstance(s, FailedSignIns)]
            assert burst.attempts >= 12
            assert burst.device != actor.accounts[0].device

    def test_rapid_escalation_raises_stakes_far_beyond_its_history_after_a_deposit(self) -> None:
        for actor in _of(_plan(), Typology.RAPID_ESCALATION):
            kinds = [type(step) for step in actor.steps]
            second_deposit = [i for i, k in enumerate(kinds) if k is Deposit][1]
            before = [s for s in actor.steps[:second_deposit] if isinstance(s, Play)]
            after = [s for s in actor.steps[second_deposit:] if isinstance(s, Play)]
            history = max(stake for play in before for stake in play.stakes)
            assert max(stake for play in after for stake in play.stakes) >= 10 * history

    def test_honest_players_and_takeover_victims_play_each_deposit_through(self) -> None:
        actors = _plan(players=200)
        for actor in _of(actors, HONEST) + _of(actors, Typology.ACCOUNT_TAKEOVER):
            steps = list(actor.steps)
            for n, step in enumerate(steps):
                if isinstance(step, Deposit):
                    play = steps[n + 1]
                    assert isinstance(play, Play)
                    assert sum(play.stakes) >= step.amount

    def test_no_honest_card_falls_in_the_sandboxs_decline_range(self) -> None:
        for actor in _of(_plan(players=200), HONEST):
            assert cards.authorization_failure(actor.accounts[0].card.number) is None
