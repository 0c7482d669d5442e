"""``croupier serve`` over TLS: a real process, handshakes made with the standard library.

One server for the module (a start costs seconds): TLS from CROUPIER_TLS_CERTFILE/KEYFILE,
client certificates asked for (CROUPIER_TLS_CLIENT_CA) and required on the provider paths.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import ssl
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from croupier.kit.tls import server_context
from tests.test_serve_process import (
    READY_WITHIN_SECONDS,
    Server,
    clean_env,
    croupier_command,
    stop_embedded_database,
)
from tests.tls_support import Certificates, make_certificates

pytestmark = pytest.mark.slow


class TlsServer:
    def __init__(self, server: Server, certificates: Certificates) -> None:
        self.server = server
        self.certificates = certificates
        self.port = server.port
        self.base_url = f"https://127.0.0.1:{server.port}"

    def client(self, *, with_certificate: bool = False) -> httpx.Client:
        context = self.certificates.client_context(with_certificate=with_certificate)
        return httpx.Client(base_url=self.base_url, verify=context, timeout=30)

    def handshake(self, context: ssl.SSLContext) -> tuple[str | None, str]:
        """The protocol version and cipher suite the server agrees to with ``context``."""
        with (
            socket.create_connection(("127.0.0.1", self.port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            cipher = tls.cipher()
            assert cipher is not None
            return tls.version(), cipher[0]


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    # Outside pytest's temp tree, like test_serve_process: the embedded server's user must enter it.
    root = Path(tempfile.mkdtemp(prefix="croupier-tls-"))
    root.chmod(0o755)
    folder = root / "data"
    certificates = make_certificates(tmp_path_factory.mktemp("tls"))
    server = Server(folder, folder.parent / "serve.log")
    server.env = {
        "CROUPIER_TLS_CERTFILE": str(certificates.server_cert),
        "CROUPIER_TLS_KEYFILE": str(certificates.server_key),
        "CROUPIER_TLS_CLIENT_CA": str(certificates.ca),
        "CROUPIER_TLS_CLIENT_CERT_REQUIRED": "true",
    }
    server.start()
    running = TlsServer(server, certificates)
    try:
        _wait_ready(running)
        yield running
    finally:
        server.kill()
        stop_embedded_database(folder)
        shutil.rmtree(root, ignore_errors=True)


def _wait_ready(tls: TlsServer) -> None:
    process = tls.server.process
    assert process is not None
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    with tls.client() as http:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"serve exited with {process.returncode}:\n{tls.server.stderr()}")
            try:
                if http.get("/readyz").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
    pytest.fail(f"not ready within {READY_WITHIN_SECONDS:.0f} s:\n{tls.server.stderr()}")


def _client_context(certificates: Certificates, *, version: ssl.TLSVersion, ciphers: str) -> ssl.SSLContext:
    context = certificates.client_context()
    # Below the library's own defaults, so that only the server can be the one refusing.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.1, on purpose
        context.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
        context.maximum_version = version
    context.set_ciphers(f"{ciphers}:@SECLEVEL=0")
    return context


def _with_a_server_taking_anything(
    certificates: Certificates, client: ssl.SSLContext
) -> tuple[str | None, str]:
    """What ``client`` negotiates with a server that accepts every version and suite: it does offer them."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    server.set_ciphers("ALL:@SECLEVEL=0")
    server.load_cert_chain(certificates.server_cert, certificates.server_key)
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def accept_one() -> None:
            conn, _ = listener.accept()
            with contextlib.suppress(OSError), server.wrap_socket(conn, server_side=True) as tls:
                tls.recv(1)

        threading.Thread(target=accept_one, daemon=True).start()
        with (
            socket.create_connection(listener.getsockname(), timeout=10) as raw,
            client.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
        ):
            cipher = tls.cipher()
            assert cipher is not None
            return tls.version(), cipher[0]


def test_tls_1_3_is_negotiated_by_default(tls_server: TlsServer) -> None:
    version, _ = tls_server.handshake(tls_server.certificates.client_context())
    assert version == "TLSv1.3"


def test_tls_1_1_is_refused(tls_server: TlsServer) -> None:
    context = _client_context(tls_server.certificates, version=ssl.TLSVersion.TLSv1_1, ciphers="ALL")
    assert _with_a_server_taking_anything(tls_server.certificates, context)[0] == "TLSv1.1"
    with pytest.raises(ssl.SSLError):
        tls_server.handshake(context)


def test_tls_1_2_takes_forward_secret_aead_suites_only(tls_server: TlsServer) -> None:
    for aead in ("ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-ECDSA-CHACHA20-POLY1305"):
        context = _client_context(tls_server.certificates, version=ssl.TLSVersion.TLSv1_2, ciphers=aead)
        assert tls_server.handshake(context) == ("TLSv1.2", aead)
    for cbc in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384"):
        context = _client_context(tls_server.certificates, version=ssl.TLSVersion.TLSv1_2, ciphers=cbc)
        assert _with_a_server_taking_anything(tls_server.certificates, context) == ("TLSv1.2", cbc)
        with pytest.raises(ssl.SSLError):
            tls_server.handshake(context)


def test_https_answers_carry_hsts(tls_server: TlsServer) -> None:
    with tls_server.client() as http:
        answer = http.get("/healthz")
    assert answer.status_code == 200
    assert answer.headers["strict-transport-security"] == "max-age=63072000; includeSubDomains"


@pytest.mark.parametrize("path", ["/v1/webhooks/psp", "/providers/hub88/sandbox/user/info"])
def test_provider_paths_refuse_a_connection_without_a_client_certificate(
    tls_server: TlsServer, path: str
) -> None:
    with tls_server.client() as http:
        refused = http.post(path, json={})
    assert refused.status_code == 403
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "client_certificate_required"

    with tls_server.client(with_certificate=True) as http:
        passed = http.post(path, json={})
    # Past the gate: the endpoint's own checks (signatures, provider names) answer now.
    assert passed.status_code != 403, passed.text
    assert passed.headers["content-type"] != "application/problem+json" or (
        passed.json()["code"] != "client_certificate_required"
    )


def test_other_paths_need_no_client_certificate(tls_server: TlsServer) -> None:
    with tls_server.client() as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/v1/games").status_code != 403


def test_a_certificate_from_another_authority_fails_the_handshake(
    tls_server: TlsServer, tmp_path: Path
) -> None:
    stranger = make_certificates(tmp_path / "stranger")
    context = tls_server.certificates.client_context()
    context.load_cert_chain(stranger.client_cert, stranger.client_key)
    with (
        pytest.raises((ssl.SSLError, ConnectionResetError, httpx.TransportError)),
        httpx.Client(base_url=tls_server.base_url, verify=context, timeout=30) as http,
    ):
        http.get("/healthz")


def test_the_server_context_refuses_compression_and_renegotiation(tmp_path: Path) -> None:
    certificates = make_certificates(tmp_path)
    context = server_context(certificates.server_cert, certificates.server_key, None)
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.options & ssl.OP_NO_COMPRESSION
    assert context.options & ssl.OP_NO_RENEGOTIATION
    assert context.verify_mode == ssl.CERT_NONE
    tls12 = {c["name"] for c in context.get_ciphers() if c["protocol"] == "TLSv1.2"}
    assert tls12, "no TLS 1.2 suite at all"
    assert all(("GCM" in name or "CHACHA20" in name) and name.startswith("ECDHE") for name in tls12), tls12


@pytest.mark.parametrize(
    ("settings", "refusal"),
    [
        ({"CROUPIER_TLS_CLIENT_CERT_REQUIRED": "true"}, "CROUPIER_TLS_CLIENT_CERT_REQUIRED needs"),
        ({"CROUPIER_TLS_CLIENT_CA": "/etc/ca.pem"}, "CROUPIER_TLS_CLIENT_CA needs CROUPIER_TLS_CERTFILE"),
    ],
)
def test_incomplete_client_certificate_settings_are_refused_at_start(
    tmp_path: Path, settings: dict[str, str], refusal: str
) -> None:
    refused = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [*croupier_command(), "serve"],
        env=clean_env(tmp_path / "data", **settings),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 1
    assert refusal in refused.stderr
