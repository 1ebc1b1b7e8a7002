"""The CLI's client of a running `uptake serve` that owns the workspace.

DuckDB lets one process open a database file, so while a server owns a project the CLI's
commands on that folder go through it: `query` and `explain` to the read API, `report` as the
same overview computed from results fetched one spec at a time, `import` to the server's import
route, which runs it in the project's writer. The server's marker in the folder
(server/marker.py) says where it listens and holds the token that allows this.

Plain `urllib` on purpose: the CLI talks to 127.0.0.1 only, and needs no HTTP library beyond
the standard one (proxies from the environment are ignored: they cannot reach a local server).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from uptake.definitions import Definitions
from uptake.errors import SpecError, UptakeError
from uptake.ingest import ImportOptions, ImportSummary
from uptake.result import Result
from uptake.server.marker import ServerMarker, read_marker

# The server stops a query after 120 s by default (ServerConfig.query_timeout_seconds).
READ_TIMEOUT_SECONDS = 300.0
# Enough for a loaded server to answer its health check; a server that does not is treated as
# absent (see CliContext.open for what the user is told then).
HEALTH_TIMEOUT_SECONDS = 5.0
_SUMMARIES = TypeAdapter(list[ImportSummary])
# JSON carries dates and times as ISO text; rows get them back as Python values, as a local
# computation gives them (the report does date arithmetic on periods).
_PARSERS: dict[str, Callable[[str], Any]] = {
    "date": dt.date.fromisoformat,
    "timestamp": dt.datetime.fromisoformat,
}
# Bypass any proxy from the environment: the server is on this machine.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ServerError(UptakeError):
    """The server that owns the workspace refused or failed a command (its one-line reason;
    `status` is the HTTP status, None when there was no answer)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


def typed_result(data: Any) -> Result:
    """A Result from its JSON form, with date and timestamp cells as Python values again."""
    result = Result.model_validate(data)
    parsers = {c.name: _PARSERS[c.type] for c in result.columns if c.type in _PARSERS}
    if not parsers:
        return result
    rows = [
        {
            name: parsers[name](value) if name in parsers and isinstance(value, str) else value
            for name, value in row.items()
        }
        for row in result.rows
    ]
    return result.model_copy(update={"rows": rows})


def _reason(exc: urllib.error.HTTPError) -> str:
    """The one-line error of an API error body, else the HTTP status text."""
    try:
        body = json.loads(exc.read())
    except (ValueError, OSError):
        body = None
    if isinstance(body, dict) and isinstance(body.get("error"), str):
        return str(body["error"])
    return f"HTTP {exc.code} {exc.reason}"


class RemoteProject:
    """The project a running server owns, reached with the token of its marker."""

    def __init__(self, marker: ServerMarker) -> None:
        self.marker = marker
        self._info: dict[str, Any] | None = None
        self._definitions: Definitions | None = None

    @classmethod
    def find(cls, folder: Path) -> RemoteProject | None:
        """The server that owns `folder`, if its marker is there and its process alive."""
        marker = read_marker(folder)
        return None if marker is None else cls(marker)

    @property
    def where(self) -> str:
        """The server's URL and process, for messages."""
        return f"{self.marker.url} (process {self.marker.pid})"

    def answers(self) -> bool:
        """Whether the server answers its health check."""
        request = urllib.request.Request(self.marker.url + "/healthz")
        try:
            with _OPENER.open(request, timeout=HEALTH_TIMEOUT_SECONDS) as response:
                return bool(response.status == 200)
        except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError):
            return False

    def _call(
        self, method: str, path: str, body: Any = None, timeout: float | None = READ_TIMEOUT_SECONDS
    ) -> Any:
        """Call the project's API with the marker's token; our errors as ServerError."""
        url = f"{self.marker.url}/api/projects/{self.marker.project}{path}"
        headers = {"Authorization": f"Bearer {self.marker.token}", "Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=timeout) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            reason = _reason(exc)
            if exc.code in (401, 403):
                raise ServerError(
                    f"the server at {self.where} refused the CLI's token ({reason}); "
                    "restart the server, or stop it and run the command again",
                    exc.code,
                ) from None
            if exc.code == 404:
                # The marker's project is open on that server, so only the route can be missing.
                route = url.removeprefix(self.marker.url)
                raise ServerError(
                    f"the server at {self.where} has no {method} {route} (an older uptake?): "
                    "stop it, run the command again, then restart it",
                    exc.code,
                ) from None
            if exc.code < 500 and exc.code != 408:
                # The user's own mistake (a bad spec, a missing file): the same line as locally.
                raise ServerError(reason, exc.code) from None
            raise ServerError(f"the server at {self.where} failed: {reason}", exc.code) from None
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            why = exc.reason if isinstance(exc, urllib.error.URLError) else exc
            raise ServerError(
                f"lost the connection to the server at {self.where}: {why}; if it stopped, "
                "run the command again (it then works on the folder directly)"
            ) from None
        except ValueError:
            raise ServerError(f"the server at {self.where} answered with no JSON") from None

    def _project_info(self) -> dict[str, Any]:
        if self._info is None:
            info = self._call("GET", "")
            assert isinstance(info, dict)
            self._info = info
        return self._info

    @property
    def definitions(self) -> Definitions:
        """The workspace definitions as the server loaded them."""
        if self._definitions is None:
            self._definitions = Definitions.model_validate(self._project_info()["definitions"])
        return self._definitions

    def latest_event_date(self) -> dt.date | None:
        """The UTC date of the latest event, or None when there are no events."""
        value = self._project_info()["latest_event_date"]
        return None if value is None else dt.date.fromisoformat(value)

    def _spec_call(self, path: str, spec: Mapping[str, Any]) -> Any:
        """A spec sent to the read API; a 400 is the spec's fault, a SpecError as locally (the
        report turns one into a card that says why it has no value)."""
        try:
            return self._call("POST", path, dict(spec))
        except ServerError as exc:
            if exc.status == 400:
                raise SpecError(str(exc)) from None
            raise

    def compute(self, spec: Mapping[str, Any]) -> Result:
        """Compute a metric on the server (the read API's /query)."""
        return typed_result(self._spec_call("/query", spec))

    def explain(self, spec: Mapping[str, Any]) -> str:
        """The SQL a spec compiles to on the server."""
        return str(self._spec_call("/explain", spec)["sql"])

    def import_files(
        self,
        paths: Sequence[Path],
        options: ImportOptions,
        rejects_dir: Path | None = None,
    ) -> list[ImportSummary]:
        """Import files of this machine through the server, in one transaction; one summary
        per file, naming each file as given here."""
        absolute = [str(p.resolve()) for p in paths]
        body = {
            "paths": absolute,
            "options": options.model_dump(mode="json"),
            "rejects_dir": str(rejects_dir.resolve()) if rejects_dir is not None else None,
        }
        try:
            # No time limit: a large import takes as long as it takes (the server sets none
            # either).
            answer = self._call("POST", "/import", body, timeout=None)
        except ServerError as exc:
            # Name the files as the user typed them, as a local import does.
            message = str(exc)
            for full, given in sorted(zip(absolute, paths, strict=True), key=lambda p: -len(p[0])):
                message = message.replace(full, str(given))
            raise ServerError(message) from None
        summaries = _SUMMARIES.validate_python(answer["summaries"])
        return [
            dataclasses.replace(summary, file=str(path))
            for summary, path in zip(summaries, paths, strict=True)
        ]
