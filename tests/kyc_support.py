"""Raising a test player's KYC level the way a reviewer does: a ``kyc`` staff key and the staff API.

Withdrawals need KYC level ``full`` (and deposits past EUR 2,000 do too), so every test that
withdraws or deposits that much first calls ``verify_kyc``. It goes through
``PUT /v1/staff/kyc/players/{id}/level`` over the same client the test uses, so the change is
made, audited and announced (``kyc_changed``) exactly as in production.
"""

from __future__ import annotations

import uuid

import httpx

from croupier.kit.runtime import Runtime
from croupier.staff import service as staff
from croupier.staff.service import StaffRole


async def kyc_staff_headers(runtime: Runtime, name: str | None = None) -> dict[str, str]:
    """A new staff key with the ``kyc`` role, as request headers."""
    async with runtime.database.unit_of_work() as session:
        secret = await staff.issue(
            session, name=name or f"kyc-{uuid.uuid4().hex[:8]}", role=StaffRole.KYC, issued_by="tests"
        )
    return {"Authorization": f"Bearer {secret}"}


async def verify_kyc(http: httpx.AsyncClient, runtime: Runtime, player_id: str, level: str = "full") -> None:
    """Raise the player to ``level`` (``full`` by default) through the staff API."""
    response = await http.put(
        f"/v1/staff/kyc/players/{player_id}/level",
        json={"level": level, "reason": "test player verified"},
        headers=await kyc_staff_headers(runtime),
    )
    assert response.status_code == 200, response.text
    assert response.json()["level"] == level
