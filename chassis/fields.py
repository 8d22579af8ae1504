"""Request fields every service's marshmallow schemas share, where JSON and marshmallow disagree."""

from __future__ import annotations

from typing import Any

from marshmallow import fields


class Whole(fields.Integer):
    """A whole number in a JSON body: 5 or 5.0 (JSON Schema's integer: JSON does not tell them apart), never 5.5,
    "5" or true."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int | float) or (
                isinstance(value, float) and not value.is_integer()):
            raise self.make_error("invalid")
        return int(value)
