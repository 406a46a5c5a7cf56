#!/usr/bin/env bash
# The browser tests of the portal and of the back office (/gestion): Debian's
# Chromium driven by playwright-core (pinned in package-lock.json), against
# the local runner built here.
# Installs what is missing (CI runs as root), then runs node's test runner.
set -euo pipefail
cd "$(dirname "$0")"
ROOT="$(cd ../.. && pwd)"

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
    echo "installing Debian's chromium"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi
export CHROMIUM_PATH

npm ci --no-audit --no-fund --loglevel=error

export EXAMREG_BIN="${EXAMREG_BIN:-$ROOT/target/debug/examreg}"
(cd "$ROOT" && cargo build --quiet -p examreg)

# The pages' scripts parse (a syntax error would only show as a blank page).
for script in "$ROOT"/functions/common/assets/portal/assets/*.js "$ROOT"/functions/common/assets/gestion/assets/*.js; do
    node --input-type=module --check < "$script" || { echo "syntax error in $script"; exit 1; }
done

rm -rf screenshots
node --test --test-concurrency=1 --test-reporter=spec portal.test.mjs
# « Mes documents »: several files per piece, at 1280, 375 and 320 px.
node --test --test-concurrency=1 --test-reporter=spec uploads.test.mjs
# The frame (DSFR header and footer, information pages, 404 page) and the
# vendored DSFR files against the pinned package (infra/dsfr).
(cd "$ROOT/infra/dsfr" && npm ci --no-audit --no-fund --loglevel=error)
node --test --test-concurrency=1 --test-reporter=spec frame.test.mjs
# The forgiving form (issue #19): session end, birth places, date question, acquis, options.
node --test --test-concurrency=1 --test-reporter=spec form.test.mjs
# Login CSRF: a cross-site text/plain form must not sign anyone in.
node --test --test-concurrency=1 --test-reporter=spec cross-site.test.mjs
# The back office's journeys; their time is printed (CI's added time).
started=$(date +%s)
node --test --test-concurrency=1 --test-reporter=spec office.test.mjs
echo "# the back office's journeys took $(( $(date +%s) - started )) s"
