"""The placements service's refusals in words: a conflict (409) or bad input (422), rendered as problem+json
by app.py."""

from __future__ import annotations

from typing import Any


class PlacementError(Exception):
    def __init__(self, message: str, status: int = 409, errors: Any = None) -> None:
        super().__init__(message)
        self.status, self.errors = status, errors
