"""One entry point for every format: the file's bytes in, the entries and the file's SHA-256 out."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from croupier.risk.sanctions.formats import (
    MAX_FILE_BYTES,
    ListedEntry,
    ListFileInvalid,
    ListFormat,
    eu,
    ofac,
    un,
)


@dataclass(frozen=True)
class ListFile:
    format: ListFormat
    file_name: str
    sha256: str  # of the file, and of alt.csv after it when there is one
    entries: list[ListedEntry]


def _bytes(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ListFileInvalid(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MiB")
        return path.read_bytes()
    except OSError as exc:
        raise ListFileInvalid(f"cannot read {path.name}: {exc.strerror or exc}") from None


def alt_beside(path: Path) -> Path | None:
    """OFAC's alt.csv next to sdn.csv (ALT.CSV, alt.csv, or sdn's own case), if it is there."""
    for name in ("alt.csv", "ALT.CSV", "Alt.csv"):
        candidate = path.with_name(name)
        if candidate.is_file():
            return candidate
    return None


def read(path: Path, list_format: ListFormat, *, alt: Path | None = None) -> ListFile:
    data = _bytes(path)
    digest = hashlib.sha256(data)
    if list_format is ListFormat.OFAC_CSV:
        alt = alt or alt_beside(path)
        alt_data = _bytes(alt) if alt is not None else None
        if alt_data is not None:
            digest.update(alt_data)
        entries = ofac.parse(data, alt_data)
    elif list_format is ListFormat.EU_XML:
        entries = eu.parse(data)
    else:
        entries = un.parse(data)
    return ListFile(format=list_format, file_name=path.name, sha256=digest.hexdigest(), entries=entries)
