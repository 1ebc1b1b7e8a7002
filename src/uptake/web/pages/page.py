"""A dashboard page as the frame sees it: its name in the navigation, its URL under a project,
and which filter-bar controls it offers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import quote

from uptake.metrics.periods import Period

Unit = Literal["user", "account"]


def project_url(project: str, path: str = "") -> str:
    """The URL of a page of `project` (`path` like "/features", "" for the overview)."""
    return f"/projects/{quote(project, safe='')}{path}"


@dataclass(frozen=True)
class Page:
    """One entry of the left navigation.

    `periods` are the periods the filter bar offers on this page (none: the page shows whole
    ranges and has no period control); `units` what it can count (one: the page always counts
    that, and the filter bar has no unit control); `nav` is False for pages reached from
    another page (a feature's page) rather than from the navigation.
    """

    key: str
    label: str
    path: str
    order: int
    periods: tuple[Period, ...] = ()
    default_period: Period | None = None
    nav: bool = True
    units: tuple[Unit, ...] = ("user", "account")

    def url(self, project: str) -> str:
        """This page's URL for `project` (without a query string)."""
        return project_url(project, self.path)
