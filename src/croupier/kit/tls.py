"""The served certificate's expiry, for the alert that fires weeks before it lapses."""

from __future__ import annotations

from pathlib import Path

from cryptography import x509


def certificate_expiry(path: Path) -> float:
    """notAfter of the first certificate in a PEM file (the leaf), as Unix time."""
    leaf = x509.load_pem_x509_certificate(path.read_bytes())
    return leaf.not_valid_after_utc.timestamp()
