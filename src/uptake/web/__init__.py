"""The web edge of `uptake serve`: the Segment-compatible tracking API, the read API and the
dashboard, on FastAPI."""
