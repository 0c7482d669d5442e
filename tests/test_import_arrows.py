"""Which package may import which: the arrows run from the domains down to `kit`, never back up.

`kit` is infrastructure and knows no domain. `audit` and `crypto` are peers that
every other domain builds on: both take their keys from the keyring in `kit`,
and neither imports the other, so either can change without the other.

`backoffice` sits on top. The core of its approvals (table, queries, rules) knows
staff, audit and `kit` only; the handlers that do an approved action (`kinds.py`)
and the desk's routes call the domains. A domain reaches the back office only from its
interfaces (an endpoints module, its commands in ``cli.py``: a withdrawal decided there
closes its pending approval request), so no domain service leans on the back office.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import croupier

PACKAGE = Path(croupier.__file__).parent


def _imported(path: Path) -> set[str]:
    """Every ``croupier.*`` module a file names in an import, at any depth (lazy ones too)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.add(node.module)
            # `from croupier import crypto` names the package in the alias, not the module.
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return {name for name in names if name == "croupier" or name.startswith("croupier.")}


def _domain(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def _arrows_from(package: str) -> dict[str, set[str]]:
    """For each file of a package, the other ``croupier`` packages it imports."""
    found: dict[str, set[str]] = {}
    for path in sorted((PACKAGE / package).rglob("*.py")):
        others = {d for m in _imported(path) if (d := _domain(m)) is not None and d != package}
        if others:
            found[str(path.relative_to(PACKAGE))] = others
    return found


def test_the_rule_sees_the_imports_it_forbids(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from croupier.crypto.service import player_cipher\n"
        "from croupier import audit\n"
        "def lazy():\n    import croupier.games.rounds\n"
    )
    assert {_domain(m) for m in _imported(sample)} >= {"crypto", "audit", "games"}


def test_kit_imports_no_domain() -> None:
    assert _arrows_from("kit") == {}


@pytest.mark.parametrize(("package", "peer"), [("audit", "crypto"), ("crypto", "audit")])
def test_audit_and_crypto_do_not_import_each_other(package: str, peer: str) -> None:
    assert {f: d for f, d in _arrows_from(package).items() if peer in d} == {}


@pytest.mark.parametrize("module", ["games/rounds.py", "games/seeds.py"])
def test_the_games_services_leave_every_query_to_the_repository(module: str) -> None:
    tree = ast.parse((PACKAGE / module).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names}
    queries = {m for m in imported if m and m.startswith(("sqlalchemy", "psycopg", "croupier.kit.db"))}
    # The session's type is all a service needs from SQLAlchemy.
    assert queries <= {"sqlalchemy.ext.asyncio"}


APPROVALS_CORE = ("models.py", "repository.py", "service.py", "schemas.py")


@pytest.mark.parametrize("module", APPROVALS_CORE)
def test_the_approvals_core_knows_no_domain(module: str) -> None:
    imported = {_domain(m) for m in _imported(PACKAGE / "backoffice" / "approvals" / module)}
    # The bodies share identity's strict base class (unknown fields refused), as every domain's do.
    allowed = {"backoffice", "kit", "audit", "staff"} | ({"identity"} if module == "schemas.py" else set())
    assert imported <= allowed


def test_only_the_domains_interfaces_reach_the_back_office() -> None:
    leaning = {
        file
        for package in PACKAGE.iterdir()
        if package.is_dir() and package.name not in {"backoffice", "__pycache__"}
        for file, others in _arrows_from(package.name).items()
        if "backoffice" in others and not file.endswith(("endpoints.py", "cli.py"))
    }
    assert leaning == set()


def test_the_authorization_server_knows_none_of_the_resources_it_guards() -> None:
    """``backoffice.oauth`` issues and checks tokens; what a token opens is each resource's business."""
    for path in sorted((PACKAGE / "backoffice" / "oauth").rglob("*.py")):
        assert not any(m.startswith("croupier.backoffice.partners") for m in _imported(path)), path
