"""The dashboard benchmark: how long every page takes to answer on a large demo workspace.

    python -m benchmarks.pages                        # 10M events, 5 rounds
    python -m benchmarks.pages --events 1M --repeat 3 --pages overview,activity

It generates (once, then reuses) a demo workspace of `--events` events as the project `demo`
of a server home in `bench-data/pages-<N>/`, starts the real `uptake serve` on 127.0.0.1, logs
in through the login form and requests every dashboard page the way a browser does (one
keep-alive connection, the whole HTML page: every metric of the page computed and rendered).

Each page is requested in several views (its defaults, per account, by month, with a segment;
a builder page with a typical question): the first request of each view is reported apart
(`first_ms`: it compiles the page's metrics, which later requests reuse), then `--repeat`
rounds over all views give the warm samples whose p50 / p95 / max are reported. The server keeps
answers while the data is unchanged (web/result_cache.py), so warm samples are mostly served
from that cache; `--result-cache 0` turns it off and every request computes its metrics again
(only the compiled SQL is reused). Times are measured by the client, so they include rendering
and the loopback round trip.

Results: benchmarks/results/pages-<date>-<size>.json and a table on stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from benchmarks.kpis import parse_size
from benchmarks.machine import cpu_model, describe, now
from benchmarks.records import size_label
from benchmarks.server_process import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"
PROJECT = "demo"
USER = "bench"
PASSWORD = "bench-password"
SEED = 42
END = dt.date(2026, 11, 18)  # fixed, so every run sees the same rows
TARGET_P95_MS = 500


def arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.pages", description=__doc__)
    parser.add_argument("--events", default="10M", help="demo size in events (default 10M)")
    parser.add_argument("--repeat", type=int, default=5, help="warm rounds over all views")
    parser.add_argument("--pages", default="", help="only these page keys (comma-separated)")
    parser.add_argument(
        "--result-cache",
        type=int,
        default=None,
        help="the server's --result-cache (0: every request computes its metrics afresh)",
    )
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--note", default="", help="a remark stored with the results")
    return parser.parse_args(argv)


def say(text: str) -> None:
    """One progress line, at once."""
    print(text, flush=True)


def prepare_home(events: int) -> Path:
    """The server home with the demo project and a dashboard user (generated once)."""
    from uptake.demo import generate
    from uptake.demo.manifest import definitions_toml
    from uptake.demo.scenario import build_scenario
    from uptake.server.dashboard_users import DashboardUsers
    from uptake.server.home import ServerHome
    from uptake.workspace import DEFINITIONS_FILE

    home = ROOT / "bench-data" / f"pages-{events}"
    project = home / "projects" / PROJECT
    manifest = project / "demo.json"
    wanted = {"seed": SEED, "end": END.isoformat()}
    made = json.loads(manifest.read_text("utf-8")) if manifest.exists() else {}
    if not (project / "uptake.duckdb").exists() or any(made.get(k) != v for k, v in wanted.items()):
        say(f"generating a demo of ~{events:,} events in {project} ...")
        started = time.perf_counter()
        project.parent.mkdir(parents=True, exist_ok=True)
        generate(project, seed=SEED, end=END, events=events, force=True)
        say(f"generated in {time.perf_counter() - started:.0f} s")
    else:
        # The data depends only on the seed; the definitions follow the code (a page added
        # since, such as Journeys, needs its own).
        scenario = build_scenario(seed=SEED, end=END, events=events)
        (project / DEFINITIONS_FILE).write_text(definitions_toml(scenario), "utf-8")
    ServerHome(home)  # creates server.sqlite beside the projects when missing
    DashboardUsers(ServerHome(home).keys_path).create(USER, PASSWORD, replace=True)
    return home


def login(client: httpx.Client) -> None:
    """Log in through the form, as a browser does."""
    form = client.get("/login")
    token = re.search(r'name="csrf" value="([^"]+)"', form.text)
    if token is None:
        raise SystemExit("no CSRF token on /login")
    answer = client.post(
        "/login", data={"csrf": token.group(1), "name": USER, "password": PASSWORD, "next": "/"}
    )
    if answer.status_code != 303:
        raise SystemExit(f"login failed: {answer.status_code}")


def first_link(html: str, prefix: str) -> str | None:
    """The first link on a page whose path starts with `prefix` (and goes deeper)."""
    for href in re.findall(r'href="([^"]+)"', html):
        path = href.replace("&amp;", "&").split("?")[0]
        if path.startswith(prefix + "/") and len(path) > len(prefix) + 1:
            return path
    return None


def views(client: httpx.Client, pages: list[Any], segment: str) -> dict[str, list[str]]:
    """The URLs to time, by page key: each navigation page's default view and its variants,
    and each page reached from another (a feature, an account, a user) through the first link
    to it on the navigation pages."""
    base = f"/projects/{quote(PROJECT, safe='')}"
    out: dict[str, list[str]] = {}
    html_by_page: dict[str, str] = {}
    for page in pages:
        if not page.nav:
            continue
        url = base + page.path
        html_by_page[page.key] = client.get(url).text
        variants = ["", "unit=account", segment]
        if page.periods and "month" in page.periods:
            variants.append("period=month")
        variants += BUILDER_VIEWS.get(page.key, [])
        out[page.key] = [url + (f"?{q}" if q else "") for q in variants]
    for page in pages:
        if page.nav:
            continue
        prefix = base + page.path.split("/{")[0]
        link = next(
            (found for html in html_by_page.values() if (found := first_link(html, prefix))),
            None,
        )
        if link is not None:
            out[page.key] = [link, f"{link}?unit=account", f"{link}?{segment}"]
    return out


# Pages that show nothing until asked a question: a typical one (the demo's events).
BUILDER_VIEWS: dict[str, list[str]] = {
    "funnels": [
        urlencode([("step", e) for e in ("login", "opportunity_created", "opportunity_won")])
    ],
    "paths": [urlencode({"anchor": "login"})],
}


def timed(client: httpx.Client, url: str) -> tuple[float, int]:
    """Milliseconds for the whole page, and its status."""
    started = time.perf_counter()
    answer = client.get(url)
    return (time.perf_counter() - started) * 1000, answer.status_code


def percentile(samples: list[float], q: float) -> float:
    """The q-quantile (0-1) by linear interpolation (numpy's default)."""
    ordered = sorted(samples)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def main(argv: list[str] | None = None) -> int:
    """Time every page and write the results."""
    from uptake.web.pages.site import PAGE_MODULES

    args = arguments(argv)
    events = parse_size(args.events)
    started = now()
    home = prepare_home(events)
    cache = () if args.result_cache is None else ("--result-cache", str(args.result_cache))
    server = ServerProcess(home, cache)
    pages = [m.PAGE for m in PAGE_MODULES]
    if args.pages:
        wanted = {k.strip() for k in args.pages.split(",")}
        pages = [p for p in pages if p.key in wanted]
    record: dict[str, Any] = {
        "benchmark": "pages",
        "date": started.isoformat(),
        "command": " ".join(["python -m benchmarks.pages", *(argv or sys.argv[1:])]),
        "machine": {**describe(), "cpu": cpu_model()},
        "events_target": events,
        "repeat": args.repeat,
        "result_cache": args.result_cache,
        "note": args.note,
        "pages": {},
    }
    try:
        pid = server.start()
        say(f"server {server.url} (pid {pid}), home {home}")
        with httpx.Client(base_url=server.url, timeout=300) as client:
            login(client)
            segment = urlencode({"segment": "account.plan", "segment_value": "enterprise"})
            by_page = views(client, pages, segment)
            for key, urls in by_page.items():
                first = []
                for url in urls:
                    ms, status = timed(client, url)
                    if status != 200:
                        raise SystemExit(f"{url}: HTTP {status}")
                    first.append(ms)
                warm = [timed(client, url)[0] for _ in range(args.repeat) for url in urls]
                result = {
                    "views": urls,
                    "first_ms": [round(v, 1) for v in first],
                    "warm_samples": len(warm),
                    "p50_ms": round(statistics.median(warm), 1),
                    "p95_ms": round(percentile(warm, 0.95), 1),
                    "max_ms": round(max(warm), 1),
                }
                record["pages"][key] = result
                say(
                    f"{key:<14} p50 {result['p50_ms']:>7.1f} ms  p95 {result['p95_ms']:>7.1f} ms"
                    f"  max {result['max_ms']:>7.1f} ms  first {max(first):>7.1f} ms"
                    f"  ({len(urls)} views x {args.repeat})"
                )
    finally:
        server.stop()
    slow = [k for k, r in record["pages"].items() if r["p95_ms"] > TARGET_P95_MS]
    say(f"pages over the {TARGET_P95_MS} ms p95 target: {', '.join(slow) or 'none'}")
    if not args.no_write:
        mode = "" if args.result_cache is None else f"-cache{args.result_cache}"
        name = f"pages-{started.date().isoformat()}-{size_label(events)}{mode}.json"
        out = RESULTS_DIR / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        say(f"results: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
