"""Survey answers for the demo: NPS (0-10), CSAT (1-5) and task completion (1 = done, 0 = not).

Answers follow each user's *realized* engagement (active days / days they could have been
active, from the drawn events): engaged users answer more often and more kindly, so
"are engaged users happier?" has a real answer in the demo.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from uptake.demo.profiles import timestamps
from uptake.demo.scenario import Scenario
from uptake.demo.vocabulary import DETRACTOR_COMMENTS, PROMOTER_COMMENTS, TASKS
from uptake.store.schema import CANONICAL_SCHEMAS

NPS_EVERY_DAYS = 91  # one NPS wave a quarter; the last one shortly before the end
ENGAGED = 0.6  # an engagement (share of possible days active) that counts as fully engaged


def _pick(rng: np.random.Generator, texts: tuple[str, ...], n: int) -> pa.Array:
    return pa.array(texts, pa.string()).take(pa.array(rng.integers(0, len(texts), n)))


def responses(scn: Scenario, lo: int, hi: int, engagement: np.ndarray, index: int) -> pa.Table:
    """Answers of users [lo, hi); `engagement` is their realized engagement (0-1)."""
    rng = np.random.default_rng([scn.seed, 2, index])
    u = scn.users
    n = hi - lo
    e = np.minimum(engagement / ENGAGED, 1.0)
    created = u.created_day[lo:hi]
    first = np.maximum(np.floor(created) + 1, 0)
    last = u.alive_until[lo:hi]
    parts: list[tuple[np.ndarray, np.ndarray, str, np.ndarray, pa.Array]] = []

    # NPS: quarterly waves; quiet users still get the mail while they hold a seat.
    wave = scn.last_sunday - 9
    while wave >= 14:
        asked = (created <= wave - 14) & (wave < u.churn_day[lo:hi])
        asked &= u.licensed[lo:hi] | (wave < last)
        answers = asked & (rng.random(n) < 0.06 + 0.3 * e)
        who = np.flatnonzero(answers)
        score = np.clip(np.round(rng.normal(3 + 6.5 * e[who], 1.6)), 0, 10)
        comment = pa.nulls(len(who), pa.string())
        said = rng.random(len(who)) < 0.3
        comment = pc.if_else(
            pa.array(said & (score <= 6)), _pick(rng, DETRACTOR_COMMENTS, len(who)), comment
        )
        comment = pc.if_else(
            pa.array(said & (score >= 9)), _pick(rng, PROMOTER_COMMENTS, len(who)), comment
        )
        when = wave + rng.uniform(0, 7, len(who))
        parts.append((who, when, "nps", score, comment))
        wave -= NPS_EVERY_DAYS

    # CSAT after support contacts, and in-app task prompts, while the user is around.
    window = np.maximum(last - first, 0)
    for survey, base, slope in (("csat", 0.4, 1.6), ("task", 0.5, 3.0)):
        counts = rng.poisson((base + slope * e) * (window > 0))
        who = np.repeat(np.arange(n), counts)
        when = first[who] + rng.random(len(who)) * window[who]
        if survey == "csat":
            score = np.clip(np.round(rng.normal(2.6 + 2.2 * e[who], 0.8)), 1, 5)
            comment = pa.nulls(len(who), pa.string())
        else:
            score = (rng.random(len(who)) < 0.5 + 0.45 * e[who]).astype(np.float64)
            comment = _pick(rng, TASKS, len(who))
        parts.append((who, when, survey, score, comment))

    who = np.concatenate([p[0] for p in parts])
    total = len(who)
    serial = pc.cast(pa.array(np.arange(total)), pa.string())
    columns = {
        "response_id": pc.binary_join_element_wise(f"r{scn.seed}-{index}-", serial, ""),
        "user_id": pa.array(u.user_id[lo:hi], pa.string()).take(pa.array(who)),
        "account_id": pa.array(scn.accounts.account_id, pa.string()).take(
            pa.array(u.account[lo + who])
        ),
        "survey": pa.concat_arrays(
            [pa.repeat(pa.scalar(p[2], pa.string()), len(p[0])) for p in parts]
        ),
        "timestamp": timestamps(scn, np.concatenate([p[1] for p in parts])),
        "score": pa.array(np.concatenate([p[3] for p in parts]), pa.float64()),
        "comment": pa.concat_arrays([p[4] for p in parts]),
    }
    return pa.Table.from_pydict(columns, schema=CANONICAL_SCHEMAS["responses"])
