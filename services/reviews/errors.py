"""The review rules' refusals: each carries its HTTP status (api.py renders them as problem+json)."""

from __future__ import annotations


class ReviewError(Exception):
    status = 409


class Forbidden(ReviewError):
    status = 403


class Conflict(ReviewError):
    status = 409


class Invalid(ReviewError):
    status = 422

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.errors = {field: [message]}
