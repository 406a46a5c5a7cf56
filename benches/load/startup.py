"""Start-up time of the local runner: from spawning `examreg serve` to the
first `GET /health` answering 200, on a fresh data directory (the SQLite
file, the signing key and the folders are created) and on an existing one.

    python3 benches/load/startup.py [BINARY] [ROUNDS]    # default target/release/examreg, 20
"""
import http.client
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/release/examreg"
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 20
PORT = 3931


def healthy():
    try:
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
        conn.request("GET", "/health")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except OSError:
        return False


def one(data_dir):
    started = time.perf_counter()
    proc = subprocess.Popen(
        [BIN, "serve", "--addr", f"127.0.0.1:{PORT}", "--data-dir", data_dir,
         "--now", "2021-11-20T10:00:00+01:00"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not healthy():
            if proc.poll() is not None:
                sys.exit(f"startup: the runner exited with {proc.returncode}")
            if time.perf_counter() - started > 30:
                sys.exit("startup: no answer in 30 s")
            time.sleep(0.001)
        return (time.perf_counter() - started) * 1000.0
    finally:
        proc.terminate()
        proc.wait()


def main():
    root = tempfile.mkdtemp(prefix="examreg-startup.")
    try:
        one(os.path.join(root, "warm"))  # page cache
        fresh = [one(os.path.join(root, f"fresh{i}")) for i in range(ROUNDS)]
        existing = [one(os.path.join(root, "fresh0")) for _ in range(ROUNDS)]
    finally:
        shutil.rmtree(root, ignore_errors=True)
    for name, t in (("fresh data directory", fresh), ("existing data directory", existing)):
        print(f"| {name} | {statistics.median(t):.1f} | {min(t):.1f} | {max(t):.1f} | {len(t)} |")


if __name__ == "__main__":
    main()
