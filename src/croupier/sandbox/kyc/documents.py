"""Deterministic test documents: real JPEG, PNG and PDF files carrying the outcome they ask for.

The sandbox reads the marker ``croupier-sandbox-kyc:<outcome>`` in a document (a JPEG
comment, a PNG text chunk, a PDF comment); a document without one is approved.
"""

from __future__ import annotations

import struct
import zlib
from enum import StrEnum
from typing import Literal

MARKER = b"croupier-sandbox-kyc:"


class Outcome(StrEnum):
    APPROVE = "approve"
    REJECT_RETRY = "reject-retry"
    REJECT_FINAL = "reject-final"
    PENDING = "pending"  # the check never completes


# When documents disagree, the worst one decides.
SEVERITY = (Outcome.APPROVE, Outcome.REJECT_RETRY, Outcome.REJECT_FINAL, Outcome.PENDING)


def outcome_of(data: bytes) -> Outcome:
    at = data.find(MARKER)
    if at < 0:
        return Outcome.APPROVE
    tail = data[at + len(MARKER) : at + len(MARKER) + 16]
    for outcome in sorted(Outcome, key=lambda o: -len(o.value)):
        if tail.startswith(outcome.value.encode()):
            return outcome
    return Outcome.APPROVE


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def sandbox_document(
    outcome: Outcome = Outcome.APPROVE, file_type: Literal["jpeg", "png", "pdf"] = "jpeg"
) -> bytes:
    """A small, well-formed file of ``file_type`` that makes the sandbox answer ``outcome``."""
    marker = MARKER + outcome.value.encode()
    if file_type == "png":
        header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
        pixels = zlib.compress(b"\x00\x80")
        return (
            b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", header)
            + _png_chunk(b"tEXt", b"Comment\x00" + marker)
            + _png_chunk(b"IDAT", pixels)
            + _png_chunk(b"IEND", b"")
        )
    if file_type == "pdf":
        return (
            b"%PDF-1.4\n%"
            + marker
            + b"\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
        )
    comment = b"\xff\xfe" + struct.pack(">H", len(marker) + 2) + marker
    jfif = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return b"\xff\xd8" + jfif + comment + b"\xff\xd9"
