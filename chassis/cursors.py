"""Opaque keyset cursors for paged lists: the sort key of the last row of a page, for the next one to
start after. A cursor the API did not give out is a 422, never a 500."""

from __future__ import annotations

import base64
import json
from datetime import datetime

from flask_smorest import abort


def encode(at: datetime, last_id: str) -> str:
    raw = json.dumps([at.isoformat(), last_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, field: str = "cursor") -> tuple[datetime, str]:
    try:
        at, last_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(at)
        if moment.tzinfo is None:  # every cursor given out carries its offset
            raise ValueError("naive timestamp")
        return moment, str(last_id)
    except (ValueError, TypeError, RecursionError) as exc:
        abort(422, message="Invalid cursor.", errors={field: ["Not a cursor this API gave out."]})
        raise AssertionError from exc
