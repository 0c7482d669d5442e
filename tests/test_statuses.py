"""Each status is defined once, as an enumeration, and the database accepts exactly its values."""

from __future__ import annotations

import re
from enum import StrEnum

import pytest

from croupier.backoffice.approvals.models import ApprovalStatus
from croupier.compliance.kyc.models import CheckStatus
from croupier.identity.models import PlayerStatus
from croupier.kit.runtime import Runtime
from croupier.payments.models import DepositStatus, RefundStatus, WithdrawalStatus
from croupier.risk.cases import CaseStatus
from croupier.wallet.models import HoldStatus, TransferStatus
from croupier.wallet.repository import PostOutcome
from tests.sql import sql


@pytest.mark.parametrize(
    ("table", "statuses"),
    [
        ("players", PlayerStatus),
        ("ledger_transfers", TransferStatus),
        ("ledger_holds", HoldStatus),
        ("deposits", DepositStatus),
        ("withdrawals", WithdrawalStatus),
        ("refunds", RefundStatus),
        ("risk_cases", CaseStatus),
        ("kyc_checks", CheckStatus),
        ("approval_requests", ApprovalStatus),
    ],
)
async def test_the_database_accepts_exactly_the_statuses_the_code_knows(
    runtime: Runtime, table: str, statuses: type[StrEnum]
) -> None:
    [(definition,)] = await sql(
        runtime,
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :name",
        name=f"ck_{table}_status_known",
    )
    assert set(re.findall(r"'(\w+)'", definition)) == {str(s) for s in statuses}


async def test_ledger_post_answers_only_the_outcomes_the_code_knows(runtime: Runtime) -> None:
    [(body,)] = await sql(runtime, "SELECT prosrc FROM pg_proc WHERE proname = 'ledger_post'")
    answered = set(re.findall(r"RETURN QUERY SELECT '(\w+)'::text", body))
    assert answered == {str(o) for o in PostOutcome}
