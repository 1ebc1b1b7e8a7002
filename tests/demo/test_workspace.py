"""The demo workspace: its uptake.toml validates and means something, its manifest, refusing to
overwrite, and `uptake demo` / `uptake query` through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.demo.conftest import END, SETTINGS
from uptake.cli.app import app
from uptake.definitions import load_definitions
from uptake.demo import DemoError, DemoSummary, generate
from uptake.workspace import Workspace


def test_the_definitions_validate_and_name_the_crm(small_demo: DemoSummary) -> None:
    defs = load_definitions(Path(small_demo.path) / "uptake.toml")
    assert defs.name == "demo"
    assert defs.week_start == "sunday"
    assert defs.activity.events == ["*"]
    assert defs.activity.exclude == ["notification_received"]
    assert defs.activity.login_event == "login"
    assert [f.name for f in defs.features] == [
        "Forecasting",
        "Email sequences",
        "Mobile app",
        "AI assistant",
        "Reports",
        "Dashboards",
        "Team chat",
        "PDF exports",
    ]
    pdf = defs.feature("PDF exports")
    assert [(w.property, w.op, w.value) for w in pdf.where] == [("event.format", "eq", "pdf")]
    assert [k.name for k in defs.key_actions] == ["Created an opportunity", "Logged an activity"]
    assert defs.value_moment is not None and defs.value_moment.events == ["opportunity_won"]
    assert [k.name for k in defs.kpis] == [
        "Records created",
        "Records updated",
        "Tasks opened",
        "Tasks closed",
        "Activities logged",
        "Deals won",
    ]
    assert defs.kpi("Records created").events == ["contact_created", "opportunity_created"]


def test_seats_and_every_defined_event_are_in_the_data(
    small_demo: DemoSummary, small_workspace: Workspace
) -> None:
    defs = small_workspace.definitions
    con = small_workspace.store.con
    # Licensed seats = seats of customers (started) that have not churned.
    row = con.execute(
        "SELECT sum(seats) FROM accounts WHERE started_at IS NOT NULL AND churned_at IS NULL"
    ).fetchone()
    assert row is not None and defs.seats.licensed == row[0]
    named = {defs.activity.login_event, *defs.activity.exclude}
    for group in (defs.features, defs.key_actions, defs.kpis, [defs.value_moment]):
        for item in group:
            assert item is not None
            named.update(item.events)
    present = {r[0] for r in con.execute('SELECT DISTINCT "event" FROM daily').fetchall()}
    assert named <= present, named - present


def test_the_manifest_records_how_to_regenerate(small_demo: DemoSummary) -> None:
    info = json.loads((Path(small_demo.path) / "demo.json").read_text())
    assert {k: info[k] for k in ("generator", "size", "seed", "target_events", "start", "end")} == {
        "generator": "uptake demo",
        "size": "small",
        "seed": 42,
        "target_events": 200_000,
        "start": "2025-09-24",
        "end": "2026-06-30",
    }
    assert info["counts"] == {
        "accounts": small_demo.accounts,
        "users": small_demo.users,
        "events": small_demo.events,
        "responses": small_demo.responses,
    }
    assert info["story"] == small_demo.story


def test_an_existing_demo_is_kept_unless_forced(tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    first = generate(folder, "tiny", 42, END, settings=SETTINGS)
    with pytest.raises(DemoError, match="already holds a demo workspace; pass --force"):
        generate(folder, "tiny", 43, END, settings=SETTINGS)
    assert json.loads((folder / "demo.json").read_text())["seed"] == 42
    replaced = generate(folder, "tiny", 43, END, settings=SETTINGS, force=True)
    assert json.loads((folder / "demo.json").read_text())["seed"] == 43
    with Workspace.open(folder, SETTINGS, read_only=True) as ws:
        assert ws.store.row_counts()["events"] == replaced.events
    assert replaced.events != first.events  # another seed draws other events


def test_a_folder_that_is_not_a_demo_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(DemoError, match=r"holds no demo\.json, so it is not a demo workspace"):
        generate(tmp_path, "tiny", 42, END, settings=SETTINGS, force=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


def test_uptake_demo_then_uptake_query(tmp_path: Path) -> None:
    runner = CliRunner()
    folder = tmp_path / "demo"
    made = runner.invoke(app, ["-q", "demo", str(folder), "--size", "tiny", "--end", "2026-06-30"])
    assert made.exit_code == 0, made.output
    counts = json.loads((folder / "demo.json").read_text())["counts"]
    assert f"Created demo workspace {folder}" in made.output
    assert f"events     {counts['events']:,} from 2025-09-24 to 2026-06-30" in made.output
    assert f"uptake -w {folder} query" in made.output

    spec = {
        "kind": "trend",
        "measure": "unique",
        "period": "week",
        "from": "2026-06-07",
        "to": "2026-06-27",
    }
    asked = runner.invoke(app, ["-w", str(folder), "query", json.dumps(spec), "-f", "json"])
    assert asked.exit_code == 0, asked.output
    got = {r["period"]: r["value"] for r in json.loads(asked.output)["rows"]}
    # The same question in plain SQL over the rollup: distinct active users per Sunday week.
    with Workspace.open(folder, SETTINGS, read_only=True) as ws:
        expected = {
            str(week): n
            for week, n in ws.store.con.execute(
                """
                SELECT CAST(? AS DATE) + w, count(DISTINCT user_id) FROM daily,
                       (SELECT CAST(7 * range AS INTEGER) AS w FROM range(3))
                WHERE "event" <> 'notification_received'
                  AND "day" BETWEEN CAST(? AS DATE) + w AND CAST(? AS DATE) + w + 6
                GROUP BY w
                """,
                [dt.date(2026, 6, 7)] * 3,
            ).fetchall()
        }
    assert got == expected
    assert all(v > 0 for v in got.values())

    again = runner.invoke(app, ["demo", str(folder), "--size", "tiny"])
    assert again.exit_code != 0
    assert isinstance(again.exception, DemoError)
