#!/usr/bin/env bash
# Builds every Lambda function for arm64 in release mode with cargo-lambda,
# each function's package ALONE, as `sam build` builds it (one `cargo lambda
# build --release --arm64` per function): cargo unifies features across the
# packages of one build, so a build of all of them together would link every
# function's code and dependencies into each (Cargo.toml of examreg-common).
# Each build is timed; then each artefact is checked: target/lambda/<bin>/
# bootstrap exists, is an aarch64 ELF executable, and its size and its zipped
# size (what Lambda stores) are printed.
#
#   infra/scripts/install-tools.sh && infra/scripts/build-lambdas.sh
#
# LAMBDA_PACKAGES / LAMBDA_BINS (space-separated) override the lists below.
set -euo pipefail
cd "$(dirname "$0")/../.."

PACKAGES=(${LAMBDA_PACKAGES:-signup activation auth inscription documents sweep admin})
BINS=(${LAMBDA_BINS:-signup activation auth inscription documents documents-check sweep admin})

VENV="target/tools-venv"
if [[ ! -x "$VENV/bin/cargo-lambda" ]]; then
    echo "build: cargo-lambda is missing: run infra/scripts/install-tools.sh first" >&2
    exit 1
fi
export PATH="$PWD/$VENV/bin:$PATH"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"

# The first build compiles the dependencies (most of the time); the others
# reuse them and compile the shared crate again with their own features.
total_start=$(date +%s)
for p in "${PACKAGES[@]}"; do
    echo "build: cargo lambda build --release --arm64 --package $p"
    start=$(date +%s)
    cargo lambda build --release --arm64 --package "$p"
    echo "build: $p compiled in $(( $(date +%s) - start )) s"
done
echo "build: ${#PACKAGES[@]} packages compiled in $(( $(date +%s) - total_start )) s"

# Check the artefacts (Python is there: the tools need it).
python3 - "$TARGET_DIR/lambda" "${BINS[@]}" <<'PY'
import io, os, struct, sys, zipfile

root, bins = sys.argv[1], sys.argv[2:]
EM_AARCH64 = 183
failed = False
print(f"{'function':<18} {'bootstrap':>12} {'zipped':>12}")
for name in bins:
    path = os.path.join(root, name, "bootstrap")
    if not os.path.isfile(path):
        print(f"{name:<18} MISSING: {path}")
        failed = True
        continue
    with open(path, "rb") as f:
        header = f.read(20)
    # e_ident: magic, class (2 = 64-bit), data (1 = little endian); e_type
    # (2 = executable, 3 = shared object, i.e. a PIE); e_machine.
    ok = (
        len(header) == 20
        and header[:4] == b"\x7fELF"
        and header[4] == 2
        and header[5] == 1
        and struct.unpack_from("<H", header, 16)[0] in (2, 3)
        and struct.unpack_from("<H", header, 18)[0] == EM_AARCH64
    )
    if not ok:
        print(f"{name:<18} NOT an aarch64 ELF executable: {path}")
        failed = True
        continue
    if not os.access(path, os.X_OK):
        print(f"{name:<18} not executable: {path}")
        failed = True
        continue
    size = os.path.getsize(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, "bootstrap")
    zipped = len(buf.getvalue())
    print(f"{name:<18} {size / 1048576:>9.2f} MiB {zipped / 1048576:>9.2f} MiB")
if failed:
    sys.exit("build: some Lambda artefacts are missing or wrong")
print(f"build: {len(bins)} aarch64 bootstrap binaries checked")
PY
