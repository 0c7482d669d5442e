"""requirements.lock, what the image installs: each runtime dependency pinned as declared, hashed."""

from __future__ import annotations

import re
import tomllib

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from tests.deploy.support import BUILD_LOCK_FILE, LOCK_FILE, REPO, RUNBOOK

# The image's interpreter: the lock's markers are evaluated for it.
IMAGE_PYTHON = {**default_environment(), "python_version": "3.11", "python_full_version": "3.11.14"}
IMAGE_PYTHON |= {"sys_platform": "linux", "platform_system": "Linux", "os_name": "posix"}


def _pins(lock_text: str) -> dict[str, tuple[Version, int]]:
    """name -> (pinned version, number of hashes), for the entries that apply to the image's Python."""
    pins: dict[str, tuple[Version, int]] = {}
    # One entry: `name==version [; marker] \` then `--hash=sha256:...` lines.
    for entry in re.split(r"\n(?=[A-Za-z0-9])", lock_text):
        head = entry.split("\\", 1)[0].strip()
        if not head or head.startswith("#"):
            continue
        requirement = Requirement(head)
        if requirement.marker is not None and not requirement.marker.evaluate(IMAGE_PYTHON):
            continue
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", head
        hashes = len(re.findall(r"--hash=sha256:[0-9a-f]{64}", entry))
        pins[canonicalize_name(requirement.name)] = (Version(specifier.version), hashes)
    return pins


def _project() -> dict[str, object]:
    return tomllib.loads((REPO / "pyproject.toml").read_text())


def test_every_runtime_dependency_is_pinned_to_a_version_its_specifier_allows() -> None:
    pins = _pins(LOCK_FILE.read_text())
    dependencies = _project()["project"]["dependencies"]  # type: ignore[index]
    assert dependencies
    for declared in map(Requirement, dependencies):
        name = canonicalize_name(declared.name)
        assert name in pins, f"{declared.name} is not in requirements.lock"
        version, _ = pins[name]
        assert declared.specifier.contains(version, prereleases=True), f"{name}=={version} vs {declared}"


def test_every_pinned_package_carries_hashes() -> None:
    pins = _pins(LOCK_FILE.read_text())
    assert len(pins) > 50
    assert all(hashes >= 1 for _, hashes in pins.values()), [n for n, (_, h) in pins.items() if h == 0]


def _wanted_by(lock_text: str) -> dict[str, set[str]]:
    """name -> what needs it, from the lock's `# via` comments."""
    wanted: dict[str, set[str]] = {}
    for entry in re.split(r"\n(?=[A-Za-z0-9])", lock_text):
        name = canonicalize_name(re.split(r"[=;\s]", entry, maxsplit=1)[0])
        _, _, via_lines = entry.partition("# via")
        via = re.findall(r"^\s*#?\s*([A-Za-z0-9][\w.-]*)", via_lines, re.MULTILINE)
        wanted.setdefault(name, set()).update(canonicalize_name(v) for v in via)
    return wanted


def test_the_lock_holds_no_test_or_lint_tool() -> None:
    lock_text = LOCK_FILE.read_text()
    pins = _pins(lock_text)
    wanted = _wanted_by(lock_text)
    extras = _project()["project"]["optional-dependencies"]  # type: ignore[index]
    tools = {canonicalize_name(Requirement(d).name) for group in ("test", "lint") for d in extras[group]}
    assert {"pytest", "ruff", "mypy"} <= tools
    for tool in tools & pins.keys():
        # A tool may be in the lock only because a runtime dependency needs it (cbor2: webauthn).
        assert wanted[tool] - {"croupier"}, f"{tool} is a test or lint tool, not an image dependency"


def test_the_build_lock_pins_the_build_backend_pyproject_names() -> None:
    pins = _pins(BUILD_LOCK_FILE.read_text())
    (backend,) = map(Requirement, _project()["build-system"]["requires"])  # type: ignore[index]
    version, hashes = pins[canonicalize_name(backend.name)]
    assert backend.specifier.contains(version)
    assert hashes >= 1


def test_the_runbook_gives_the_commands_that_regenerate_both_locks() -> None:
    runbook = RUNBOOK.read_text()
    for lock in (LOCK_FILE, BUILD_LOCK_FILE):
        # uv writes the command that made the file into its header.
        command = re.search(r"^#    (uv pip compile .+)$", lock.read_text(), re.MULTILINE)
        assert command is not None, lock
        assert command.group(1) in runbook, f"{lock.name}: {command.group(1)}"
