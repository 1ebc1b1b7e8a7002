"""Funnel specs: default step names, an empty result, and errors that read well."""

from __future__ import annotations

import json

import pytest

from tests.metrics.funnel_cases import funnel, table
from tests.stories import day, journeys
from uptake.errors import SpecError
from uptake.metrics import describe, parse_spec


def test_step_name_defaults_to_the_events_joined(run):
    story = journeys({"ann": [("signup", day(0)), ("export_csv", day(1))]})
    result = run(story, funnel(["signup", {"events": ["export_*", "print"]}]))
    assert result.column("step_name") == ["signup", "export_* | print"]
    assert result.column("entities") == [1, 1]


def test_no_entities_gives_every_step_with_zero_and_no_rates(run):
    story = journeys({"ann": [("login", day(0))]})
    assert table(run(story, funnel(["signup", "invite", "pay"]))) == [
        (1, "signup", 0, None, None, 0, None, None, None),
        (2, "invite", 0, None, None, 0, None, None, None),
        (3, "pay", 0, None, None, 0, None, None, None),
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"steps": ["signup"]}, "a funnel needs 2 to 20 steps, got 1"),
        ({"steps": [f"e{i}" for i in range(21)]}, "a funnel needs 2 to 20 steps, got 21"),
        ({"steps": ["a", {"events": ["b"], "feature": "x"}]}, "needs `events` or `feature`"),
        ({"steps": ["a", {"name": "b"}]}, "needs `events` or `feature`"),
        ({"steps": ["a", {"events": []}]}, "`events` must not be empty"),
        (
            {
                "steps": [
                    "a",
                    {
                        "events": ["b"],
                        "where": [{"property": "user.plan", "op": "eq", "value": "pro"}],
                    },
                ]
            },
            "funnel's `filters`",
        ),
        ({"order": "sequential"}, "order"),
        ({"conversion_window": 0}, "conversion_window: Value error, must be at least 1, got 0"),
        ({"conversion_window": 600, "conversion_window_unit": "week"}, "10 years"),
        ({"conversion_window_unit": "month"}, "conversion_window_unit"),
    ],
)
def test_invalid_specs_are_explained(change, message):
    with pytest.raises(SpecError, match="invalid funnel spec") as caught:
        parse_spec(funnel(["signup", "invite"]) | change)
    assert message in str(caught.value)


def test_missing_steps_are_explained():
    with pytest.raises(SpecError, match="steps: Value error, a funnel needs 2 to 20 steps, got 0"):
        parse_spec({"kind": "funnel"})


def test_funnel_is_described_with_its_parameters():
    (info,) = [i for i in describe() if i.kind == "funnel"]
    names = [p.name for p in info.parameters]
    assert names[-4:] == ["steps", "order", "conversion_window", "conversion_window_unit"]
    json.dumps(info.model_dump(mode="json"))  # `uptake metrics --format json` prints this


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_unknown_feature_is_a_spec_error(run):
    story = journeys({"ann": [("login", day(0))]})
    with pytest.raises(SpecError, match="unknown feature 'nope'"):
        run(story, funnel(["login", {"feature": "nope"}]))
