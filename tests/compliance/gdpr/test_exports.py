"""Access and portability (GDPR art. 15, 20): a JSON archive of everything held about the
player, built by a background job, downloadable once over an expiring link."""

from __future__ import annotations

import asyncio
import json
import signal

from tests.cli_support import CROUPIER, env_for
from tests.compliance.gdpr.support import player_with_history, problem, ready_export
from tests.payments.support import Live
from tests.sql import sql
from tests.waiting import wait_until

SECTIONS = {"profile", "sessions", "consents", "wallet", "rounds", "payments", "audit_events"}


async def test_an_export_holds_everything_about_the_player_and_downloads_once(live: Live) -> None:
    player = await player_with_history(live, first_name="Grace", last_name="Hopper", postcode="eh1 1yz")
    other = await player_with_history(live)
    shown = await ready_export(live, player)
    assert shown["download_path"] == f"/v1/me/exports/{shown['id']}/archive"

    # Stored sealed under the player's data key, never in clear.
    [(archive,)] = await sql(live.runtime, "SELECT archive FROM data_exports WHERE id = :i", i=shown["id"])
    assert player.email.encode() not in archive
    assert b"Hopper" not in archive
    assert b"EH1 1YZ" not in archive

    # Another player cannot reach it.
    problem(await live.http.get(shown["download_path"], headers=other.headers), 404, "not_found")

    response = await live.http.get(shown["download_path"], headers=player.headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    assert "attachment" in response.headers["content-disposition"]
    archive_doc = json.loads(response.content)
    assert archive_doc["format"] == "croupier.export/1"
    assert archive_doc["player_id"] == player.id
    sections = archive_doc["sections"]
    assert set(sections) >= SECTIONS
    assert sections["profile"]["email"] == player.email
    assert (sections["profile"]["first_name"], sections["profile"]["last_name"]) == ("Grace", "Hopper")
    assert sections["profile"]["postcode"] == "EH1 1YZ"
    assert len(sections["sessions"]) == 1
    assert {b["currency"]: b["available"] for b in sections["wallet"]["balances"]}["EUR"] > 0
    assert len(sections["wallet"]["entries"]) >= 2  # the deposit and the round
    assert [r["game"] for r in sections["rounds"]] == ["dice"]
    assert [d["amount"] for d in sections["payments"]["deposits"]] == [5_000]
    assert sections["payments"]["payment_methods"][0]["last4"] == "4242"
    actions = {e["action"] for e in sections["audit_events"]}
    assert {"identity:player:register", "identity:session:sign_in", "gdpr:export:request"} <= actions
    assert sections["consents"]["history"] == []

    # Once: the archive is destroyed by its download.
    problem(await live.http.get(shown["download_path"], headers=player.headers), 410, "export_gone")
    listed = (await live.http.get("/v1/me/exports", headers=player.headers)).json()["items"]
    assert [(e["status"], e["download_path"]) for e in listed] == [("downloaded", None)]
    assert await sql(live.runtime, "SELECT archive FROM data_exports WHERE id = :i", i=shown["id"]) == [
        (None,)
    ]
    downloads = await sql(
        live.runtime,
        "SELECT count(*) FROM audit_events WHERE action = 'gdpr:export:download' AND target_id = :p",
        p=player.id,
    )
    assert downloads == [(1,)]


async def test_an_export_expires_unread_and_only_one_waits_at_a_time(live: Live) -> None:
    player = await live.player()
    shown = await ready_export(live, player)
    problem(await live.http.post("/v1/me/exports", headers=player.headers), 409, "export_in_progress")

    await sql(
        live.runtime,
        "UPDATE data_exports SET expires_at = now() - interval '1 second' WHERE id = :i",
        i=shown["id"],
    )
    view = (await live.http.get(f"/v1/me/exports/{shown['id']}", headers=player.headers)).json()
    assert (view["status"], view["download_path"]) == ("expired", None)
    problem(await live.http.get(shown["download_path"], headers=player.headers), 410, "export_gone")
    problem(
        await live.http.get("/v1/me/exports/00000000-0000-0000-0000-000000000000", headers=player.headers),
        404,
        "not_found",
    )


async def test_jobs_run_in_a_worker_of_their_own_and_a_lost_job_is_found_again(
    live_without_jobs: Live,
) -> None:
    live = live_without_jobs
    asked = {}
    for name in ("kept", "lost"):
        player = await live.player()
        response = await live.http.post("/v1/me/exports", headers=player.headers)
        assert response.status_code == 202, response.text
        asked[name] = (player, response.json()["id"])
    # Deferred by the API process, which runs no jobs itself.
    todo = await sql(
        live.runtime, "SELECT args->>'export_id', task_name FROM procrastinate_jobs WHERE status = 'todo'"
    )
    assert sorted(todo) == sorted((export_id, "gdpr:build_export") for _, export_id in asked.values())
    # As if the process had died between the commit and the deferral: the sweep finds it again.
    await sql(
        live.runtime, "DELETE FROM procrastinate_jobs WHERE args->>'export_id' = :i", i=asked["lost"][1]
    )

    worker = await asyncio.create_subprocess_exec(
        str(CROUPIER),
        "jobs",
        "worker",
        env=env_for(live.settings),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:

        async def built() -> bool:
            for player, export_id in asked.values():
                view = await live.http.get(f"/v1/me/exports/{export_id}", headers=player.headers)
                if view.json()["status"] != "ready":
                    return False
            return True

        await wait_until(built, within=90, interval=0.2)
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(worker.communicate(), timeout=60)
    stderr = err.decode()
    assert worker.returncode == 0, stderr
    assert "Traceback" not in stderr
