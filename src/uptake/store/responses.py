"""Survey responses (NPS, CSAT, task completion): appended once per `response_id`."""

from __future__ import annotations

import pyarrow as pa

from uptake.store.database import Store
from uptake.store.event_stage import CommitStats
from uptake.store.schema import CANONICAL_SCHEMAS


def append_responses(store: Store, rows: pa.Table) -> CommitStats:
    """Insert responses whose `response_id` is not stored yet; call inside a transaction
    to commit with other writes."""
    if rows.num_rows == 0:
        return CommitStats(staged=0, inserted=0)
    con = store.con
    names = [c for c in CANONICAL_SCHEMAS["responses"].names if c != "account_id"]
    target = ", ".join(f'"{c}"' for c in names)
    source = ", ".join(f's."{c}"' for c in names)
    view = "_incoming_responses"
    all_cols = ", ".join(f'"{c}"' for c in CANONICAL_SCHEMAS["responses"].names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {view} AS SELECT {all_cols} FROM responses WITH NO DATA"
    )
    # A relation, not con.register: a registered table stays alive until COMMIT.
    con.from_arrow(rows.select(CANONICAL_SCHEMAS["responses"].names)).insert_into(view)
    try:
        before = con.execute("SELECT count(*) FROM responses").fetchone()
        con.execute(
            f"""
            INSERT INTO responses ({target}, account_id)
            SELECT {source}, COALESCE(s.account_id, u.account_id)
            FROM (SELECT * FROM {view}
                  QUALIFY row_number() OVER (PARTITION BY response_id) = 1) AS s
            LEFT JOIN users AS u ON u.user_id = s.user_id
            WHERE NOT EXISTS (SELECT 1 FROM responses AS r WHERE r.response_id = s.response_id)
            """
        )
        after = con.execute("SELECT count(*) FROM responses").fetchone()
    finally:
        con.execute(f"DROP TABLE IF EXISTS {view}")
    inserted = (after[0] if after else 0) - (before[0] if before else 0)
    return CommitStats(staged=rows.num_rows, inserted=int(inserted))
