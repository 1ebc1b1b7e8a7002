"""What the routes share: configuration, keys, projects and the rate limiter."""

from __future__ import annotations

from dataclasses import dataclass

from uptake.server.home import ServerHome
from uptake.server.keys import KeyStore
from uptake.web.config import ServerConfig
from uptake.web.projects import Projects
from uptake.web.rate_limit import RateLimiter


@dataclass
class AppState:
    """The server's state, at `app.state.uptake`."""

    home: ServerHome
    config: ServerConfig
    keys: KeyStore
    projects: Projects
    limiter: RateLimiter

    @classmethod
    def create(cls, home: ServerHome, config: ServerConfig) -> AppState:
        """State for a server on `home` (opens the key file; projects open later)."""
        return cls(
            home=home,
            config=config,
            keys=KeyStore(home.keys_path),
            projects=Projects(home, config.settings, config.url, config.result_cache_entries),
            limiter=RateLimiter(config.rate_per_second, config.rate_burst),
        )

    def close(self) -> None:
        """Close every project and the key file."""
        self.projects.close_all()
        self.keys.close()
