"""Cold start of each Lambda bootstrap under cargo-lambda's runtime emulator,
side by side with a hello-world lambda_http function built the same way
(`benches/coldstart/hello`, a workspace member: same release profile).

    for p in coldstart-hello signup activation auth inscription documents admin; do
        nice -n 19 cargo build --release -p $p   # one package per build, as sam build
    done                                          # does: no feature unification
    python3 benches/coldstart/run.py   # --bin-dir target/release --rounds 10

For each round and each function (interleaved, so that all see the same
machine state): an invocation is queued on `cargo lambda watch
--only-lambda-apis` (which serves the Lambda runtime API without starting
anything), then the bootstrap is started with AWS_LAMBDA_RUNTIME_API pointing
at it; the time measured is from starting the process to the invocation's
answer: exec, init (AWS SDK clients, calendar, catalogue, router), the first
`/next`, the handler, `/response`. Each event is chosen so that the answer
needs no AWS call (e.g. GET /inscription without a token answers 401), so
the figure is the function's own start, not a backend's latency. The process
is then killed: every start is cold. A second reference, hello world plus a
DynamoDB client built from the environment, is the floor of any function
that uses the AWS SDK (the SDK loads the TLS roots when a client is built).
The sweep is not in the list: its init is the admin function's (the same
`aws_app()`), and any event makes it call DynamoDB. Binaries are the host's (x86_64)
release builds: Lambda runs the arm64 ones, which cannot run here.

    --variant "SDK default, one file:SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt,SSL_CERT_DIR=/tmp/empty"

adds a row per function (and for the hello + DynamoDB reference, unless the
variant sets an EXAMREG_ variable) started with those variables; here, the
SDK's default roots read from that one file, as on a host whose roots are one
bundle. --only auth,admin restricts the functions measured (the two
references are always there).

    --dynamodb http://127.0.0.1:5000

points the functions at a DynamoDB emulator (moto_server), creates the
table there, and adds the row "inscription, first DynamoDB read": GET
/inscription with a well-formed unknown token, answered 401 after one
BatchGetItem. It is the cold start up to the first AWS call, which builds the
HTTPS connector again (aws-smithy-http-client builds it once when the client
is built, to load the roots early, and once per connector settings at the
first request), so that no cost hides between init and the first request.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

# aws_lambda_events' fixture `example-s3-event.json`, with a key that is not
# a candidate's upload: the check ignores it without any AWS call.
S3_EVENT = {"Records": [{
    "eventVersion": "2.0", "eventSource": "aws:s3", "awsRegion": "eu-west-3",
    "eventTime": "2021-12-02T09:00:00.123Z", "eventName": "ObjectCreated:Put",
    "userIdentity": {"principalId": "EXAMPLE"},
    "requestParameters": {"sourceIPAddress": "127.0.0.1"},
    "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8"},
    "s3": {"s3SchemaVersion": "1.0", "configurationId": "bench",
           "bucket": {"name": "bench", "ownerIdentity": {"principalId": "EXAMPLE"},
                      "arn": "arn:aws:s3:::bench"},
           "object": {"key": "not-a-candidate/x.pdf", "size": 10, "versionId": "v",
                      "eTag": "d41d8cd98f00b204e9800998ecf8427e", "sequencer": "0A"}},
}]}

# name, binary, how to invoke it, what the answer must contain.
FUNCTIONS = [
    ("hello (lambda_http)", None, ("url", "GET", "/", None), "Hello"),
    ("hello + DynamoDB client", "coldstart-hello-sdk", ("url", "GET", "/", None), "Hello"),
    # The same, its SDK configuration from Lambda's variables only, without
    # aws-config's default chains (coldstart-hello-sdk-env.rs).
    ("hello + DynamoDB client, env only", "coldstart-hello-sdk-env", ("url", "GET", "/", None), "Hello"),
    ("auth", "auth", ("url", "GET", "/health", None), '"status":"ok"'),
    ("signup", "signup", ("url", "POST", "/auth/signup", b"{}"), "422"),
    ("activation", "activation", ("url", "POST", "/auth/activate", b"{}"), "422"),
    ("inscription", "inscription", ("url", "GET", "/inscription", None), "401"),
    ("documents", "documents", ("url", "GET", "/inscription/confirmation.pdf", None), "401"),
    ("documents-check", "documents-check", ("event", S3_EVENT), "Ignored"),
    ("admin", "admin", ("event", {"action": "no_such_action"}), "error"),
]

# A well-formed session token no account holds: GET /inscription reads the
# session (one BatchGetItem) and answers 401.
UNKNOWN_TOKEN = "0" * 32 + "." + "A" * 43
FIRST_READ = ("inscription, first DynamoDB read", "inscription",
              ("url", "GET", "/inscription", None, {"authorization": f"Bearer {UNKNOWN_TOKEN}"}), "401")

ENV = {
    "AWS_LAMBDA_FUNCTION_NAME": "_",
    "AWS_LAMBDA_FUNCTION_VERSION": "1",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    # Nothing listens there: an AWS call would fail, not go out.
    "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    "EXAMREG_TABLE": "examreg-bench",
    "EXAMREG_BUCKET": "examreg-bench",
    "EXAMREG_SENDER": "inscriptions@exemple.fr",
    "EXAMREG_PUBLIC_URL": "https://inscriptions.exemple.fr",
    "RUST_LOG": "info",
}


BASE_ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "en_US.UTF-8", "TZ": ":UTC"}


def wait_port(port, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"coldstart: the emulator is not listening on {port}")


def invoke(port, how, result):
    if how[0] == "url":
        _, method, path, body, *more = how
        url = f"http://127.0.0.1:{port}/lambda-url/_{path}"
        headers = {"content-type": "application/json"} if body is not None else {}
        headers.update(more[0] if more else {})
    else:
        url = f"http://127.0.0.1:{port}/2015-03-31/functions/_/invocations"
        method, body, headers = "POST", json.dumps(how[1]).encode(), {"content-type": "application/json"}
    req = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            result["status"], result["body"] = resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        result["status"], result["body"] = e.code, e.read().decode("utf-8", "replace")
    except Exception as e:  # noqa: BLE001 - reported as a failed start
        result["status"], result["body"] = None, repr(e)
    result["done"] = time.perf_counter()


def one_start(port, binary, how, expect, extra_env=None):
    result = {}
    thread = threading.Thread(target=invoke, args=(port, how, result))
    thread.start()
    time.sleep(0.15)  # the invocation is queued before the process exists
    # A clean environment, as Lambda gives (no HOME, no SSL_CERT_DIR...).
    env = dict(BASE_ENV, **ENV, AWS_LAMBDA_RUNTIME_API=f"http://127.0.0.1:{port}/.rt")
    env.update(extra_env or {})
    started = time.perf_counter()
    proc = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    thread.join(35)
    peak = peak_memory_mib(proc.pid)
    proc.kill()
    # The process's own CPU time (user + system) up to its end: after its
    # answer it only waits on /next, so this is the start's CPU, which
    # depends much less than the wall time on what else runs on the machine.
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = status
    cpu = (usage.ru_utime + usage.ru_stime) * 1000.0
    if "done" not in result:
        return None, "no answer", None, None
    text = f"{result['status']} {result['body']}"
    if expect not in text:
        return None, text[:200], None, None
    return (result["done"] - started) * 1000.0, text[:80], peak, cpu


def peak_memory_mib(pid):
    """The process's peak resident memory so far (VmHWM), in MiB."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def create_table(endpoint, table):
    """The table on the emulator (DynamoDB's JSON protocol; moto does not
    check the signature). An existing table is fine."""
    body = json.dumps({
        "TableName": table, "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"},
                                 {"AttributeName": "sk", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"},
                      {"AttributeName": "sk", "KeyType": "RANGE"}],
    }).encode()
    req = urllib.request.Request(endpoint, data=body, method="POST", headers={
        "content-type": "application/x-amz-json-1.0",
        "x-amz-target": "DynamoDB_20120810.CreateTable",
        "authorization": "AWS4-HMAC-SHA256 Credential=bench/20260101/eu-west-3/dynamodb/aws4_request, "
                         "SignedHeaders=host, Signature=0"})
    try:
        urllib.request.urlopen(req, timeout=10).read()
    except urllib.error.HTTPError as e:
        text = e.read().decode("utf-8", "replace")
        if "ResourceInUse" not in text:
            sys.exit(f"coldstart: cannot create {table} on {endpoint}: {e.code} {text[:200]}")


def parse_variant(text):
    """'label:VAR=VAL,VAR=VAL' -> (label, {VAR: VAL})."""
    label, _, assignments = text.partition(":")
    env = dict(a.split("=", 1) for a in assignments.split(",") if a)
    return label, env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin-dir", default="target/release")
    parser.add_argument("--hello", help="default: <bin-dir>/coldstart-hello")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--port", type=int, default=9310)
    parser.add_argument("--variant", action="append", default=[],
                        help="'label:VAR=VAL,...': also start each function with these variables")
    parser.add_argument("--only", help="comma-separated function names (the references always run)")
    parser.add_argument("--dynamodb", help="a DynamoDB emulator's URL: adds the first-read row")
    args = parser.parse_args()
    measured = [f for f in FUNCTIONS
                if f[1] is None or f[1].startswith("coldstart") or not args.only or f[0] in args.only.split(",")]
    if args.dynamodb:
        ENV["AWS_ENDPOINT_URL"] = args.dynamodb
        create_table(args.dynamodb, ENV["EXAMREG_TABLE"])
        measured.append(FIRST_READ)
    variants = [parse_variant(v) for v in args.variant]
    # name, binary, invocation, expected answer, extra environment.
    functions = [(*f, None) for f in measured]
    for label, env in variants:
        examreg_only = any(k.startswith("EXAMREG_") for k in env)
        functions += [(f"{name}, {label}", binary, how, expect, env)
                      for name, binary, how, expect in measured
                      if binary and (not binary.startswith("coldstart") or not examreg_only)]
    args.hello = args.hello or os.path.join(args.bin_dir, "coldstart-hello")

    cargo_lambda = shutil.which("cargo-lambda") or os.path.abspath("target/tools-venv/bin/cargo-lambda")
    emulator = subprocess.Popen(
        [cargo_lambda, "lambda", "watch", "--only-lambda-apis", "-A", "127.0.0.1", "-P", str(args.port)],
        cwd=os.getcwd(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(args.port)
        times = {name: [] for name, *_ in functions}
        peaks = {name: [] for name, *_ in functions}
        cpus = {name: [] for name, *_ in functions}
        sizes = {}
        for r in range(args.rounds + 1):
            for name, binary, how, expect, extra_env in functions:
                path = args.hello if binary is None else os.path.join(args.bin_dir, binary)
                sizes[name] = os.path.getsize(path)
                ms, answer, peak, cpu = one_start(args.port, path, how, expect, extra_env)
                if ms is None:
                    sys.exit(f"coldstart: {name} did not answer as expected: {answer}")
                if r > 0:  # round 0 warms the page cache
                    times[name].append(ms)
                    cpus[name].append(cpu)
                    if peak is not None:
                        peaks[name].append(peak)
        hello = statistics.median(times[FUNCTIONS[0][0]])
        hello_sdk = statistics.median(times[FUNCTIONS[1][0]])
        print("| function | binary (x86_64, stripped) | p50 ms | min ms | max ms | p50 / hello | p50 / hello + SDK client "
              "| CPU p50 ms | CPU p50 / hello + SDK client | peak memory (VmHWM) |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        hello_sdk_cpu = statistics.median(cpus[FUNCTIONS[1][0]])
        for name, *_ in functions:
            t = times[name]
            p50 = statistics.median(t)
            print(f"| {name} | {sizes[name] / 1048576:.1f} MiB | {p50:.1f} | {min(t):.1f} | {max(t):.1f} "
                  f"| {p50 / hello:.2f} | {p50 / hello_sdk:.2f} "
                  f"| {statistics.median(cpus[name]):.1f} | {statistics.median(cpus[name]) / hello_sdk_cpu:.2f} "
                  f"| {max(peaks[name], default=0):.1f} MiB |")
        print(f"\n{args.rounds} cold starts each (after one warm-up round), interleaved.")
    finally:
        emulator.kill()
        emulator.wait()


if __name__ == "__main__":
    main()
