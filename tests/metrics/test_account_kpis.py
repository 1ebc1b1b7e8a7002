"""Lead conversion, churn rate and renewal rate from the accounts table, checked by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import duckdb_tables
from tests.stories import account, date, day, journeys
from uptake.errors import SpecError
from uptake.metrics import parse_spec
from uptake.service import compute

# Weeks start Sunday: week 1 = days 0-6, week 2 = days 7-13, week 3 = days 14-20.


def values(result, *keys):
    return [tuple(row[k] for k in keys) for row in result.rows]


def approx(x: float) -> object:
    return pytest.approx(x)


LEADS = journeys(
    {},
    accounts={
        "old": account(created=day(-10), started=day(2), plan="pro"),  # a lead before `from`
        # Week 1 leads.
        "acme": account(created=day(1, 9), started=day(3, 9), plan="pro"),  # exactly 2 days
        "globex": account(created=day(2), started=day(12), plan="free"),  # 10 days
        "initech": account(created=day(4), started=day(20), plan="pro"),  # starts after `to`
        # Week 2 leads.
        "umbrella": account(created=day(8), plan="free"),  # still a lead
        "hooli": account(created=day(9, 12), started=day(9, 15), plan="pro"),  # 3 hours
        "soylent": account(created=day(10, 9), started=day(12, 10)),  # 2 days and 1 hour
        "nodate": account(started=day(5), plan="pro"),  # no created_at: never a lead
        "late": account(created=day(14), started=day(15)),  # a lead after `to`
    },
)
WEEKS = {"from": str(date(0)), "to": str(date(13)), "period": "week"}
LEAD_COLUMNS = ("period", "leads", "converted", "conversion_rate_percent")


def test_lead_conversion_counts_customers_by_to(run):
    # Week 1: acme, globex, initech are leads; acme and globex started by day 13 -> 2/3.
    # Week 2: umbrella, hooli, soylent; hooli and soylent started -> 2/3.
    result = run(LEADS, {"kind": "lead_conversion", **WEEKS})
    assert values(result, *LEAD_COLUMNS) == [
        (date(0), 3, 2, approx(200 / 3)),
        (date(7), 3, 2, approx(200 / 3)),
    ]


def test_lead_conversion_within_days_uses_exact_time(run):
    # within 2 days: acme (exactly 48 h) yes, globex (10 days) no -> 1/3 in week 1;
    # hooli (3 h) yes, soylent (49 h) no -> 1/3 in week 2.
    result = run(LEADS, {"kind": "lead_conversion", "within_days": 2, **WEEKS})
    assert values(result, *LEAD_COLUMNS) == [
        (date(0), 3, 1, approx(100 / 3)),
        (date(7), 3, 1, approx(100 / 3)),
    ]


def test_lead_conversion_breakdown_by_plan(run):
    # Week 1: free = globex 1/1; pro = acme (yes), initech (no) 1/2; no unplanned lead.
    # Week 2: (none) = soylent 1/1; free = umbrella 0/1; pro = hooli 1/1.
    result = run(LEADS, {"kind": "lead_conversion", "breakdown": "account.plan", **WEEKS})
    assert values(result, "period", "breakdown", *LEAD_COLUMNS[1:]) == [
        (date(0), "(none)", 0, 0, None),
        (date(0), "free", 1, 1, 100.0),
        (date(0), "pro", 2, 1, 50.0),
        (date(7), "(none)", 1, 1, 100.0),
        (date(7), "free", 1, 0, 0.0),
        (date(7), "pro", 1, 1, 100.0),
    ]


def test_lead_conversion_account_filter(run):
    # pro only: week 1 acme and initech -> 1/2; week 2 hooli -> 1/1.
    spec = {
        "kind": "lead_conversion",
        **WEEKS,
        "filters": [{"property": "account.plan", "op": "eq", "value": "pro"}],
    }
    assert values(run(LEADS, spec), *LEAD_COLUMNS) == [
        (date(0), 2, 1, 50.0),
        (date(7), 1, 1, 100.0),
    ]


CHURN = journeys(
    {},
    accounts={
        "a": account(started=day(-30), churned=day(3), mrr=100, plan="pro"),  # churns in week 1
        "b": account(started=day(-20), mrr=200, plan="pro"),  # stays
        "c": account(started=day(-10), churned=day(7), mrr=50, plan="free"),  # churns on day 7
        "d": account(started=day(2), churned=day(5), mrr=30, plan="free"),  # new, gone in week 1
        "e": account(started=day(4), mrr=70, plan="pro"),  # new in week 1, stays
        "f": account(started=day(-5), churned=day(-1), mrr=999, plan="free"),  # gone before
        "g": account(created=day(-3), churned=day(10), plan="trial"),  # a lost lead, no customer
        "h": account(started=day(9), churned=day(16), mrr=40, plan="pro"),  # new in week 2
        "i": account(started=day(-40), churned=day(15), mrr=10),  # no plan, no churn until wk 3
    },
)
THREE_WEEKS = {"from": str(date(0)), "to": str(date(20)), "period": "week"}
CHURN_COLUMNS = ("period", "customers_at_start", "churned", "new_customers_churned", "churn_rate")


def test_churn_rate_of_customers_at_the_start_of_each_period(run):
    # Week 1 starts day 0 with a, b, c, i (f churned on day -1; d, e, h start later; g never
    # starts). a churns on day 3 -> 1/4. d starts and churns inside week 1: reported apart.
    # Week 2 starts day 7 with b, c (churns on day 7: still a customer at the start), e, i;
    # c churns -> 1/4. Week 3 starts day 14 with b, e, h, i; h (day 16), i (day 15) -> 2/4.
    result = run(CHURN, {"kind": "churn_rate", **THREE_WEEKS})
    assert values(result, *CHURN_COLUMNS) == [
        (date(0), 4, 1, 1, 0.25),
        (date(7), 4, 1, 0, 0.25),
        (date(14), 4, 2, 0, 0.5),
    ]


def test_churn_rate_weighted_by_mrr_is_revenue_churn(run):
    # Week 1: MRR at start a 100 + b 200 + c 50 + i 10 = 360; a's 100 churns -> 100/360.
    # Week 2: b 200 + c 50 + e 70 + i 10 = 330; c's 50 -> 50/330.
    # Week 3: b 200 + e 70 + h 40 + i 10 = 320; h 40 + i 10 = 50 -> 50/320.
    result = run(CHURN, {"kind": "churn_rate", "weight": "mrr", **THREE_WEEKS})
    assert values(
        result,
        "period",
        "customers_at_start",
        "churned",
        "new_customers_churned",
        "mrr_at_start",
        "churned_mrr",
        "churn_rate",
    ) == [
        (date(0), 4, 1, 1, 360.0, 100.0, approx(100 / 360)),
        (date(7), 4, 1, 0, 330.0, 50.0, approx(50 / 330)),
        (date(14), 4, 2, 0, 320.0, 50.0, approx(50 / 320)),
    ]


def test_churn_period_cut_by_from_starts_on_from(run):
    # From Wednesday day 3: week 1 covers days 3-6, so its customers at start are those who
    # started before day 3 and had not churned before it: a (churns on day 3), b, c, d (started
    # day 2, churns day 5), i -> 5; a and d churn -> 2/5. e starts on day 4 and stays.
    spec = {"kind": "churn_rate", "from": str(date(3)), "to": str(date(6))}
    assert values(run(CHURN, spec), *CHURN_COLUMNS) == [(date(0), 5, 2, 0, 0.4)]


def test_churn_breakdown_and_no_customers(run):
    # Week 1. (none): i at start, stays -> 0/1. free: c at start (f churned before; d is new
    # and churns: reported apart) -> 0/1. pro: a, b at start, a churns -> 1/2. "trial" (g) was
    # never a customer and does not show.
    spec = {
        "kind": "churn_rate",
        "breakdown": "account.plan",
        "from": str(date(0)),
        "to": str(date(6)),
    }
    assert values(run(CHURN, spec), "breakdown", *CHURN_COLUMNS[1:]) == [
        ("(none)", 1, 0, 0, 0.0),
        ("free", 1, 0, 1, 0.0),
        ("pro", 2, 1, 0, 0.5),
    ]
    # Long before anyone started: no customers at the start, so no rate.
    early = {"kind": "churn_rate", "from": str(date(-70)), "to": str(date(-64))}
    assert values(run(CHURN, early), *CHURN_COLUMNS) == [(date(-70), 0, 0, 0, None)]


RENEWALS = journeys(
    {},
    accounts={
        "a": account(started=day(-300), renewal=day(2)),  # never churned: renewed
        "b": account(started=day(-300), renewal=day(3, 9), churned=day(3, 9)),  # same instant
        "c": account(started=day(-300), renewal=day(4, 9), churned=day(4, 18)),  # same day
        "d": account(started=day(-300), renewal=day(5), churned=day(6)),  # after the renewal
        "e": account(started=day(-300), renewal=day(9), churned=day(1)),  # long before it
        "f": account(started=day(-300), renewal=day(10)),
        "i": account(started=day(-300), renewal=day(11), churned=day(40)),
        "g": account(started=day(-300), renewal=day(25)),  # after `to`
        "h": account(started=day(-300)),  # no renewal date
    },
)


def test_renewal_rate_counts_a_churn_on_the_renewal_day_as_not_renewed(run):
    # Week 1: a, b, c, d due; b (churned at the renewal instant) and c (later that day) did
    # not renew; d churned the day after -> renewed. 2/4.
    # Week 2: e (churned before), f, i due; f and i renewed -> 2/3. Week 3: nobody due.
    result = run(RENEWALS, {"kind": "renewal_rate", **THREE_WEEKS})
    assert values(result, "period", "up_for_renewal", "renewed", "renewal_rate") == [
        (date(0), 4, 2, 0.5),
        (date(7), 3, 2, approx(2 / 3)),
        (date(14), 0, 0, None),
    ]


def test_renewal_rate_per_month(run):
    # January holds every renewal in range (days 2-11 = Jan 6-15): 4 of 7 renewed.
    spec = {"kind": "renewal_rate", "from": str(date(0)), "to": str(date(20)), "period": "month"}
    assert values(run(RENEWALS, spec), "period", "up_for_renewal", "renewed", "renewal_rate") == [
        (date(-3), 7, 4, approx(4 / 7))
    ]


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"kind": "churn_rate", "unit": "user"}, "unit must be 'account'"),
        ({"kind": "churn_rate", "weight": "revenue"}, "weight"),
        (
            {"kind": "renewal_rate", "breakdown": "user.department"},
            "breakdown 'user.department' must be one of account.<key>",
        ),
        (
            {
                "kind": "lead_conversion",
                "filters": [{"property": "user.role", "op": "eq", "value": "admin"}],
            },
            "filter on account.<key> properties only",
        ),
        ({"kind": "lead_conversion", "within_days": -1}, "within_days"),
    ],
)
def test_invalid_specs_read_well(spec, message):
    with pytest.raises(SpecError, match=message.replace(".", r"\.")):
        parse_spec(spec)


ACCOUNT_DATES = st.lists(
    st.tuples(
        st.integers(min_value=-20, max_value=20),  # started day
        st.one_of(st.none(), st.integers(min_value=0, max_value=30)),  # days until churn
        st.one_of(st.none(), st.integers(min_value=0, max_value=1000).map(float)),  # mrr
    ),
    max_size=15,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=ACCOUNT_DATES, weight=st.sampled_from(["accounts", "mrr"]))
def test_churn_rate_stays_between_0_and_1_on_duckdb(rows, weight):
    story = journeys(
        {},
        accounts={
            f"acct{i}": account(
                started=day(start),
                churned=None if after is None else day(start + after),
                mrr=mrr,
            )
            for i, (start, after, mrr) in enumerate(rows)
        },
    )
    with duckdb_tables(story) as tables:
        result = compute({"kind": "churn_rate", "weight": weight, **THREE_WEEKS}, tables)
    for row in result.rows:
        assert row["churned"] <= row["customers_at_start"]
        if row["churn_rate"] is not None:
            assert 0 <= row["churn_rate"] <= 1
