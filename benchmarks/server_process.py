"""`uptake serve` as a child process for the benchmarks: started on a free port of 127.0.0.1
over an existing server home, ready once /healthz answers, stopped with SIGTERM."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    """A TCP port of 127.0.0.1 nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """A real `uptake serve --home HOME` (its output goes to HOME/serve.log)."""

    def __init__(self, home: Path, options: tuple[str, ...] = ()) -> None:
        self.home = home
        self.options = options
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "serve.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_seconds: float = 120) -> int:
        """Start it and wait for /healthz; its process id."""
        command = [sys.executable, "-m", "uptake", "-q", "serve", "--home", str(self.home)]
        command += ["--port", str(self.port), *self.options]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=1) as answer:
                    if answer.status == 200:
                        return self.process.pid
            except OSError:
                time.sleep(0.2)
        raise SystemExit(f"the server did not start: {self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        """SIGTERM, then wait (queued commits finish)."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=120)
        self.process = None
