"""The service: compute(spec) and explain(spec) over a bundle of tables on one engine."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import ibis

from uptake.metrics import MetricSpec, Tables, parse_spec
from uptake.result import Result, rows_of


def _dialect(expr: ibis.Table) -> str:
    return str(expr._find_backend().name)


def explain(spec: MetricSpec | Mapping[str, Any], tables: Tables) -> str:
    """The SQL that `compute` would run for this spec, in the engine's dialect."""
    metric = parse_spec(spec)
    expr = metric.to_expr(tables)
    return str(ibis.to_sql(expr, dialect=_dialect(expr)))


def compute(spec: MetricSpec | Mapping[str, Any], tables: Tables) -> Result:
    """Run a metric and return its rows with the SQL and timings."""
    metric = parse_spec(spec)
    started = time.perf_counter()
    expr = metric.to_expr(tables)
    engine = _dialect(expr)
    sql = str(ibis.to_sql(expr, dialect=engine))
    compiled = time.perf_counter()
    table = expr.to_pyarrow()
    executed = time.perf_counter()
    table = metric.finish(table)
    columns, rows = rows_of(table)
    finished = time.perf_counter()
    return Result(
        kind=metric.kind,
        spec=metric.to_json_dict(),
        columns=columns,
        rows=rows,
        sql=sql,
        engine=engine,
        timings_ms={
            "compile": round((compiled - started) * 1000, 2),
            "execute": round((executed - compiled) * 1000, 2),
            "finish": round((finished - executed) * 1000, 2),
        },
        warnings=metric.warnings(table),
    )
