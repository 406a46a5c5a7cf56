#!/usr/bin/env bash
# The outside fuzzer: schemathesis (infra/requirements-fuzz.txt, in
# target/fuzz-venv) against the local runner's /openapi.json, with every check
# (`--checks all`): no 5xx; answers matching the documented status codes,
# content types, headers and schemas; schema-valid requests accepted and
# schema-invalid ones refused; authentication enforced. One line for CI:
#
#   infra/scripts/fuzz-api.sh
#
# It builds and starts the runner on a free loopback port with a temporary
# data directory, its clock where the CAP registration and documents windows
# are both open; prepares a candidate through the API (signup, the activation
# link from /_local/outbox, activation, login, a first inscription) whose
# bearer token schemathesis sends, so the routes behind login are fuzzed too
# (no Origin header is sent: the cross-site guard serves API clients); runs a
# bounded number of examples per operation (about 3,500 requests, 35-40 s on
# 2 cores once built and installed; see BENCHMARKS.md); stops the runner;
# and exits non-zero on any failure, or a panic
# in the runner's log. Reports, the runner's log and schemathesis' crash files
# (`st replay <id>`) are left in target/fuzz-report.
#
# Knobs (environment): FUZZ_MAX_EXAMPLES (default 100 per operation),
# FUZZ_SEED (default fixed, so that a failure reproduces; `random` for a new
# one each run), FUZZ_REPORT_DIR (default target/fuzz-report), FUZZ_REPORTS
# (default junit,ndjson; add har for every request and answer), PYTHON
# (default python3.11).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$PWD"

MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-100}"
SEED="${FUZZ_SEED:-20211120}"
REPORT_DIR="${FUZZ_REPORT_DIR:-$ROOT/target/fuzz-report}"
REPORTS="${FUZZ_REPORTS:-junit,ndjson}"
# The CAP registration window (19 Nov - 8 Dec 2021) and its documents window
# (1 - 22 Dec) are both open: saves and upload requests go all the way through.
NOW="2021-12-02T10:00:00+01:00"
# Every check schemathesis has (`--checks all`), none excluded. Its
# `positive_data_acceptance` (a request the document calls valid must not be
# refused) is narrowed below, per operation, where the server enforces a rule
# JSON Schema cannot state; each such 422 is documented in the document.
CHECKS="all"

log() { echo "fuzz: $*"; }

# --- the pinned fuzzer, in its own venv (idempotent) -------------------------
PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV="$ROOT/target/fuzz-venv"
REQS="infra/requirements-fuzz.txt"
STAMP="$VENV/.requirements-fuzz.txt"
if [[ -x "$VENV/bin/schemathesis" ]] && cmp -s "$REQS" "$STAMP"; then
    log "$VENV is up to date with $REQS"
else
    log "creating $VENV with $("$PYTHON" --version)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQS"
    cp "$REQS" "$STAMP"
fi
PY="$VENV/bin/python"
log "$("$VENV/bin/schemathesis" --version)"

# --- the runner ---------------------------------------------------------------
cargo build --quiet --package examreg --bin examreg
BIN="$ROOT/target/debug/examreg"
PORT="$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
BASE="http://127.0.0.1:$PORT"
DATA="$(mktemp -d "${TMPDIR:-/tmp}/examreg-fuzz.XXXXXX")"
RUNNER_PID=""

stop_runner() {
    if [[ -n "$RUNNER_PID" ]] && kill -0 "$RUNNER_PID" 2>/dev/null; then
        kill "$RUNNER_PID" 2>/dev/null || true
        wait "$RUNNER_PID" 2>/dev/null || true
    fi
    RUNNER_PID=""
}
cleanup() {
    local rc=$?
    stop_runner
    if [[ -f "$DATA/runner.log" ]]; then
        mkdir -p "$REPORT_DIR"
        cp "$DATA/runner.log" "$REPORT_DIR/runner.log"
        if [[ $rc -ne 0 ]]; then
            echo "fuzz: the runner's errors (whole log in $REPORT_DIR/runner.log):"
            grep -E "ERROR|WARN|panicked" "$DATA/runner.log" | tail -n 40 || true
        fi
    fi
    rm -rf "$DATA"
    exit "$rc"
}
trap cleanup EXIT

log "starting the runner on $BASE (data in $DATA, clock at $NOW)"
NO_COLOR=1 EXAMREG_SWEEP_EVERY=3600 RUST_LOG="${RUST_LOG:-info}" \
    "$BIN" serve --addr "127.0.0.1:$PORT" --data-dir "$DATA" --now "$NOW" \
    >"$DATA/runner.log" 2>&1 &
RUNNER_PID=$!

# --- a prepared candidate: three bearer tokens (logout and logout-all spend one each)
TOKENS="$("$PY" - "$BASE" <<'PY'
import json, re, sys, time, urllib.error, urllib.request

base = sys.argv[1]
email, password = "fuzz@exemple.fr", "cheval-agrafe-batterie-correcte"

def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(errors="replace")

deadline = time.monotonic() + 60
while True:
    try:
        if call("GET", "/health")[0] == 200:
            break
    except OSError:
        pass
    if time.monotonic() > deadline:
        sys.exit("fuzz: the runner did not answer /health within 60 s")
    time.sleep(0.1)

def expect(status, answer, wanted, what):
    if status != wanted:
        sys.exit(f"fuzz: {what}: {status} {answer}")
    return answer

expect(*call("POST", "/auth/signup", {"email": email, "password": password}), 202, "signup")
mails = expect(*call("GET", "/_local/outbox"), 200, "outbox")
link = re.search(r"/activate\?token=([A-Za-z0-9._-]+)", mails[-1]["text"])
if not link:
    sys.exit(f"fuzz: no activation link in {mails[-1]}")
expect(*call("POST", "/auth/activate", {"token": link.group(1)}), 200, "activation")
tokens = []
for _ in range(2):
    answer = expect(*call("POST", "/auth/login", {"email": email, "password": password}), 200, "login")
    tokens.append(answer["token"])
# A first inscription, so that the routes that read it answer 200 too.
inscription = {
    "diploma": "CAP",
    "specialty": "CUISINE",
    "identity": {
        "last_name": "N'Diaye-Lefèvre",
        "first_names": "Zoé Anaïs",
        "birth_date": "1990-02-03",
        "birth_place": "Aix-en-Provence",
        "nationality": "FR",
        "address": {"line1": "12 rue de la République", "postal_code": "13001",
                    "city": "Marseille", "country": "FR"},
        "phone": "06 12 34 56 78",
    },
    "disability": {"declared": False, "existing_accommodation": False},
    "acquis": [],
    "version": 0,
}
expect(*call("PUT", "/inscription", inscription, tokens[0]), 201, "first inscription")
print(" ".join(tokens))
PY
)"
read -r TOKEN LOGOUT_TOKEN LOGOUT_ALL_TOKEN <<<"$TOKENS"
log "candidate ready"

# --- the fuzzer -------------------------------------------------------------
mkdir -p "$REPORT_DIR"
# Values the schema cannot say (an email the server takes, a strong password,
# a piece code, a specialty of the catalogue...), mixed with generated ones so
# that the operations reach their logic and not only their validation.
CONFIG="$DATA/schemathesis.toml"
# The diplomas are the catalogue's (a new diploma is a data change there).
DIPLOMAS=$(sed -n 's/^diploma = \("[A-Z_]*"\)$/\1/p' "$ROOT/infra/catalogue.toml" | paste -sd, - | sed 's/,/, /g')
cat >"$CONFIG" <<'TOML'
[dictionaries.emails]
values = ["fuzz@exemple.fr", "Fuzz@Exemple.FR", "autre@exemple.fr", "zoé@académie-exemple.fr", "x@y.fr"]
[dictionaries.passwords]
values = ["cheval-agrafe-batterie-correcte", "trombone-girafe-parapluie-42", "court"]
[dictionaries.pieces]
values = ["signed_confirmation", "identity_document", "jdc_certificate", "accommodation_notice", "acquis_proof"]
[dictionaries.content_types]
values = ["application/pdf", "image/jpeg", "image/png", "image/jpg", "text/html"]
[dictionaries.specialties]
values = ["CUISINE", "MCV_A", "MCV_B", "SOMMELLERIE", "COIFFURE"]
[dictionaries.versions]
values = [0, 1, 2, 3]
[dictionaries.dates]
values = ["1990-02-03", "2006-06-30", "2021-12-02", "1900-01-01", "2021-02-30"]
[dictionaries.countries]
values = ["FR", "BE", "DZ", "XX"]
[dictionaries.names]
values = ["N'Diaye-Lefèvre", "Zoé Anaïs", "Aix-en-Provence", "Marseille", "12 rue de la République", ""]
[dictionaries.postal_codes]
values = ["13001", "04000", "1300", "ABCDE"]
[dictionaries.phones]
values = ["06 12 34 56 78", "+33612345678", "0491000000", "12"]

[parameters]
"path.kind" = { dictionary = "pieces", probability = 0.7 }
"body.email" = { dictionary = "emails", probability = 0.5 }
"body.password" = { dictionary = "passwords", probability = 0.5 }
"body.content_type" = { dictionary = "content_types", probability = 0.6 }
"body.diploma" = { dictionary = "diplomas", probability = 0.7 }
"body.specialty" = { dictionary = "specialties", probability = 0.6 }
"body.version" = { dictionary = "versions", probability = 0.7 }
"body.identity.birth_date" = { dictionary = "dates", probability = 0.6 }
"body.identity.nationality" = { dictionary = "countries", probability = 0.6 }
"body.identity.address.country" = { dictionary = "countries", probability = 0.6 }
"body.identity.last_name" = { dictionary = "names", probability = 0.8 }
"body.identity.first_names" = { dictionary = "names", probability = 0.8 }
"body.identity.birth_place" = { dictionary = "names", probability = 0.8 }
"body.identity.address.line1" = { dictionary = "names", probability = 0.8 }
"body.identity.address.city" = { dictionary = "names", probability = 0.8 }
"body.identity.address.postal_code" = { dictionary = "postal_codes", probability = 0.8 }
"body.identity.phone" = { dictionary = "phones", probability = 0.8 }
TOML
# Where a schema-valid request may still be refused 422, and why (each of
# these 422s is a documented answer of the operation, with its problem body,
# so the other checks still hold it to the document):
# - a new password (signup, reset, change) must also be strong: zxcvbn's
#   score, not in the French common-password list, not made of the address
#   (422 `weak_password`): no JSON Schema for "hard to guess";
# - an inscription must be consistent with the catalogue (a specialty of
#   that diploma, units of that specialty, a language the unit offers), a
#   birth date in the past and plausible, a département matching the country
#   (422 `validation_failed` naming each field): rules across fields and
#   data, which a schema of the body cannot carry.
# Every other operation keeps the check's default (no 422 for valid data).
cat >>"$CONFIG" <<'TOML'

[[operations]]
include-name = ["POST /auth/signup", "POST /auth/password-reset/confirm", "POST /auth/password"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]

[[operations]]
include-name = "PUT /inscription"
checks.positive_data_acceptance.expected-statuses = ["2xx", "401", "403", "404", "409", "422", "429"]
TOML
printf '\n[dictionaries.diplomas]\nvalues = [%s]\n' "$DIPLOMAS" >>"$CONFIG"
# Its cache (crash files for `st replay`) with the reports, not in the work tree.
printf '\n[cache]\ndirectory = "%s"\n' "$REPORT_DIR/cache" >>"$CONFIG"
SEED_ARGS=()
[[ "$SEED" == "random" ]] || SEED_ARGS=(--seed "$SEED")
schemathesis() {
    local name="$1" token="$2"
    shift 2
    log "schemathesis ($name): $MAX_EXAMPLES examples per operation, checks $CHECKS, seed $SEED"
    "$VENV/bin/schemathesis" --config-file "$CONFIG" run "$BASE/openapi.json" \
        --checks "$CHECKS" \
        --max-examples "$MAX_EXAMPLES" \
        "${SEED_ARGS[@]}" \
        --workers 2 \
        --request-timeout 60 \
        --generation-database none \
        --header "Authorization: Bearer $token" \
        --no-color \
        --report "$REPORTS" \
        --report-dir "$REPORT_DIR" \
        --report-junit-path "$REPORT_DIR/$name.junit.xml" \
        --report-ndjson-path "$REPORT_DIR/$name.ndjson" \
        --report-har-path "$REPORT_DIR/$name.har" \
        "$@"
}

START=$(date +%s)
status=0
# Every operation, authenticated ones included, but the two logouts, which
# would revoke the token mid-run...
schemathesis api "$TOKEN" --exclude-path /auth/logout --exclude-path /auth/logout-all || status=$?
# ...then each logout alone, with a token of its own.
schemathesis logout "$LOGOUT_TOKEN" --include-path /auth/logout || status=$?
schemathesis logout-all "$LOGOUT_ALL_TOKEN" --include-path /auth/logout-all || status=$?

stop_runner
if grep -n "panicked" "$DATA/runner.log"; then
    log "the runner panicked"
    status=1
fi
log "done in $(($(date +%s) - START)) s: $([[ $status -eq 0 ]] && echo ok || echo FAILED)"
exit "$status"
