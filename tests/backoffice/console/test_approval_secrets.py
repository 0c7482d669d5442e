"""Approving an OAuth client's registration in the console shows its secret on that page, once."""

from __future__ import annotations

import re

import httpx

from tests.backoffice.support import Desk


def _token(page: httpx.Response) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', page.text)
    assert found is not None, page.text
    return found[1]


async def test_the_approver_sees_the_new_clients_secret_once_and_it_works(desk: Desk) -> None:
    ann, bob = await desk.key("admin", name="ann"), await desk.key("admin", name="bob")
    asked = await desk.http.post(
        "/v1/staff/oauth/clients", json={"name": "warehouse", "scopes": ["reports:ggr"]}, headers=ann
    )
    assert asked.status_code == 202, asked.text
    page = await desk.http.get("/console/approvals", headers=bob)
    assert f'data-request="{asked.json()["id"]}"' in page.text

    approved = await desk.http.post(
        f"/console/approvals/{asked.json()['id']}/approve", data={"csrf": _token(page)}, headers=bob
    )

    assert approved.status_code == 200, approved.text
    assert approved.headers["cache-control"] == "no-store"
    shown = re.search(r"<dt>client_secret</dt><dd><code>(cro_[^<]+)</code>", approved.text)
    client_id = re.search(r"<dt>client_id</dt><dd><code>(oc_[^<]+)</code>", approved.text)
    assert shown is not None, approved.text
    assert client_id is not None, approved.text
    again = await desk.http.get("/console/approvals", headers=bob)
    assert shown[1] not in again.text
    granted = await desk.http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(client_id[1], shown[1])
    )
    assert granted.status_code == 200, granted.text
