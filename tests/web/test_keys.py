"""Keys on a running server: created and revoked with the CLI while it runs, they work and stop
working at once; only hashes of their secrets are ever written."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.stories import date
from uptake.server.keys import KeyStore

LOGIN = {"userId": "ann", "event": "login", "timestamp": f"{date(0)}T12:00:00Z"}


def keys_cli(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """`uptake keys ...` on `home` in its own process (wide, so tables are whole)."""
    return subprocess.run(
        [sys.executable, "-m", "uptake", "-q", "keys", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )


def use(server, kind: str, secret: str) -> httpx.Response:
    """The call each kind of key exists for: a track call, or listing the metrics."""
    if kind == "write":
        return httpx.post(server.url + "/v1/track", json=LOGIN, auth=(secret, ""), timeout=30)
    return httpx.get(
        server.url + "/api/projects/acme/metrics",
        headers={"Authorization": f"Bearer {secret}"},
        timeout=30,
    )


@pytest.mark.parametrize(
    ("kind", "refusal"),
    [("write", "unknown or revoked write key"), ("read", "unknown or revoked token")],
)
def test_a_key_made_while_the_server_runs_works_at_once_and_revoking_stops_it(
    server, kind, refusal
):
    created = keys_cli(
        "create", "--project", "acme", "--kind", kind, "-f", "json", home=server.home
    )
    assert created.returncode == 0, created.stderr
    key = json.loads(created.stdout)
    assert (key["project"], key["kind"]) == ("acme", kind)
    assert use(server, kind, key["secret"]).status_code == 200
    revoked = keys_cli("revoke", key["key_id"], home=server.home)
    assert revoked.returncode == 0, revoked.stderr
    assert revoked.stdout.strip() == f"Revoked {kind} key {key['key_id']} of project acme."
    refused = use(server, kind, key["secret"])
    assert refused.status_code == 401
    assert refused.json()["error"] == refusal
    # The project's other keys are untouched.
    other = server.write_key if kind == "write" else server.read_key
    assert use(server, kind, other).status_code == 200


def test_secrets_are_written_nowhere_only_their_hashes(server):
    created = keys_cli(
        "create", "--project", "acme", "--kind", "read", "--label", "dashboard", home=server.home
    )
    assert created.returncode == 0, created.stderr
    # Text format: the secret is the line after "Its secret (shown once):".
    lines = created.stdout.splitlines()
    [at] = [n for n, line in enumerate(lines) if line.endswith("(shown once):")]
    shown = lines[at + 1]
    secrets = [server.write_key, server.read_key, shown]
    assert all(s.startswith(("upw_", "upr_")) for s in secrets)
    # Use each key once, so the server has handled every secret too.
    assert use(server, "write", server.write_key).status_code == 200
    assert use(server, "read", server.read_key).status_code == 200
    assert use(server, "read", shown).status_code == 200
    files = [p for p in server.home.rglob("*") if p.is_file()]
    every_byte = b"".join(p.read_bytes() for p in files)
    for secret in secrets:
        assert secret.encode() not in every_byte
    # The key file (with its write-ahead log) does hold each hash: we looked in the right place.
    key_file = b"".join(p.read_bytes() for p in files if p.name.startswith("server.sqlite"))
    for secret in secrets:
        assert hashlib.sha256(secret.encode()).hexdigest().encode() in key_file


def test_keys_list_shows_ids_and_revocations_never_secrets(server):
    store = KeyStore(server.home / "server.sqlite")
    try:
        [write_id] = [k.key_id for k in store.keys("acme") if k.kind == "write"]
        [read_id] = [k.key_id for k in store.keys("acme") if k.kind == "read"]
    finally:
        store.close()
    assert keys_cli("revoke", read_id, home=server.home).returncode == 0
    listed = keys_cli("list", "--project", "acme", home=server.home)
    assert listed.returncode == 0, listed.stderr
    lines = [line for line in listed.stdout.splitlines() if line.startswith("│")]
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in lines]
    # key id, project, kind, label, created, revoked: the read token shows when it was revoked.
    # (Both keys were made in the same second: the list's order between them is the ids'.)
    summary = sorted(((r[0], r[1], r[2], r[3], bool(r[5])) for r in rows), key=lambda r: r[2])
    assert summary == [
        (read_id, "acme", "read", "", True),
        (write_id, "acme", "write", "", False),
    ]
    assert server.write_key not in listed.stdout and server.read_key not in listed.stdout
    assert use(server, "read", server.read_key).status_code == 401
