#!/usr/bin/env bash
# `sam build` of template.yaml, offline: SAM runs cargo-lambda (BuildMethod
# rust-cargolambda) in each function's crate, then copies
# target/lambda/<Binary>/bootstrap to .aws-sam/build/<Function>/. Then checks
# that every function of the template got its aarch64 bootstrap.
#
#   infra/scripts/install-tools.sh && infra/scripts/sam-build.sh
#   sam deploy --guided        # uses .aws-sam/build/template.yaml
#
# Extra arguments go to `sam build` (e.g. --cached, or one function's id).
set -euo pipefail
cd "$(dirname "$0")/../.."

VENV="target/tools-venv"
if [[ ! -x "$VENV/bin/sam" || ! -x "$VENV/bin/cargo-lambda" ]]; then
    echo "sam-build: the tools are missing: run infra/scripts/install-tools.sh first" >&2
    exit 1
fi
# SAM finds cargo and cargo-lambda on PATH; cargo-lambda finds zig in the venv.
export PATH="$PWD/$VENV/bin:$PATH"
export SAM_CLI_TELEMETRY=0

start=$(date +%s)
sam build --template-file template.yaml "$@"
echo "sam-build: built in $(( $(date +%s) - start )) s"

"$VENV/bin/python" - <<'PY'
import os, struct, sys
from samcli.yamlhelper import yaml_parse

built = ".aws-sam/build"
with open(os.path.join(built, "template.yaml")) as f:
    template = yaml_parse(f.read())
functions = {
    name: r for name, r in template["Resources"].items()
    if r.get("Type") == "AWS::Serverless::Function"
}
failed = False
for name, r in sorted(functions.items()):
    uri = r["Properties"].get("CodeUri", name)
    path = os.path.join(built, uri, "bootstrap")
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError as e:
        print(f"sam-build: {name}: {e}")
        failed = True
        continue
    if header[:4] != b"\x7fELF" or struct.unpack_from("<H", header, 18)[0] != 183:
        print(f"sam-build: {name}: {path} is not an aarch64 ELF")
        failed = True
        continue
    print(f"sam-build: {name:<24} {os.path.getsize(path) / 1048576:6.2f} MiB  {path}")
if failed:
    sys.exit(1)
print(f"sam-build: {len(functions)} functions built for arm64")
PY
