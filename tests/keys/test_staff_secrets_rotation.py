"""Staff TOTP secrets, sealed under the KEK itself, follow a rotation: `croupier keys rewrap`
reseals them and `croupier keys retire` refuses while one still needs the old version."""

from __future__ import annotations

import httpx

from croupier.kit.runtime import Runtime
from tests.keys.test_key_rotation import Keys, keys
from tests.staff.support import code_for, onboard, sign_in

__all__ = ["keys"]


async def test_a_staff_member_signs_in_through_a_whole_rotation(
    client: httpx.AsyncClient, runtime: Runtime, keys: Keys
) -> None:
    staff = await onboard(client, runtime, "rota@casino.example", "risk")
    assert (await keys("rotate"))[0] == 0

    code, out = await keys("retire", "1")
    assert code == 1
    assert "1 staff TOTP secret(s) are still sealed under KEK version 1" in out

    assert (await keys("rewrap"))[0] == 0
    code, out = await keys("retire", "1")
    assert code == 0, out

    session = (await sign_in(client, staff.email)).json()["token"]
    done = await client.post(
        "/v1/staff/sessions/current/mfa",
        json={"code": code_for(staff.secret, steps_ahead=1)},
        headers={"Authorization": f"Bearer {session}"},
    )
    assert done.status_code == 200, done.text
