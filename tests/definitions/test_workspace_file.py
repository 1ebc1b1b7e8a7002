"""uptake.toml: the template validates, and mistakes give one clear line naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from uptake.definitions import load_definitions, parse_definitions
from uptake.errors import DefinitionError
from uptake.workspace import Workspace


def test_init_writes_a_template_that_validates(tmp_path: Path):
    with Workspace.init(tmp_path / "acme") as ws:
        assert ws.definitions.name == "acme"
    defs = load_definitions(tmp_path / "acme" / "uptake.toml")
    assert defs.week_start == "sunday"
    assert defs.activity.events == ["*"]
    assert defs.activity.login_event == "login"


def test_a_full_definition_parses():
    defs = parse_definitions(
        {
            "name": "acme",
            "week_start": "monday",
            "activity": {"events": ["*"], "exclude": ["email_*"], "login_event": "signed_in"},
            "seats": {"licensed": 40},
            "features": [
                {
                    "name": "Reports",
                    "events": ["report_*"],
                    "released_at": "2026-02-01",
                    "where": [{"property": "event.format", "op": "eq", "value": "pdf"}],
                }
            ],
            "key_actions": [{"name": "Deal", "events": ["opportunity_created"]}],
            "value_moment": {"name": "Won", "events": ["opportunity_won"]},
            "kpis": [{"name": "Records created", "events": ["contact_created"]}],
        }
    )
    assert defs.feature("Reports").released_at.isoformat() == "2026-02-01"
    assert defs.key_action("Deal").events == ["opportunity_created"]
    assert defs.seats.licensed == 40


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"week_start": "tuesday"}, r"week_start: Input should be 'sunday' or 'monday'"),
        (
            {"features": [{"name": "A", "events": []}]},
            r"features\[0\]\.events: List should have at least 1 item",
        ),
        (
            {"features": [{"name": "A", "events": ["a"]}, {"name": "A", "events": ["b"]}]},
            r"feature name 'A' is defined twice",
        ),
        (
            {
                "features": [
                    {
                        "name": "A",
                        "events": ["a"],
                        "where": [{"property": "user.role", "op": "eq", "value": "x"}],
                    }
                ]
            },
            r"can only filter on event properties",
        ),
        (
            {
                "features": [
                    {
                        "name": "A",
                        "events": ["a"],
                        "where": [{"property": "event.x", "op": "in", "value": "x"}],
                    }
                ]
            },
            r"op 'in' needs a non-empty list",
        ),
        (
            {"seats": {"licensed": -1}},
            r"seats\.licensed: Input should be greater than or equal to 0",
        ),
        ({"colour": "blue"}, r"colour: Extra inputs are not permitted"),
    ],
)
def test_mistakes_name_the_field(data, message):
    with pytest.raises(DefinitionError, match=message):
        parse_definitions(data, source="uptake.toml")


def test_broken_toml_is_one_clear_error(tmp_path: Path):
    path = tmp_path / "uptake.toml"
    path.write_text('name = "acme"\nweek_start = \n')
    with pytest.raises(DefinitionError, match=r"uptake\.toml: not valid TOML"):
        load_definitions(path)


def test_missing_file_says_how_to_create_one(tmp_path: Path):
    with pytest.raises(DefinitionError, match=r"run `uptake init`"):
        load_definitions(tmp_path / "uptake.toml")
