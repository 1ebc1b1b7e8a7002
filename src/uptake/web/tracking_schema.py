"""The request bodies of the tracking API, for the OpenAPI document (the routes parse bodies
themselves, message by message, so one bad event does not fail a whole batch)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Call(BaseModel):
    model_config = ConfigDict(extra="allow")

    # Ids may be numbers, as Segment allows; they are stored as text.
    userId: str | int | float | None = Field(default=None, description="Your id of the user.")
    anonymousId: str | int | float | None = Field(default=None, description="Device / visitor id.")
    messageId: str | int | float | None = Field(
        default=None, description="Unique id of the message: retries with it are stored once."
    )
    timestamp: str | None = Field(default=None, description="ISO-8601 time of the call.")
    context: dict[str, Any] | None = Field(default=None, description="Context (groupId...).")
    writeKey: Any = Field(
        default=None, description="Write key, if not sent as Basic (ignored when it is)."
    )


class TrackCall(_Call):
    """A user did something."""

    event: str = Field(description="Event name.")
    properties: dict[str, Any] | None = None


class IdentifyCall(_Call):
    """Who the user is: traits (createdAt, licensed, accountId...)."""

    traits: dict[str, Any] | None = None


class GroupCall(_Call):
    """The account (group) a user belongs to, and its traits (name, plan, seats...)."""

    groupId: str | int | float = Field(description="Your id of the account.")
    traits: dict[str, Any] | None = None


class PageCall(_Call):
    """A page view (stored as the event `page_viewed`)."""

    name: str | None = None
    category: str | None = None
    properties: dict[str, Any] | None = None


class ScreenCall(PageCall):
    """A mobile screen view (stored as the event `screen_viewed`)."""


class BatchCall(BaseModel):
    """Many calls at once; each names its `type`. Top-level `context` applies to each."""

    model_config = ConfigDict(extra="allow")

    batch: list[dict[str, Any]] = Field(description="Calls, each with a `type`.")
    context: dict[str, Any] | None = None
    writeKey: Any = None


class TrackingResponse(BaseModel):
    """Every message was stored."""

    success: bool
    accepted: int = Field(description="Messages stored (retries already stored included).")


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` declaring a JSON request body of `model`."""
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": model.model_json_schema()}},
        }
    }
