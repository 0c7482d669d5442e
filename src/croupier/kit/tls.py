"""TLS for ``croupier serve``: a modern server context, and the client certificate the app sees.

uvicorn's own options set the cipher list but not the lowest protocol version, so
``croupier serve`` hands uvicorn a context factory (``ssl_context_factory``) that builds
the whole context here. uvicorn does not tell the app about the client's certificate
either: with a client authority configured, connections are served by
``ClientCertificateProtocol``, which puts the ASGI ``tls`` extension into each scope.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography import x509
from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

# TLS 1.2 only: forward secrecy (ECDHE) and AEAD (AES-GCM, ChaCha20-Poly1305). TLS 1.3's
# suites all are both, and OpenSSL keeps them whatever this list says.
TLS12_CIPHERS = "ECDHE+AESGCM:ECDHE+CHACHA20"
_TLS13 = 0x0304
_TLS_VERSION_CODES = {"TLSv1.2": 0x0303, "TLSv1.3": _TLS13}


def server_context(certfile: Path, keyfile: Path | None, client_ca: Path | None) -> ssl.SSLContext:
    """TLS 1.2 at least (the highest both sides speak wins: 1.3), no compression, no renegotiation."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.set_ciphers(TLS12_CIPHERS)
    context.options |= (
        ssl.OP_NO_COMPRESSION  # CRIME
        | ssl.OP_NO_RENEGOTIATION  # client-initiated renegotiation: a cheap CPU sink
        | ssl.OP_CIPHER_SERVER_PREFERENCE
        | ssl.OP_SINGLE_ECDH_USE
    )
    context.load_cert_chain(certfile, keyfile)
    if client_ca is not None:
        # Asked, not demanded: only the provider paths need one (ClientCertificateGate). A
        # certificate offered is verified during the handshake; one that fails ends it.
        context.verify_mode = ssl.CERT_OPTIONAL
        context.load_verify_locations(cafile=client_ca)
    return context


def uvicorn_context(config: Config, _default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's ``ssl_context_factory``: a module-level function, so it reaches spawned workers."""
    if config.ssl_certfile is None:  # uvicorn calls it only when serving TLS
        raise ValueError("TLS needs a certificate file")
    keyfile = Path(config.ssl_keyfile) if config.ssl_keyfile else None
    client_ca = Path(config.ssl_ca_certs) if config.ssl_ca_certs else None
    return server_context(Path(config.ssl_certfile), keyfile, client_ca)


def tls_extension(transport: Any) -> dict[str, Any] | None:
    """The ASGI ``tls`` extension for one connection, or None when it is not TLS."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    # The handshake is over when the protocol hears of the connection: a certificate here
    # was verified against the client authority (CERT_OPTIONAL refuses one that is not).
    der = ssl_object.getpeercert(binary_form=True)
    subject: Any = (ssl_object.getpeercert() or {}).get("subject", ()) if der else ()
    version = ssl_object.version()
    return {
        "server_cert": None,
        "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
        "client_cert_name": ",".join(f"{key}={value}" for rdn in subject for key, value in rdn) or None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSION_CODES.get(version or ""),
        "cipher_suite": None,
    }


class ClientCertificateProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol, passing each request the connection's ``tls`` extension."""

    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        extension = tls_extension(transport)
        if extension is not None:
            self.app = _with_tls(self.app, extension)


def _with_tls(app: ASGIApp, extension: dict[str, Any]) -> ASGIApp:
    async def app_with_tls(scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("extensions", {})["tls"] = extension
        await app(scope, receive, send)

    return app_with_tls


def certificate_expiry(path: Path) -> float:
    """notAfter of the first certificate in a PEM file (the leaf), as Unix time: for the expiry alert."""
    leaf = x509.load_pem_x509_certificate(path.read_bytes())
    return leaf.not_valid_after_utc.timestamp()
