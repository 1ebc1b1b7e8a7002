"""The KPI benchmark: uptake against hand-written DuckDB SQL, pandas and polars.

Run it with `make bench` or `python -m benchmarks.kpis --sizes 1000000,10000000`; results land
in `benchmarks/results/<date>-<size>.json` and the tables in `benchmarks/RESULTS.md`.
"""
