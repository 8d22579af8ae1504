"""The review rules' refusals: each carries its HTTP status (api.py renders them as problem+json)."""

from __future__ import annotations


class ReviewError(Exception):
    status = 409


class Forbidden(ReviewError):
    status = 403


class Conflict(ReviewError):
    status = 409

    def __init__(self, message: str, **details: object) -> None:
        super().__init__(message)
        self.details = details  # extra members of the problem (who decided, when), for pages to word it


class Invalid(ReviewError):
    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field: [message]}
