"""`croupier withdrawals` (review queue) and `croupier payments` (refunds, the submission relay).

The rules live in ``payments.withdrawals``, ``payments.refunds`` and
``payments.submissions``; these commands parse, call and print. The operator
is the login name of whoever runs the command (or ``--by``), as the audit actor.
"""

from __future__ import annotations

import json
import uuid
from typing import Annotated

import typer

from croupier.audit.service import Actor, operator
from croupier.backoffice import withdrawals as decisions
from croupier.kit.commands import run_command
from croupier.kit.runtime import Runtime
from croupier.payments import refunds, repository
from croupier.payments.schemas import RefundView, StaffWithdrawalView
from croupier.payments.submissions import SubmissionRelay

withdrawals_app = typer.Typer(no_args_is_help=True, help="Withdrawals waiting for staff review.")
payments_app = typer.Typer(no_args_is_help=True, help="Refunds and payout submission.")

WithdrawalId = Annotated[uuid.UUID, typer.Argument(metavar="WITHDRAWAL_ID")]
By = Annotated[str | None, typer.Option("--by", help="Who decides (default: the login name).")]


def _actor(by: str | None) -> Actor:
    return Actor.operator(by) if by else operator()


def _print(view: StaffWithdrawalView | RefundView) -> None:
    typer.echo(json.dumps(view.model_dump(mode="json"), sort_keys=True))


@withdrawals_app.command("pending")
def pending(limit: Annotated[int, typer.Option(min=1, max=1000)] = 100) -> None:
    """Withdrawals awaiting review, oldest first, one JSON object per line."""

    async def _work(runtime: Runtime) -> list[StaffWithdrawalView]:
        async with runtime.database.unit_of_work() as session:
            return [StaffWithdrawalView.of(w) for w in await repository.awaiting_review(session, limit)]

    for view in run_command(_work):
        _print(view)


def _review(withdrawal_id: uuid.UUID, *, approve: bool, by: str | None, note: str | None) -> None:
    async def _work(runtime: Runtime) -> StaffWithdrawalView:
        async with runtime.database.unit_of_work() as session:
            done = await decisions.review(
                session, withdrawal_id=withdrawal_id, approve=approve, actor=_actor(by), note=note
            )
            return StaffWithdrawalView.of(done)

    _print(run_command(_work))


@withdrawals_app.command("approve")
def approve(
    withdrawal_id: WithdrawalId,
    by: By = None,
    note: Annotated[str | None, typer.Option("--note")] = None,
) -> None:
    """Approve a withdrawal above the threshold; the running service pays it out."""
    _review(withdrawal_id, approve=True, by=by, note=note)


@withdrawals_app.command("reject")
def reject(
    withdrawal_id: WithdrawalId,
    note: Annotated[str, typer.Option("--note", help="Why; kept in the audit trail.")],
    by: By = None,
) -> None:
    """Reject a withdrawal; its funds return to the player's balance."""
    if not note.strip():
        raise typer.BadParameter("say why", param_hint="--note")
    _review(withdrawal_id, approve=False, by=by, note=note)


@payments_app.command("refund")
def refund(
    deposit_id: Annotated[uuid.UUID, typer.Argument(metavar="DEPOSIT_ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why; kept in the audit trail.")],
    amount: Annotated[int | None, typer.Option(help="Minor units; default all that is left.")] = None,
    key: Annotated[str | None, typer.Option(help="Idempotency key, to retry safely.")] = None,
    by: By = None,
) -> None:
    """Refund (part of) a deposit to its card; the running service submits it."""
    if not reason.strip():
        raise typer.BadParameter("say why", param_hint="--reason")

    async def _work(runtime: Runtime) -> RefundView:
        async with runtime.database.unit_of_work() as session:
            done, _ = await refunds.request(
                session,
                deposit_id=deposit_id,
                amount=amount,
                reason=reason,
                key=key or str(uuid.uuid4()),
                actor=_actor(by),
            )
            return RefundView.of(done)

    _print(run_command(_work))


@payments_app.command("submit")
def submit() -> None:
    """Hand every due payout and refund to the provider now (the service does this by itself)."""

    async def _work(runtime: Runtime) -> str:
        relay = SubmissionRelay.for_runtime(runtime)
        if relay is None:
            return "payments are not configured"
        report = await relay.drain()
        return f"submitted {report.submitted}, failed {report.failed}, deferred {report.deferred}"

    typer.echo(run_command(_work))
