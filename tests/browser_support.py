"""What the browser tests share: Debian's Chromium, driven by Playwright, never a downloaded build.

Without the playwright package or ``/usr/bin/chromium`` a browser test is skipped locally and
fails in CI, which installs chromium (``.ci/run``).
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
# Collected before any page script runs; the page's CSP does not apply to this script.
RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) =>
  window.__violations.push({directive: e.violatedDirective, blocked: e.blockedURI}));
"""


def playwright_api(flavour: str) -> Any:
    """``sync_playwright`` or ``async_playwright`` (``flavour`` "sync" or "async"), or skip or fail."""
    try:
        module = importlib.import_module(f"playwright.{flavour}_api")
    except ImportError:
        module = None
    missing = "the playwright package" if module is None else None
    if missing is None and not CHROMIUM.exists():
        missing = str(CHROMIUM)
    if missing is not None:
        if os.environ.get("CI"):
            pytest.fail(f"{missing} is missing: CI must install it (`apt-get install chromium`)")
        pytest.skip(f"{missing} is not installed")
    return getattr(module, f"{flavour}_playwright")
