#!/usr/bin/env python3
"""Fetch, verify and vendor the browser assets Croupier serves: the API docs pages' (Swagger
UI, ReDoc) and the staff console's (htmx).

No page loads anything from outside the server: the assets are copied from the npm packages
pinned in each folder's manifest.json (MANIFESTS below), which records each package
tarball's npm ``integrity`` (sha512) and every copied file's sha256.

    scripts/vendor_assets.py            check the vendored files against the manifests (offline)
    scripts/vendor_assets.py --fetch    re-fetch the pinned tarballs with `npm pack`, verify their
                                        integrity and each file's sha256, and copy the files in

To move to a new version, change the version in the manifest, run with ``--fetch --update``
(which records the new integrity and hashes), read the diff and commit it.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "croupier"
MANIFESTS = (
    PACKAGE / "kit" / "docs_assets" / "manifest.json",
    PACKAGE / "backoffice" / "console" / "static" / "manifest.json",
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def npm_integrity(data: bytes) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def check(manifest: dict, assets: Path) -> list[str]:
    problems = []
    for package in manifest["packages"]:
        for name, want in package["files"].items():
            path = assets / name
            if not path.is_file():
                problems.append(f"{name}: missing")
            elif sha256(path.read_bytes()) != want["sha256"]:
                problems.append(f"{name}: sha256 differs from the manifest")
    return problems


def fetch(manifest: dict, assets: Path, *, update: bool) -> list[str]:
    problems = []
    with tempfile.TemporaryDirectory() as scratch:
        for package in manifest["packages"]:
            spec = f"{package['name']}@{package['version']}"
            packed = subprocess.run(  # noqa: S603 - npm, the registry's own client, fixed arguments
                ["npm", "pack", spec, "--json", "--pack-destination", scratch],  # noqa: S607
                capture_output=True,
                text=True,
                check=True,
            )
            tarball = Path(scratch) / json.loads(packed.stdout)[0]["filename"]
            data = tarball.read_bytes()
            integrity = npm_integrity(data)
            if update:
                package["integrity"] = integrity
            elif integrity != package["integrity"]:
                problems.append(f"{spec}: tarball integrity {integrity} is not the recorded one")
                continue
            with tarfile.open(tarball) as archive:
                for name, want in package["files"].items():
                    member = archive.extractfile(f"package/{want['from']}")
                    if member is None:
                        problems.append(f"{spec}: no {want['from']} in the tarball")
                        continue
                    content = member.read()
                    if update:
                        want["sha256"] = sha256(content)
                    elif sha256(content) != want["sha256"]:
                        problems.append(f"{spec}: {want['from']} does not match its recorded sha256")
                        continue
                    (assets / name).write_bytes(content)
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--fetch", action="store_true", help="re-fetch the pinned packages with npm pack")
    parser.add_argument("--update", action="store_true", help="with --fetch: record new integrity and hashes")
    args = parser.parse_args()
    problems = []
    for path in MANIFESTS:
        manifest = json.loads(path.read_text())
        fetched = fetch(manifest, path.parent, update=args.update) if args.fetch else []
        if args.update and not fetched:
            path.write_text(json.dumps(manifest, indent=2) + "\n")
        problems += fetched + check(manifest, path.parent)
    for problem in problems:
        print(f"vendor_assets: {problem}", file=sys.stderr)  # noqa: T201
    if not problems:
        print("vendored assets match their manifests")  # noqa: T201
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
