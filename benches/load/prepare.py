"""Prepares N candidates on a running examreg runner for the load test:
signup, activation (link read from /_local/outbox), login, and a first
inscription (version 1). Prints one bearer token per line.

    python3 benches/load/prepare.py http://127.0.0.1:3917 256 > tokens.txt
"""
import concurrent.futures
import json
import sys
import urllib.error
import urllib.request

BASE, N = sys.argv[1], int(sys.argv[2])
PASSWORD = "cheval-agrafe-batterie-correcte"


def call(method, path, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=60) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def email(i):
    return f"charge{i}@exemple.fr"


def signup(i):
    status, _ = call("POST", "/auth/signup", {"email": email(i), "password": PASSWORD})
    assert status == 202, (i, status)


def inscription(version):
    return {
        "diploma": "CAP", "specialty": "CUISINE",
        "identity": {
            "last_name": "Charge", "first_names": "Zoé", "birth_date": "1995-03-04",
            "birth_place": "Marseille", "nationality": "BE",
            "address": {"line1": "1 rue Paradis", "postal_code": "13001",
                        "city": "Marseille", "country": "FR"},
            "phone": "0612345678",
        },
        "disability": {"declared": False, "existing_accommodation": False},
        "acquis": [], "version": version,
    }


def activate_login_create(i, activation):
    status, answer = call("POST", "/auth/activate", {"token": activation})
    assert status == 200, (i, status, answer)
    status, answer = call("POST", "/auth/login", {"email": email(i), "password": PASSWORD})
    assert status == 200, (i, status, answer)
    token = answer["token"]
    status, answer = call("PUT", "/inscription", inscription(0), token)
    assert status == 201, (i, status, answer)
    return token


with concurrent.futures.ThreadPoolExecutor(4) as pool:
    list(pool.map(signup, range(N)))
    _, outbox = call("GET", "/_local/outbox")
    links = {}
    for mail in outbox:
        if "token=" in mail["text"]:
            links[mail["to"]] = mail["text"].split("token=")[1].split()[0]
    tokens = list(pool.map(lambda i: activate_login_create(i, links[email(i)]), range(N)))
print("\n".join(tokens))
