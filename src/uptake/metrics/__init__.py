"""Metrics: declarative specs that compile to Ibis expressions and run on any engine."""

from __future__ import annotations

from uptake.metrics.catalog import describe, kinds, parse_spec
from uptake.metrics.spec import MetricSpec
from uptake.metrics.tables import Tables

__all__ = ["MetricSpec", "Tables", "describe", "kinds", "parse_spec"]
