"""HAProxy's configuration (deploy/haproxy/haproxy.cfg and the drill's, one template): HAProxy accepts
it, and the template, run by a real HAProxy in front of stand-in nodes, terminates TLS as promised and
replays only requests that are safe to replay."""

from __future__ import annotations

import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from croupier.operations import haproxy
from croupier.operations.drills.proxy import HAProxy
from tests.operations.debian_tools import require

pytestmark = pytest.mark.slow  # starts haproxy

DEPLOYED = Path(__file__).resolve().parents[2] / "deploy" / "haproxy" / "haproxy.cfg"


def test_the_deployed_configuration_is_the_template_rendered_for_production() -> None:
    assert DEPLOYED.read_text() == haproxy.render(haproxy.PRODUCTION), (
        "deploy/haproxy/haproxy.cfg differs from the template: render it again with "
        "croupier.operations.haproxy.render(PRODUCTION)"
    )


def test_haproxy_accepts_the_production_configuration_without_warnings(tmp_path: Path) -> None:
    binary = require("haproxy")
    bundle, _ = haproxy.self_signed_certificate(tmp_path)
    # The one thing a test machine lacks: the production certificate.
    config = tmp_path / "haproxy.cfg"
    config.write_text(DEPLOYED.read_text().replace(haproxy.PRODUCTION.certificate, str(bundle)))
    checked = subprocess.run(  # noqa: S603 - Debian's haproxy, arguments chosen by the test
        [binary, "-c", "-f", str(config)], capture_output=True, text=True, timeout=30, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "WARNING" not in checked.stdout + checked.stderr


class StandIn(BaseHTTPRequestHandler):
    """A node: ready, echoes the forwarding headers; a ``crashing`` one drops every POST unanswered."""

    crashing = False

    def do_GET(self) -> None:
        body = f"{self.headers.get('X-Forwarded-For')} {self.headers.get('X-Forwarded-Proto')}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.crashing:
            time.sleep(0.05)  # working on it…
            self.close_connection = True  # …and killed: nothing comes back
            return
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


class Crashing(StandIn):
    crashing = True


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HAProxy]:
    require("haproxy")
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), handler) for handler in (Crashing, StandIn)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    addresses = [f"127.0.0.1:{server.server_address[1]}" for server in servers]
    try:
        with HAProxy(
            tmp_path_factory.mktemp("haproxy"), list(zip(["crashing", "steady"], addresses, strict=True))
        ) as p:
            yield p
    finally:
        for server in servers:
            server.shutdown()


def handshake(proxy: HAProxy, context: ssl.SSLContext) -> tuple[str | None, str | None]:
    """TLS version and cipher the proxy agreed to, or raise ``ssl.SSLError``."""
    with (
        socket.create_connection(("127.0.0.1", proxy.https_port), timeout=5) as raw,
        context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        cipher = tls.cipher()
        return tls.version(), None if cipher is None else cipher[0]


def test_tls_1_3_is_what_a_current_client_gets(proxy: HAProxy) -> None:
    version, _ = handshake(proxy, proxy.tls())
    assert version == "TLSv1.3"


def test_tls_1_2_is_offered_with_aead_suites_only(proxy: HAProxy) -> None:
    context = proxy.tls()
    context.maximum_version = ssl.TLSVersion.TLSv1_2
    assert handshake(proxy, context) == ("TLSv1.2", "ECDHE-ECDSA-AES128-GCM-SHA256")
    context.set_ciphers("ECDHE-ECDSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384")  # CBC
    with pytest.raises(ssl.SSLError):
        handshake(proxy, context)


@pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")
def test_tls_below_1_2_is_refused(proxy: HAProxy) -> None:
    context = proxy.tls()
    context.set_ciphers("DEFAULT:@SECLEVEL=0")  # let this client offer what the proxy must refuse
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    with pytest.raises(ssl.SSLError):
        handshake(proxy, context)


def test_https_answers_carry_hsts_and_plain_http_is_redirected(proxy: HAProxy) -> None:
    answer = httpx.get(f"{proxy.url}/readyz", verify=proxy.tls())
    assert answer.headers["Strict-Transport-Security"] == "max-age=63072000; includeSubDomains"
    plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}/readyz")
    assert plain.status_code == 301
    assert plain.headers["Location"].startswith("https://")
    assert "Strict-Transport-Security" not in plain.headers


def test_nodes_see_the_address_haproxy_saw_not_the_one_the_client_claims(proxy: HAProxy) -> None:
    answer = httpx.get(f"{proxy.url}/echo", verify=proxy.tls(), headers={"X-Forwarded-For": "203.0.113.9"})
    assert answer.text == "127.0.0.1 https"


def test_a_post_with_an_idempotency_key_is_replayed_on_another_node(proxy: HAProxy) -> None:
    with httpx.Client(base_url=proxy.url, verify=proxy.tls()) as http:
        statuses = [
            http.post(
                "/v1/games/dice/rounds", content=b"{}", headers={"Idempotency-Key": f"k{i}"}
            ).status_code
            for i in range(4)
        ]
    # Round robin sends every other one to the node that drops it; HAProxy replays those.
    assert statuses == [201] * 4, proxy.log.read_text()[-3000:]


def test_a_post_without_a_key_is_never_replayed(proxy: HAProxy) -> None:
    with httpx.Client(base_url=proxy.url, verify=proxy.tls()) as http:
        statuses = [http.post("/v1/sessions", content=b"{}").status_code for _ in range(4)]
    # The dropped ones may have been executed: the client is told (502), HAProxy does not guess.
    assert 502 in statuses
    assert set(statuses) <= {201, 502}
