"""The narrated login story most retention tests read, their default spec and the triangle
reader (rows as tuples with rates rounded so fractions can be written literally)."""

from __future__ import annotations

from tests.stories import date, day, journeys, user

# Sunday weeks: W0 = days 0-6 (Jan 4-10), W1 = days 7-13, W2 = days 14-20, W3 = days 21-27.
# The range ends on day 24 (Wed Jan 28), so W3 is cut short and days 25-27 are after `to`.
#
#   ann  logins day -10 (before the range), 1, 8     first-ever login before `from`
#   bob  logins day 0, 9, 23                         first in W0; back in W1 and W3
#   cat  logins day 3, 17                            first in W0; back in W2
#   dan  logins day 10, 12, 16                       first in W1; back in W2
#   eve  login  day 15                               first in W2; never back
#   fay  logins day 22, 26                           first in W3; day 26 is after `to`
#   gus  logins day 5, 26                            first in W0; day 26 is after `to`
STORY = journeys(
    {
        "ann": [("login", day(-10)), ("login", day(1)), ("login", day(8))],
        "bob": [("login", day(0)), ("login", day(9)), ("login", day(23))],
        "cat": [("login", day(3)), ("login", day(17))],
        "dan": [("login", day(10)), ("login", day(12)), ("login", day(16))],
        "eve": [("login", day(15))],
        "fay": [("login", day(22)), ("login", day(26))],
        "gus": [("login", day(5)), ("login", day(26))],
    },
    users={
        "bob": user(department="Sales"),
        "cat": user(department="Sales"),
        "dan": user(department="Ops"),
        "eve": user(department="Ops"),
    },
)
WEEKS = {
    "kind": "retention",
    "from": str(date(0)),
    "to": str(date(24)),
    "period": "week",
    "periods": 3,
}
COLUMNS = ("cohort", "cohort_size", "period", "retained", "retention_rate", "is_mean")


def triangle(result, columns=COLUMNS):
    """Rows as tuples, rates rounded to 4 places so fractions can be written literally."""
    out = []
    for row in result.rows:
        values = []
        for c in columns:
            v = row[c]
            values.append(round(v, 4) if isinstance(v, float) else v)
        out.append(tuple(values))
    return out
