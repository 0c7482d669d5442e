"""HAProxy's configuration for Croupier, from one template: the production file in
``deploy/haproxy/haproxy.cfg`` and the one ``croupier drill balancer`` runs on loopback differ only
in addresses, process settings and health-check timing, so the drill tests the options production uses.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from string import Template

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


@dataclass(frozen=True)
class CheckTiming:
    """``/readyz`` checks: every ``inter`` while up, ``fastinter`` while changing, ``downinter`` while down;
    ``fall`` failures mark a node down, ``rise`` successes bring it back."""

    inter: str
    fastinter: str
    downinter: str
    fall: int
    rise: int


@dataclass(frozen=True)
class Profile:
    note: str
    process: Sequence[str]  # global-section lines: user, chroot, stats socket, …
    log: str
    maxconn: int
    certificate: str
    https_bind: str
    http_bind: str
    stats_bind: str
    check: CheckTiming
    servers: Sequence[tuple[str, str]]  # (name, host:port)


PRODUCTION = Profile(
    note="# Edit the addresses and the certificate path; keep the options (the drill checks them).",
    process=[
        "    chroot /var/lib/haproxy",
        "    user haproxy",
        "    group haproxy",
        "    daemon",
        "    stats socket /run/haproxy/admin.sock mode 660 level admin",
    ],
    log="/dev/log",
    maxconn=20000,
    # One PEM per host name (certificate chain, then key); HAProxy picks by SNI.
    certificate="/etc/haproxy/certs/",
    https_bind=":443",
    http_bind=":80",
    stats_bind="127.0.0.1:8404",
    # A node is out of rotation within about 3 s of failing (up to inter, then 2 x fastinter)
    # and back 2 checks (about 2 s) after it answers again.
    check=CheckTiming(inter="2s", fastinter="500ms", downinter="1s", fall=3, rise=2),
    servers=[("node-1", "10.0.1.11:8000"), ("node-2", "10.0.1.12:8000"), ("node-3", "10.0.1.13:8000")],
)

# The drill's timing: as production, shorter, so that a short run sees the node leave and return.
DRILL_CHECK = CheckTiming(inter="500ms", fastinter="200ms", downinter="250ms", fall=2, rise=2)


def render(profile: Profile) -> str:
    template = Template(resources.files("croupier.operations").joinpath("haproxy.cfg.template").read_text())
    return template.substitute(
        note=profile.note,
        process="\n".join(profile.process),
        log=profile.log,
        maxconn=profile.maxconn,
        certificate=profile.certificate,
        https_bind=profile.https_bind,
        http_bind=profile.http_bind,
        stats_bind=profile.stats_bind,
        inter=profile.check.inter,
        fastinter=profile.check.fastinter,
        downinter=profile.check.downinter,
        fall=profile.check.fall,
        rise=profile.check.rise,
        servers="\n".join(f"    server {name} {address}" for name, address in profile.servers),
    )


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate for 127.0.0.1 and localhost: the PEM HAProxy loads (certificate and
    key) and the certificate alone, for the client to trust."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "croupier drill")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    folder.mkdir(parents=True, exist_ok=True)
    bundle, trusted = folder / "haproxy.pem", folder / "ca.pem"
    bundle.touch(mode=0o600)
    bundle.write_bytes(cert_pem + key_pem)
    trusted.write_bytes(cert_pem)
    return bundle, trusted
