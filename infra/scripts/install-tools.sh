#!/usr/bin/env bash
# Installs the pinned infrastructure tools (infra/requirements-tools.txt) into
# target/tools-venv, and the Rust target for arm64 Lambda builds.
# Idempotent: does nothing when the venv already holds exactly those pins.
#
#   infra/scripts/install-tools.sh
#   export PATH="$PWD/target/tools-venv/bin:$PATH"   # sam, cfn-lint, cargo-lambda
set -euo pipefail
cd "$(dirname "$0")/../.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV="target/tools-venv"
REQS="infra/requirements-tools.txt"
STAMP="$VENV/.requirements-tools.txt"

if [[ -x "$VENV/bin/python" ]] && cmp -s "$REQS" "$STAMP"; then
    echo "tools: $VENV is up to date with $REQS"
else
    "$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] < (3, 9):
    sys.exit(f"tools: Python >= 3.9 needed (aws-sam-cli), found {sys.version.split()[0]}")
PY
    echo "tools: creating $VENV with $("$PYTHON" --version)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    cp "$REQS" "$STAMP"
fi

# cargo-lambda's --arm64 needs the Rust standard library for aarch64.
if command -v rustup >/dev/null 2>&1; then
    if ! rustup target list --installed | grep -qx aarch64-unknown-linux-gnu; then
        echo "tools: adding the Rust target aarch64-unknown-linux-gnu"
        rustup target add aarch64-unknown-linux-gnu
    fi
else
    echo "tools: rustup not found; make sure the aarch64-unknown-linux-gnu std is installed" >&2
fi

export PATH="$PWD/$VENV/bin:$PATH"
echo "tools: $(cfn-lint --version)"
echo "tools: $(sam --version)"
echo "tools: $(cargo-lambda lambda --version)"
echo "tools: zig $(python -m ziglang version)"
