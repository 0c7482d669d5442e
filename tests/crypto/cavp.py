"""A reader for NIST CAVP ``.rsp`` response files, as shipped by cryptography_vectors.

The format: ``#`` comments; ``[Name = value]`` lines that set parameters for the
vectors after them; ``Name = value`` lines, a blank line ending each vector; and
a bare ``FAIL`` line marking a decryption vector whose tag must be rejected.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cryptography_vectors

GCM_DIR = "ciphers/AES/GCM"


@dataclass(frozen=True)
class Vector:
    params: dict[str, str]
    fields: dict[str, str]
    fail: bool = False
    source: str = field(default="", compare=False)

    def hex(self, name: str) -> bytes:
        return bytes.fromhex(self.fields[name])

    def param(self, name: str) -> int:
        return int(self.params[name])

    @property
    def group(self) -> str:
        """The parameter block, e.g. ``Keylen256-IVlen96-PTlen128-AADlen0-Taglen128``."""
        return "-".join(f"{name}{value}" for name, value in self.params.items())


def parse(text: str, source: str = "") -> Iterator[Vector]:
    params: dict[str, str] = {}
    fields: dict[str, str] = {}
    fail = False

    def flush() -> Iterator[Vector]:
        if fields:
            yield Vector(dict(params), dict(fields), fail, source)

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            if not line:
                yield from flush()
                fields, fail = {}, False
            continue
        if line.startswith("[") and line.endswith("]"):
            yield from flush()
            fields, fail = {}, False
            name, _, value = line[1:-1].partition("=")
            params[name.strip()] = value.strip()
        elif line == "FAIL":
            fail = True
        else:
            name, sep, value = line.partition("=")
            if not sep:
                raise ValueError(f"unexpected line in {source}: {line!r}")
            fields[name.strip()] = value.strip()
    yield from flush()


def load(name: str) -> list[Vector]:
    with cryptography_vectors.open_vector_file(f"{GCM_DIR}/{name}", "r") as handle:
        return list(parse(handle.read(), name))
