"""user_timeline and user_responses: one person's events and survey answers, newest first,
paged with `before`, checked by hand."""

from __future__ import annotations

import pyarrow as pa
import pytest

from tests.stories import Story, date, day, journeys, response, user
from uptake.errors import SpecError
from uptake.metrics import parse_spec


def _with_message_ids(story: Story, ids: list[str]) -> Story:
    """The story with readable message ids (in event order), so ties can be ordered by hand."""
    events = story.events.set_column(
        story.events.schema.get_field_index("message_id"),
        story.events.schema.field("message_id"),
        pa.array(ids, pa.string()),
    )
    return Story(events, story.users, story.accounts, story.responses)


# Range: days 0-6. ann's events (message ids m01..m07 in order):
#   m01 login  d-1 23:59:59   before the range
#   m02 login  d0 00:00:00    the range's first instant
#   m03 export d1 10:00       format=pdf, pages=3     (Exports, PDF exports)
#   m04 share  d1 10:00       channel=email           (Sharing): same time as m03
#   m05 export d2 09:00       format=csv              (Exports)
#   m06 login  d6 23:59:59    the range's last second
#   m07 login  d7 00:00:00    after the range
# bob's login (m08) is someone else's.
STORY = _with_message_ids(
    journeys(
        {
            "ann": [
                ("login", day(-1, 23, 59, 59)),
                ("login", day(0, 0)),
                ("export", day(1, 10), {"format": "pdf", "pages": 3}),
                ("share", day(1, 10), {"channel": "email"}),
                ("export", day(2, 9), {"format": "csv"}),
                ("login", day(6, 23, 59, 59)),
                ("login", day(7, 0)),
            ],
            "bob": [("login", day(1, 10))],
        },
        users={"ann": user(account="a1"), "bob": user(account="b2")},
        responses=[
            response("ann", "nps", day(1, 8), 9, "Great reports"),
            response("bob", "nps", day(1, 9), 3),
            response("ann", "csat", day(3), 4),
            response("ann", "nps", day(10), 10),
        ],
    ),
    [f"m{i:02d}" for i in range(1, 9)],
)
FEATURES = {
    "features": [
        {"name": "Exports", "events": ["export"]},
        {
            "name": "PDF exports",
            "events": ["exp*"],
            "where": [{"property": "event.format", "op": "eq", "value": "pdf"}],
        },
        {"name": "Sharing", "events": ["share"]},
    ]
}
RANGE = {"from": str(date(0)), "to": str(date(6))}

# (timestamp, event, account_id, properties, features, message_id), newest first. The two
# events at d1 10:00 go larger message id first: m04 before m03.
M06 = (day(6, 23, 59, 59), "login", "a1", None, None, "m06")
M05 = (day(2, 9), "export", "a1", '{"format": "csv"}', "Exports", "m05")
M04 = (day(1, 10), "share", "a1", '{"channel": "email"}', "Sharing", "m04")
M03 = (day(1, 10), "export", "a1", '{"format": "pdf", "pages": "3"}', "Exports, PDF exports", "m03")
M02 = (day(0, 0), "login", "a1", None, None, "m02")


def timeline(run, **params):
    spec = {"kind": "user_timeline", "user_id": "ann", **RANGE, **params}
    result = run(STORY, spec, FEATURES)
    return [tuple(row.values()) for row in result.rows]


def test_every_event_of_the_range_newest_first(run):
    result = run(STORY, {"kind": "user_timeline", "user_id": "ann", **RANGE}, FEATURES)
    assert [c.name for c in result.columns] == [
        "timestamp", "event", "account_id", "properties", "features", "message_id",
    ]  # fmt: skip
    assert [tuple(row.values()) for row in result.rows] == [M06, M05, M04, M03, M02]


def test_paging_with_before_and_the_last_message_id_skips_nothing(run):
    assert timeline(run, limit=2) == [M06, M05]
    # The next page starts after m05 (d2 09:00).
    page2 = timeline(run, limit=2, before="2026-01-06T09:00:00", before_message_id="m05")
    assert page2 == [M04, M03]
    # After m03 (d1 10:00, m03): m04 shares its time but was on the page before.
    page3 = timeline(run, limit=2, before="2026-01-05T10:00:00", before_message_id="m03")
    assert page3 == [M02]
    assert timeline(run, limit=2, before="2026-01-04T00:00:00", before_message_id="m02") == []


def test_before_alone_is_strictly_older(run):
    # Both d1 10:00 events are at, not before, the cut.
    assert timeline(run, before="2026-01-05T10:00:00") == [M02]


def test_before_with_an_offset_is_converted_to_utc(run):
    # 10:00 at +01:00 is 09:00 UTC: m05 (09:00 UTC) is not strictly older.
    assert timeline(run, before="2026-01-06T10:00:00+01:00") == [M04, M03, M02]


def test_event_filters_narrow_the_timeline(run):
    exports = [{"property": "event", "op": "eq", "value": "export"}]
    assert timeline(run, filters=exports) == [M05, M03]
    csv = [{"property": "event.format", "op": "eq", "value": "csv"}]
    assert timeline(run, filters=csv) == [M05]


def test_unknown_user_has_an_empty_timeline(run):
    assert timeline(run, user_id="nobody") == []


def test_no_features_defined_leaves_features_empty(run):
    result = run(STORY, {"kind": "user_timeline", "user_id": "bob", **RANGE})
    assert [tuple(row.values()) for row in result.rows] == [
        (day(1, 10), "login", "b2", None, None, "m08")
    ]


def test_survey_answers_newest_first_in_the_range(run):
    # ann: nps d1 and csat d3 in range; her nps on d10 is after `to`; bob's answer is his.
    result = run(STORY, {"kind": "user_responses", "user_id": "ann", **RANGE})
    assert [c.name for c in result.columns] == [
        "timestamp", "survey", "score", "comment", "account_id", "response_id",
    ]  # fmt: skip
    assert [tuple(row.values()) for row in result.rows] == [
        (day(3), "csat", 4.0, None, "a1", "r2"),
        (day(1, 8), "nps", 9.0, "Great reports", "a1", "r0"),
    ]
    nobody = run(STORY, {"kind": "user_responses", "user_id": "nobody", **RANGE})
    assert nobody.rows == []


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "user_timeline"}, "user_id: Field required"),
        ({"kind": "user_timeline", "user_id": ""}, "user_id: String should have at least 1"),
        (
            {"kind": "user_timeline", "user_id": "ann", "before_message_id": "m05"},
            "`before_message_id` needs `before`",
        ),
        ({"kind": "user_timeline", "user_id": "ann", "limit": 2001}, "less than or equal to 2000"),
        ({"kind": "user_timeline", "user_id": "ann", "unit": "account"}, "unit must be 'user'"),
        (
            {
                "kind": "user_responses",
                "user_id": "ann",
                "filters": [{"property": "event", "value": "x"}],
            },
            "not events",
        ),
    ],
)
def test_bad_specs_say_what_is_wrong(spec, message):
    with pytest.raises(SpecError, match=message):
        parse_spec(spec)


def test_defaults():
    spec = parse_spec({"kind": "user_timeline", "user_id": "ann"})
    assert (spec.limit, spec.before, spec.before_message_id) == (200, None, None)
    assert parse_spec({"kind": "user_responses", "user_id": "ann"}).limit == 200
