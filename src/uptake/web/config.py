"""How `uptake serve` runs: address, limits and timeouts (built once at the edge)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from uptake.settings import Settings
from uptake.web.result_cache import DEFAULT_ENTRIES


class ServerConfig(BaseModel):
    """Server options; the defaults suit one machine behind a reverse proxy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port.")
    settings: Settings = Field(default_factory=Settings, description="DuckDB settings.")
    rate_per_second: float = Field(
        default=2000.0, gt=0, description="Requests per second allowed per key, on average."
    )
    rate_burst: float = Field(default=4000.0, ge=1, description="Requests allowed in a burst.")
    body_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time allowed for a request body to arrive (else 408)."
    )
    commit_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Time allowed for a commit before answering 503."
    )
    query_timeout_seconds: float = Field(
        default=120.0, gt=0, description="Time allowed for a query before answering 503."
    )
    keep_alive_seconds: int = Field(
        default=5, gt=0, description="How long an idle keep-alive connection stays open."
    )
    secure_cookies: bool = Field(
        default=False,
        description="Mark the dashboard's cookies Secure (set when served over HTTPS, e.g. "
        "behind a TLS-terminating proxy).",
    )
    result_cache_entries: int = Field(
        default=DEFAULT_ENTRIES,
        ge=0,
        description="Computed results kept per project while its data is unchanged (0: none).",
    )
    telemetry: bool = Field(
        default=False,
        description="FastAPI's native OpenTelemetry (traces, metrics, logs to the global "
        "providers); off by default: it costs about 8% of the event loop per request.",
    )

    @property
    def url(self) -> str:
        """The base URL clients on this machine use."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"
