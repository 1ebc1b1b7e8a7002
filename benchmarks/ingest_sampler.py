"""Once a second, while a load phase runs: the server's resident memory and the load average;
at the start and end, the CPU time the server used (the load process reports its own)."""

from __future__ import annotations

import os
import statistics
import threading
import time
from types import TracebackType
from typing import Any

import psutil

MIB = 1024 * 1024


class Sampler:
    """A background thread sampling the server process every `interval` seconds."""

    def __init__(self, server_pid: int, interval: float = 1.0) -> None:
        self.server = psutil.Process(server_pid)
        self.interval = interval
        self.rss_mib: list[float] = []
        self.load_average: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._server_cpu0 = 0.0
        self._wall0 = 0.0
        self._wall1 = 0.0
        self._server_cpu1 = 0.0

    @staticmethod
    def _cpu(process: psutil.Process) -> float:
        times = process.cpu_times()
        return float(times.user + times.system + times.children_user + times.children_system)

    def _sample(self) -> None:
        self.rss_mib.append(round(self.server.memory_info().rss / MIB, 1))
        self.load_average.append(os.getloadavg()[0])

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> Sampler:
        self._wall0 = time.perf_counter()
        self._server_cpu0 = self._cpu(self.server)
        self._sample()
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
        self._wall1 = time.perf_counter()
        self._server_cpu1 = self._cpu(self.server)

    def summary(self, load_cpu_seconds: float) -> dict[str, Any]:
        """CPU used by the server and the load process in cores (CPU seconds / wall seconds),
        the highest 1-minute load average seen and the server's largest RSS."""
        wall = self._wall1 - self._wall0
        server_cpu = self._server_cpu1 - self._server_cpu0
        return {
            "wall_seconds": round(wall, 2),
            "server_cpu_seconds": round(server_cpu, 2),
            "server_cores": round(server_cpu / wall, 2),
            "load_cpu_seconds": round(load_cpu_seconds, 2),
            "load_cores": round(load_cpu_seconds / wall, 2),
            "load_average_max": round(max(self.load_average), 2),
            "server_rss_max_mib": max(self.rss_mib),
        }


def memory_summary(samples: list[float]) -> dict[str, Any]:
    """First, last and max RSS, and the least-squares slope over the second half (MiB/min):
    the first half includes warm-up (caches, DuckDB's buffer pool filling)."""
    half = samples[len(samples) // 2 :]
    slope = None
    if len(half) >= 3:
        xs = list(range(len(half)))
        slope = statistics.linear_regression(xs, half).slope * 60  # per sample = per second
    return {
        "samples": len(samples),
        "first_mib": samples[0] if samples else None,
        "last_mib": samples[-1] if samples else None,
        "max_mib": max(samples) if samples else None,
        "second_half_median_mib": statistics.median(half) if half else None,
        "slope_mib_per_min": None if slope is None else round(slope, 2),
    }
