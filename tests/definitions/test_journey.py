"""Journeys in uptake.toml: stages and criteria, the two templates and their overrides, and one
clear line for every mistake."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from uptake.definitions import load_definitions, parse_definitions
from uptake.errors import DefinitionError

WORKSPACE: dict[str, Any] = {
    "features": [{"name": "Reports", "events": ["report_viewed"]}],
    "key_actions": [{"name": "Deal", "events": ["deal_created"]}],
    "value_moment": {"name": "Won", "events": ["deal_won"]},
}


def with_journeys(*journeys: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {**WORKSPACE, **more, "journeys": list(journeys)}


def kinds(stage: Any) -> list[str]:
    return [c.kind for c in stage.criteria]


def test_a_journey_in_toml_with_every_kind_of_criterion(tmp_path: Path) -> None:
    toml = tmp_path / "uptake.toml"
    toml.write_text(
        """
[[features]]
name = "Reports"
events = ["report_viewed"]

[[key_actions]]
name = "Deal"
events = ["deal_created"]

[value_moment]
name = "Won"
events = ["deal_won"]

[[journeys]]
name = "Onboarding"
unit = "account"

[[journeys.stages]]
name = "Signed up"
criteria = [{ field = "account.created_at" }]

[[journeys.stages]]
name = "Busy"
[[journeys.stages.criteria]]
events = ["report_*"]
where = [{ property = "event.format", op = "eq", value = "pdf" }]
min_count = 3
within_days = 7
[[journeys.stages.criteria]]
property = "account.plan"
op = "in"
value = ["pro", "enterprise"]

[[journeys.stages]]
name = "Engaged"
criteria = [
  { feature = "Reports" },
  { key_action = "*" },
  { active = true, count = "days", min_count = 2, after_previous_days = 1 },
]

[[journeys.stages]]
name = "Won"
criteria = [{ value_moment = true }]
""",
        "utf-8",
    )
    journey = load_definitions(toml).journey("Onboarding")
    assert journey.unit == "account"
    assert journey.template is None
    assert journey.stage_names() == ["Signed up", "Busy", "Engaged", "Won"]
    signed, busy, engaged, won = journey.stages
    assert kinds(signed) == ["field"] and signed.criteria[0].field == "account.created_at"
    assert kinds(busy) == ["events", "property"]
    counted = busy.criteria[0]
    assert (counted.min_count, counted.within_days, counted.count) == (3, 7, "events")
    assert counted.where[0].property == "event.format"
    assert busy.criteria[1].condition().value == ["pro", "enterprise"]
    assert kinds(engaged) == ["feature", "key_action", "active"]
    assert engaged.criteria[2].after_previous_days == 1
    assert [c.counted for c in engaged.criteria] == [False, False, True]
    assert kinds(won) == ["value_moment"]


def test_the_adoption_template_expands_to_five_stages() -> None:
    journey = parse_definitions(with_journeys({"name": "A", "template": "adoption"})).journeys[0]
    assert journey.unit == "user"
    assert journey.stage_names() == ["Awareness", "Interest", "Evaluation", "Trial", "Adoption"]
    awareness, interest, evaluation, trial, adoption = (s.criteria for s in journey.stages)
    assert awareness[0].events == ["*"]
    assert (interest[0].active, interest[0].count, interest[0].min_count) == (True, "days", 2)
    assert interest[0].within_days == 14
    assert evaluation[0].feature == "*"
    assert trial[0].key_action == "*"
    assert adoption[0].value_moment is True


def test_the_customer_template_needs_no_workspace_definitions() -> None:
    journey = parse_definitions(
        {"journeys": [{"name": "C", "template": "customer", "unit": "account"}]}
    ).journeys[0]
    assert journey.stage_names() == ["Reach", "Acquisition", "Conversion", "Retention", "Loyalty"]
    reach, acquisition, conversion, retention, loyalty = (s.criteria for s in journey.stages)
    assert reach[0].events == ["*"]
    assert acquisition[0].field == "user.created_at"
    assert conversion[0].field == "account.started_at"
    assert (retention[0].active, retention[0].after_previous_days) == (True, 30)
    assert loyalty[0].field == "account.renewal_at"
    condition = loyalty[1].condition()
    assert (condition.property, condition.op, condition.value) == (
        "account.churned_at",
        "is_not_set",
        None,
    )


def test_a_template_stage_is_overridden_by_name_and_the_rest_stay() -> None:
    journey = parse_definitions(
        with_journeys(
            {
                "name": "A",
                "template": "adoption",
                "stages": [{"name": "Trial", "criteria": [{"key_action": "Deal"}]}],
            }
        )
    ).journeys[0]
    assert journey.stage_names() == ["Awareness", "Interest", "Evaluation", "Trial", "Adoption"]
    assert journey.stages[3].criteria[0].key_action == "Deal"
    assert journey.stages[2].criteria[0].feature == "*"


def test_definitions_round_trip_through_their_json() -> None:
    defs = parse_definitions(
        with_journeys(
            {"name": "A", "template": "adoption"},
            {"name": "C", "template": "customer"},
        )
    )
    assert parse_definitions(defs.model_dump(mode="json")) == defs


def test_journey_lookup_names_the_known_ones() -> None:
    defs = parse_definitions(with_journeys({"name": "A", "template": "adoption"}))
    assert defs.journey("A").name == "A"
    with pytest.raises(KeyError, match=r"unknown journey 'B'; defined: \['A'\]"):
        defs.journey("B")


STAGE = {"name": "S", "criteria": [{"events": ["login"]}]}


def one_criterion(**criterion: Any) -> dict[str, Any]:
    return with_journeys({"name": "J", "stages": [{"name": "S", "criteria": [criterion]}]})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            with_journeys({"name": "J", "stages": [STAGE]}, {"name": "J", "stages": [STAGE]}),
            r"^test: \(top level\): Value error, journey name 'J' is defined twice$",
        ),
        (
            with_journeys({"name": "J"}),
            r"^test: journeys\[0\]: Value error, journey 'J' has no stages: add "
            r"\[\[journeys.stages\]\] or a template$",
        ),
        (
            with_journeys({"name": "J", "stages": [STAGE, STAGE]}),
            r"^test: journeys\[0\]: Value error, journey 'J': stage name 'S' is used twice$",
        ),
        (
            with_journeys({"name": "J", "stages": [{"name": "S", "criteria": []}]}),
            r"^test: journeys\[0\]\.stages\[0\]\.criteria: List should have at least 1 item",
        ),
        (
            with_journeys({"name": "J", "template": "aida"}),
            r"^test: journeys\[0\]: Value error, unknown journey template 'aida'; templates: "
            r"adoption, customer$",
        ),
        (
            with_journeys({"name": "J", "template": "adoption", "stages": [STAGE]}),
            r"^test: journeys\[0\]: Value error, stage 'S' is not a stage of template 'adoption' "
            r"\(Awareness, Interest, Evaluation, Trial, Adoption\): a template's stages can be "
            r"overridden, not added$",
        ),
        (
            with_journeys({"name": "J", "unit": "team", "stages": [STAGE]}),
            r"^test: journeys\[0\]\.unit: Input should be 'user' or 'account'$",
        ),
        (
            one_criterion(feature="Chat"),
            r"^test: \(top level\): Value error, journey 'J' stage 'S': unknown feature 'Chat'; "
            r"defined: \['Reports'\]$",
        ),
        (
            one_criterion(key_action="Call"),
            r"journey 'J' stage 'S': unknown key action 'Call'; defined: \['Deal'\]$",
        ),
        (
            {"journeys": [{"name": "J", "template": "adoption"}]},
            r"journey 'J' stage 'Evaluation' uses any feature, but none is declared: add "
            r"\[\[features\]\] to uptake.toml or override the stage$",
        ),
        (
            {
                "features": WORKSPACE["features"],
                "journeys": [{"name": "J", "template": "adoption"}],
            },
            r"journey 'J' stage 'Trial' uses any key action, but none is declared: add "
            r"\[\[key_actions\]\] to uptake.toml or override the stage$",
        ),
        (
            {
                "features": WORKSPACE["features"],
                "key_actions": WORKSPACE["key_actions"],
                "journeys": [{"name": "J", "template": "adoption"}],
            },
            r"journey 'J' stage 'Adoption' uses the value moment, but none is declared: add "
            r"\[value_moment\] to uptake.toml or override the stage$",
        ),
        (
            one_criterion(),
            r"^test: journeys\[0\]\.stages\[0\]\.criteria\[0\]: Value error, a criterion needs "
            r"one of events, feature, key_action, value_moment = true, active = true, field or "
            r"property$",
        ),
        (
            one_criterion(events=["a"], feature="Reports"),
            r"criteria\[0\]: Value error, a criterion takes one of events, feature, key_action, "
            r"value_moment, active, field, property; got events and feature$",
        ),
        (
            one_criterion(events=[]),
            r"criteria\[0\]\.events: Value error, `events` must not be empty$",
        ),
        (
            one_criterion(events=[" login"]),
            r"criteria\[0\]\.events: Value error, event name or pattern ' login' is empty or "
            r"starts with a space$",
        ),
        (
            one_criterion(active=True, where=[{"property": "event.x", "op": "eq", "value": 1}]),
            r"criteria\[0\]: Value error, `where` applies to `events` criteria only$",
        ),
        (
            one_criterion(events=["a"], where=[{"property": "user.x", "op": "eq", "value": 1}]),
            r"criteria\[0\]\.where: Value error, 'user.x': `where` filters event properties "
            r"\(event.<key>\)$",
        ),
        (
            one_criterion(field="account.started_at", min_count=2, within_days=3),
            r"criteria\[0\]: Value error, min_count, within_days: only for event criteria, not "
            r"field$",
        ),
        (
            one_criterion(property="user.role", value="admin", count="days"),
            r"criteria\[0\]: Value error, count: only for event criteria, not property$",
        ),
        (
            one_criterion(events=["a"], op="eq"),
            r"criteria\[0\]: Value error, `op` and `value` apply to `property` criteria only$",
        ),
        (
            one_criterion(events=["a"], within_days=7),
            r"criteria\[0\]: Value error, `within_days` needs `min_count` of 2 or more$",
        ),
        (one_criterion(events=["a"], min_count=0), r"criteria\[0\]\.min_count: Input should be"),
        (
            one_criterion(field="account.mrr"),
            r"criteria\[0\]\.field: Input should be 'user.created_at', 'account.created_at', "
            r"'account.started_at', 'account.renewal_at' or 'account.churned_at'$",
        ),
        (
            one_criterion(property="event.format", value="pdf"),
            r"criteria\[0\]: Value error, property criteria are on user.<key> or account.<key>, "
            r"not 'event.format' \(use events with `where` for event properties\)$",
        ),
        (
            one_criterion(property="account.plan", op="in", value="pro"),
            r"criteria\[0\]: Value error, op 'in' needs a non-empty list as value$",
        ),
        (
            one_criterion(property="plan", value="pro"),
            r"criteria\[0\]: Value error, 'plan' is not a property reference: use event, "
            r"event.<key>, user.<key> or account.<key>$",
        ),
        (
            with_journeys(
                {
                    "name": "J",
                    "stages": [
                        {"name": "S", "criteria": [{"active": True, "after_previous_days": 3}]}
                    ],
                }
            ),
            r"journeys\[0\]: Value error, journey 'J': the first stage 'S' has no previous stage "
            r"for `after_previous_days`$",
        ),
        (
            with_journeys({"name": "J", "stages": [{**STAGE, "colour": "red"}]}),
            r"journeys\[0\]\.stages\[0\]\.colour: Extra inputs are not permitted$",
        ),
    ],
)
def test_mistakes_give_one_clear_line(data: dict[str, Any], message: str) -> None:
    with pytest.raises(DefinitionError, match=message) as caught:
        parse_definitions(data, source="test")
    assert "\n" not in str(caught.value)
