"""A property filter: one condition on an event, user or account property."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FilterOp = Literal[
    "eq", "neq", "in", "not_in", "contains", "not_contains",
    "gt", "gte", "lt", "lte", "is_set", "is_not_set",
]  # fmt: skip

Scalar = str | int | float | bool

PROPERTY_PATTERN = re.compile(r"^(event|user|account)\.[A-Za-z0-9_\-. $]+$|^event$")


class Filter(BaseModel):
    """`{"property": "user.department", "op": "eq", "value": "Sales"}`.

    `property` is `event` (the event name), `event.<key>` (an event property),
    `user.<key>` (a user column or trait) or `account.<key>` (an account column or trait).
    Comparisons gt/gte/lt/lte are numeric when `value` is a number, textual otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # Defined before the `property` field, which shadows the builtin in the class body.
    @property
    def namespace(self) -> Literal["event", "user", "account"]:
        """Which table the property lives on."""
        head = self.property.split(".", 1)[0]
        assert head in ("event", "user", "account")
        return head  # type: ignore[return-value]

    @property
    def key(self) -> str | None:
        """The property key after the namespace; None for the event name itself."""
        parts = self.property.split(".", 1)
        return parts[1] if len(parts) == 2 else None

    property: str = Field(description="event | event.<key> | user.<key> | account.<key>")
    op: FilterOp = "eq"
    value: Scalar | list[Scalar] | None = None

    @field_validator("property")
    @classmethod
    def _known_namespace(cls, v: str) -> str:
        if not PROPERTY_PATTERN.match(v):
            raise ValueError(
                f"{v!r} is not a property reference: use event, event.<key>, user.<key> "
                "or account.<key>"
            )
        return v

    @model_validator(mode="after")
    def _value_fits_op(self) -> Filter:
        if self.op in ("is_set", "is_not_set"):
            if self.value is not None:
                raise ValueError(f"op {self.op!r} takes no value")
        elif self.op in ("in", "not_in"):
            if not isinstance(self.value, list) or not self.value:
                raise ValueError(f"op {self.op!r} needs a non-empty list as value")
        elif self.value is None or isinstance(self.value, list):
            raise ValueError(f"op {self.op!r} needs one value (not a list)")
        return self
