#!/usr/bin/env python3
# pip-audit asks PyPI for advisories of each exact installed version. Where that answer is
# missing (some networks serve PyPI's project JSON but not its per-version JSON), fall back
# to the project JSON, whose advisories are those of the latest release: that covers every
# dependency installed at its latest version, and the rest are reported as not audited.
import json, os, re, sys, urllib.request
from concurrent.futures import ThreadPoolExecutor
from importlib.metadata import distributions

report, status = json.load(open(sys.argv[1])), int(sys.argv[2])
if status not in (0, 1):
    sys.exit(f"pip-audit failed (exit {status})")
found = [(d["name"], d["version"], v["id"], v.get("fix_versions", [])) for d in report["dependencies"] for v in d.get("vulns", [])]
canon = lambda name: re.sub(r"[-_.]+", "-", name).lower()
installed = {canon(d.metadata["Name"]): d.version for d in distributions()}
editable = [d for d in report["dependencies"] if "editable" in d.get("skip_reason", "")]
skipped = [canon(d["name"]) for d in report["dependencies"] if "skip_reason" in d and d not in editable]

def latest_advisories(name):
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=20) as response:
            project = json.load(response)
    except Exception as exc:
        return name, f"lookup failed: {exc}", []
    if project["info"]["version"] != installed.get(name):
        return name, f"{installed.get(name)} installed, {project['info']['version']} is the latest", []
    return name, None, [v for v in project.get("vulnerabilities", []) if not v.get("withdrawn")]

unaudited = []
with ThreadPoolExecutor(16) as pool:
    for name, why, advisories in pool.map(latest_advisories, skipped):
        if why:
            unaudited.append(f"{name}: {why}")
        found += [(name, installed[name], v["id"], v.get("fixed_in", [])) for v in advisories]
audited = len(report["dependencies"]) - len(editable) - len(unaudited)
for name, version, vuln, fixes in found:
    print(f"VULNERABLE {name} {version}: {vuln} (fixed in: {', '.join(fixes) or 'no release yet'})")
print(f"{audited} dependencies audited, {len(found)} known vulnerabilities"
      + (f" ({len(skipped)} through PyPI's project JSON)" if skipped else ""))
if unaudited:
    print(f"WARNING: {len(unaudited)} dependencies could not be audited:", *unaudited, sep="\n  ")
if found or (unaudited and os.environ.get("CROUPIER_AUDIT_STRICT") == "1"):
    sys.exit(1)
