# shellcheck shell=bash
# Sourced by the scripts in scripts/: the Python that creates .venv.

# The first of $PYTHON, python3.13, python3.12, python3.11, python3 that is >= 3.11.
find_python() {
    local candidate
    for candidate in ${PYTHON:-} python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    echo "$(basename "$0"): Python >= 3.11 is required (set PYTHON=/path/to/python3.11)" >&2
    return 1
}

# Create ROOT/.venv when missing and install Croupier into it, unless pyproject.toml is
# unchanged since the last install (scripts/test's install, a superset, counts too).
ensure_service_venv() {
    local root=$1 venv="$1/.venv" want stamp installed=no
    if [[ ! -x $venv/bin/python ]]; then
        echo "$(basename "$0"): creating .venv" >&2
        "$(find_python)" -m venv "$venv"
    fi
    want="$(sha256sum "$root/pyproject.toml" | cut -d' ' -f1) $("$venv/bin/python" -VV | tr -d '\n')"
    for stamp in "$venv/.installed-" "$venv/.installed-test,lint"; do
        if [[ -f $stamp && "$(cat "$stamp")" == "$want" ]]; then installed=yes; fi
    done
    if [[ $installed == no ]] || [[ ! -x $venv/bin/croupier ]]; then
        echo "$(basename "$0"): installing into .venv" >&2
        "$venv/bin/python" -m pip install --quiet --upgrade pip setuptools
        "$venv/bin/python" -m pip install --quiet -e "$root"
        echo "$want" >"$venv/.installed-"
    fi
}
