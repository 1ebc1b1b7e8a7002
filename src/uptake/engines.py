"""Engines: connect to where the events live and bundle its tables for the metrics.

The workspace's own DuckDB file is the default engine. `[engine]` in uptake.toml points the
same definitions at events that live elsewhere: `pyspark://local[2]` (a local Spark session),
or any URL `ibis.connect` understands (`clickhouse://...`, `postgres://...`).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from typing import Any

import ibis
from ibis.backends import BaseBackend

from uptake.definitions import Definitions
from uptake.errors import EngineError
from uptake.metrics.tables import Tables

CANONICAL = ("events", "users", "accounts", "responses")


def spark_session(master: str = "local[2]") -> Any:
    """A local Spark session configured for uptake: UTC, quiet, bound to 127.0.0.1."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineError(
            "the Spark engine needs pyspark: pip install 'uptake[spark]' (and Java 17+)"
        ) from None
    # The JVM that pyspark launches reads SPARK_LOCAL_IP; without it Spark binds to the
    # machine's outward interface. Set for that child process only when the caller has not.
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # Python workers (UDFs) start the interpreter named by PYSPARK_PYTHON, not the config key
    # alone; without it they run a Python lacking our packages.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName("uptake")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        # SPARK-33152: constraint propagation blows up on plans with many aliased conditions
        # (a 16-step funnel ran the driver out of memory); exit: when Spark fixes it.
        .config("spark.sql.constraintPropagation.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.pyspark.python", sys.executable)
        .config("spark.pyspark.driver.python", sys.executable)
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def connect(url: str) -> BaseBackend:
    """An Ibis backend for an engine URL (`pyspark://local[2]`, `duckdb:///path`, ...)."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        raise EngineError(f"engine URL {url!r} has no scheme (e.g. pyspark://local[2])")
    if scheme in ("pyspark", "spark"):
        return ibis.pyspark.connect(spark_session(rest or "local[2]"))
    try:
        return ibis.connect(url)
    except ImportError as exc:
        raise EngineError(f"engine {scheme!r} is not installed: {exc}") from None
    except Exception as exc:  # any driver error: bad host, credentials...
        raise EngineError(f"cannot connect to {url!r}: {exc}") from None


def tables_on(
    backend: BaseBackend, definitions: Definitions, names: Mapping[str, str] | None = None
) -> Tables:
    """Tables over an engine's canonical tables (renamed by `names`), rollups as views."""
    names = dict(names or {})
    found = {}
    for table in CANONICAL:
        name = names.get(table, table)
        try:
            found[table] = backend.table(name)
        except Exception as exc:
            raise EngineError(f"table {name!r} ({table}) not found on the engine: {exc}") from None
    return Tables.over_events(
        found["events"], found["users"], found["accounts"], found["responses"], definitions
    )
