"""The real server for the web tests: `uptake serve` in its own process on 127.0.0.1, on a
fresh server home with one project (`acme`) and a write key and read token for it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from uptake.server.home import ServerHome
from uptake.server.keys import KeyKind, KeyStore

PROJECT = "acme"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def uptake(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    """Run the uptake CLI on `home`; fails the test if it fails."""
    done = subprocess.run(
        [sys.executable, "-m", "uptake", "-q", *args, "--home", str(home)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


def create_key(home: Path, project: str, kind: KeyKind) -> str:
    """A new key's secret (through the Python API: the CLI has its own tests)."""
    keys = KeyStore(ServerHome(home).keys_path)
    try:
        return keys.create(project, kind)[1]
    finally:
        keys.close()


@dataclass
class RunningServer:
    """A server process on a home; `stop`, `kill` (-9) and `start` again."""

    home: Path
    port: int
    write_key: str
    read_key: str
    extra_args: tuple[str, ...] = ()
    process: subprocess.Popen[bytes] | None = None
    log: Path = field(init=False)

    def __post_init__(self) -> None:
        self.log = self.home / "serve.log"

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 300.0) -> None:
        """Start the server and wait until /healthz answers."""
        command = [sys.executable, "-m", "uptake", "-q", "serve", "--home", str(self.home)]
        command += ["--port", str(self.port), *self.extra_args]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop gracefully (SIGTERM) and wait."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=60)
        self.process = None

    def kill(self) -> None:
        """Kill -9: no shutdown code runs."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=60)
        self.process = None

    def client(self) -> httpx.Client:
        """An HTTP client for this server (Basic auth with the write key)."""
        return httpx.Client(base_url=self.url, auth=(self.write_key, ""), timeout=30)

    def reader(self) -> httpx.Client:
        """An HTTP client with the read token."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.read_key}"},
            timeout=60,
        )


def make_home(home: Path, *projects: str) -> None:
    """A server home with these projects."""
    for name in projects:
        ServerHome(home).create_project(name)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[RunningServer]:
    """A running server on a fresh home with project `acme`."""
    home = tmp_path / "home"
    make_home(home, PROJECT)
    running = RunningServer(
        home, free_port(), create_key(home, PROJECT, "write"), create_key(home, PROJECT, "read")
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()
