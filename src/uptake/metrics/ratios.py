"""Null-safe rates: a share whose denominator is zero is unknown (null), never an error."""

from __future__ import annotations

import ibis.expr.types as ir


def ratio(part: ir.NumericValue, whole: ir.NumericValue) -> ir.FloatingValue:
    """part / whole as a float; null when whole is 0 or null.

    Spark 4 (ANSI mode) raises on division by zero, so the zero is turned into null first.
    """
    return part.cast("float64") / whole.nullif(0).cast("float64")
