"""Documents kept in an S3-compatible bucket (``CROUPIER_KYC_DOCUMENT_STORE=s3``), end to end
over HTTP: Croupier's API on one side, a real S3 endpoint (moto's server) on the other.

The bucket holds ciphertext under the document's id only; staff read documents back through
Croupier; erasure and retention remove the objects; a store that is down or refuses answers
503 ``kyc_document_store_unavailable``, records nothing and never shows its credentials.
"""

from __future__ import annotations

import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import boto3
import pytest
from moto.server import ThreadedMotoServer
from pydantic import ValidationError
from structlog.testing import capture_logs

from croupier.audit import service as audit
from croupier.audit.tags import AuditAction
from croupier.compliance.kyc.gateway import provider_of
from croupier.sandbox.kyc.documents import MARKER, Outcome, sandbox_document
from croupier.staff.service import StaffRole
from tests.cli_support import acroupier, bare_env_for, env_for, refused, succeeded
from tests.compliance.kyc.conftest import kyc_live_settings, served
from tests.compliance.kyc.test_verification import kyc, upload
from tests.conftest import make_settings
from tests.factories import SignedIn
from tests.kyc_sandbox import KycSandbox
from tests.kyc_support import kyc_staff_headers
from tests.payments.support import Live
from tests.psp_sandbox import PspSandbox
from tests.risk.support import staff_key
from tests.sql import sql

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

ACCESS_KEY_ID = "AKIAKYCSTORETEST0001"
SECRET_ACCESS_KEY = "kyc-s3-secret-that-must-never-be-shown-0123"
PREFIX = "kyc-documents"
PROBLEM_JSON = "application/problem+json"


@dataclass
class Bucket:
    s3: S3Client
    name: str
    endpoint_url: str

    def keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=self.name)
        return [entry["Key"] for entry in listed.get("Contents", [])]

    def content(self, key: str) -> bytes:
        return self.s3.get_object(Bucket=self.name, Key=key)["Body"].read()

    def settings(self, **overrides: Any) -> dict[str, Any]:
        """Croupier's settings for this bucket, as an operator gives them."""
        values = {
            "kyc_document_store": "s3",
            "kyc_s3_bucket": self.name,
            "kyc_s3_prefix": PREFIX,
            "kyc_s3_endpoint_url": self.endpoint_url,
            "kyc_s3_region": "us-east-1",
            "kyc_s3_access_key_id": ACCESS_KEY_ID,
            "kyc_s3_secret_access_key": SECRET_ACCESS_KEY,
            "kyc_s3_timeout_seconds": 2.0,
        }
        return values | overrides

    def env(self) -> dict[str, str]:
        return {f"CROUPIER_{name.upper()}": str(value) for name, value in self.settings().items()}


class StartLive(Protocol):
    def __call__(self, **overrides: Any) -> AbstractAsyncContextManager[Live]: ...


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """One S3 server over HTTP for the module; each test has a bucket of its own."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's per-request lines
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def bucket(s3_endpoint: str) -> Bucket:
    s3 = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name="us-east-1",
        aws_access_key_id=ACCESS_KEY_ID,
        aws_secret_access_key=SECRET_ACCESS_KEY,
    )
    name = f"kyc-{uuid.uuid4().hex[:16]}"
    s3.create_bucket(Bucket=name)
    return Bucket(s3=s3, name=name, endpoint_url=s3_endpoint)


@pytest.fixture
def start_live(
    database_url: str, keyring_json: str, tmp_path: Path, psp: PspSandbox, kyc_sandbox: KycSandbox
) -> StartLive:
    """Start a live Croupier with these settings (on top of the KYC tests' own)."""

    @asynccontextmanager
    async def start(**overrides: Any) -> AsyncIterator[Live]:
        settings = kyc_live_settings(database_url, keyring_json, tmp_path, psp, kyc_sandbox, **overrides)
        async for found in served(settings, psp):
            yield found

    return start


@pytest.fixture
async def s3_live(start_live: StartLive, bucket: Bucket) -> AsyncIterator[Live]:
    async with start_live(**bucket.settings()) as found:
        yield found


async def _uploaded(live: Live, player: SignedIn, content: bytes) -> dict[str, Any]:
    response = await upload(
        live, player, kind="proof_of_address", content=content, name="bill.pdf", declared="application/pdf"
    )
    assert response.status_code == 201, response.text
    document: dict[str, Any] = response.json()
    return document


async def _erase(live: Live, player: SignedIn) -> None:
    erased = await live.http.post(
        "/v1/staff/gdpr/erasures",
        json={"player_id": player.id, "reason": "the player asked"},
        headers=await staff_key(live.runtime, StaffRole.COMPLIANCE, f"carla-{uuid.uuid4().hex[:6]}"),
    )
    assert erased.status_code == 200, erased.text


async def _rows(live: Live, player: SignedIn) -> int:
    [(count,)] = await sql(
        live.runtime, "SELECT count(*) FROM kyc_documents WHERE player_id = :p", p=player.id
    )
    return int(count)


def _closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens once the socket is closed


class TestStorage:
    async def test_a_document_is_one_object_of_ciphertext_named_by_its_id_and_staff_read_it_back(
        self, s3_live: Live, bucket: Bucket
    ) -> None:
        player = await s3_live.player()
        content = sandbox_document(Outcome.APPROVE, "pdf")
        document = await _uploaded(s3_live, player, content)

        assert bucket.keys() == [f"{PREFIX}/{uuid.UUID(document['id']).hex}"]
        stored = bucket.content(bucket.keys()[0])
        assert content not in stored
        assert MARKER not in stored
        assert not s3_live.settings.kyc_documents_dir.exists()

        path = f"/v1/staff/kyc/players/{player.id}/documents/{document['id']}"
        read = await s3_live.http.get(path, headers=await kyc_staff_headers(s3_live.runtime, "vera"))
        assert (read.status_code, read.content, read.headers["content-type"]) == (
            200,
            content,
            "application/pdf",
        )

    async def test_a_document_whose_object_is_gone_is_no_longer_held(
        self, s3_live: Live, bucket: Bucket
    ) -> None:
        player = await s3_live.player()
        document = await _uploaded(s3_live, player, sandbox_document(Outcome.APPROVE, "pdf"))
        [key] = bucket.keys()
        bucket.s3.delete_object(Bucket=bucket.name, Key=key)

        path = f"/v1/staff/kyc/players/{player.id}/documents/{document['id']}"
        read = await s3_live.http.get(path, headers=await kyc_staff_headers(s3_live.runtime))
        assert (read.status_code, read.json()["code"]) == (404, "not_found")


class TestRemoval:
    async def test_erasure_removes_the_players_objects_and_keeps_the_rows_as_the_record(
        self, s3_live: Live, bucket: Bucket
    ) -> None:
        player, other = await s3_live.player(), await s3_live.player()
        await _uploaded(s3_live, player, sandbox_document(Outcome.APPROVE, "pdf"))
        kept = await _uploaded(s3_live, other, sandbox_document(Outcome.APPROVE, "pdf"))
        assert len(bucket.keys()) == 2

        await _erase(s3_live, player)

        assert bucket.keys() == [f"{PREFIX}/{uuid.UUID(kept['id']).hex}"]
        [(deleted_at,)] = await sql(
            s3_live.runtime, "SELECT deleted_at FROM kyc_documents WHERE player_id = :p", p=player.id
        )
        assert deleted_at is not None

    async def test_retention_removes_objects_past_their_period_and_those_an_outage_left_behind(
        self, s3_live: Live, bucket: Bucket
    ) -> None:
        old, erased, recent = await s3_live.player(), await s3_live.player(), await s3_live.player()
        await _uploaded(s3_live, old, sandbox_document(Outcome.APPROVE, "pdf"))
        left_behind = await _uploaded(s3_live, erased, sandbox_document(Outcome.APPROVE, "pdf"))
        current = await _uploaded(s3_live, recent, sandbox_document(Outcome.APPROVE, "pdf"))
        await sql(
            s3_live.runtime,
            "UPDATE kyc_documents SET created_at = now() - interval '6 years' WHERE player_id = :p",
            p=old.id,
        )
        # The erasure's removal as a store outage would leave it: the row says removed, the
        # object is still there.
        key = f"{PREFIX}/{uuid.UUID(left_behind['id']).hex}"
        sealed = bucket.content(key)
        await _erase(s3_live, erased)
        bucket.s3.put_object(Bucket=bucket.name, Key=key, Body=sealed)

        out = succeeded(await acroupier("gdpr", "retention", env=env_for(s3_live.settings, **bucket.env())))

        assert "removed 1 " in {line.split(":")[0]: line for line in out.splitlines()}["kyc_documents"]
        assert bucket.keys() == [f"{PREFIX}/{uuid.UUID(current['id']).hex}"]


class TestOutage:
    @pytest.mark.parametrize(
        "broken",
        [
            pytest.param({"kyc_s3_endpoint_url": f"http://127.0.0.1:{_closed_port()}"}, id="server down"),
            pytest.param({"kyc_s3_bucket": "kyc-no-such-bucket"}, id="bucket missing"),
        ],
    )
    async def test_an_upload_the_store_cannot_keep_answers_503_records_nothing_and_shows_no_secret(
        self, start_live: StartLive, bucket: Bucket, broken: dict[str, Any]
    ) -> None:
        async with start_live(**bucket.settings(**broken)) as live:
            player = await live.player()
            with capture_logs() as logs:
                response = await upload(live, player, kind="identity_document", content=sandbox_document())

            assert response.status_code == 503, response.text
            assert response.headers["content-type"] == PROBLEM_JSON
            assert response.json()["code"] == "kyc_document_store_unavailable"
            assert SECRET_ACCESS_KEY not in response.text
            assert [e for e in logs if e["event"] == "kyc_document_store_failed"] != []
            assert SECRET_ACCESS_KEY not in repr(logs)
            assert (await kyc(live, player))["documents"] == []
            assert await _rows(live, player) == 0
            async with live.runtime.database.unit_of_work() as session:
                assert await audit.events(session, action=str(AuditAction.KYC_DOCUMENT_UPLOAD)) == []
        assert bucket.keys() == []

    async def test_a_player_erased_during_the_upload_leaves_neither_row_nor_object(
        self, s3_live: Live, bucket: Bucket, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        player = await s3_live.player()
        provider = provider_of(s3_live.runtime)
        forward = provider.upload_document

        async def erased_meanwhile(**document: Any) -> str:
            await sql(
                s3_live.runtime,
                "UPDATE player_data_keys SET wrapped = NULL WHERE player_id = :p",
                p=player.id,
            )
            return await forward(**document)

        monkeypatch.setattr(provider, "upload_document", erased_meanwhile)
        response = await upload(s3_live, player, kind="identity_document", content=sandbox_document())

        assert (response.status_code, response.json()["code"]) == (410, "personal_data_erased")
        assert await _rows(s3_live, player) == 0
        assert bucket.keys() == []


class TestSettings:
    def test_s3_needs_a_bucket(self, tmp_path: Path, database_url: str, keyring_json: str) -> None:
        with pytest.raises(
            ValidationError, match="CROUPIER_KYC_DOCUMENT_STORE=s3 requires CROUPIER_KYC_S3_BUCKET"
        ):
            make_settings(database_url, keyring_json, tmp_path, kyc_document_store="s3")

    def test_an_access_key_needs_its_secret(
        self, tmp_path: Path, database_url: str, keyring_json: str
    ) -> None:
        with pytest.raises(ValidationError, match="go together"):
            make_settings(
                database_url,
                keyring_json,
                tmp_path,
                kyc_document_store="s3",
                kyc_s3_bucket="kyc",
                kyc_s3_access_key_id=ACCESS_KEY_ID,
            )

    def test_files_need_no_bucket(self, tmp_path: Path, database_url: str, keyring_json: str) -> None:
        assert make_settings(database_url, keyring_json, tmp_path).kyc_document_store == "file"

    async def test_croupier_refuses_to_start_on_s3_without_a_bucket(self, tmp_path: Path) -> None:
        env = bare_env_for(tmp_path) | {
            "CROUPIER_KYC_DOCUMENT_STORE": "s3",
            "CROUPIER_KYC_S3_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "CROUPIER_KYC_S3_ACCESS_KEY_ID": ACCESS_KEY_ID,
        }
        result = await acroupier("serve", env=env)
        refused(result, "CROUPIER_KYC_DOCUMENT_STORE=s3 requires CROUPIER_KYC_S3_BUCKET")
        assert SECRET_ACCESS_KEY not in result.stderr + result.stdout
