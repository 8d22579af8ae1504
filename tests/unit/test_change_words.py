"""A change request's every status (as the applications API states them) reads in words on the pages."""

from __future__ import annotations

from gateway.web.change_pages import STATUS_WORDS
from services.applications.change_requests_api import ChangeOut


def test_every_status_of_a_change_request_has_words() -> None:
    described = ChangeOut().fields["status"].metadata["description"]
    statuses = {part.split()[0] for part in described.split("|")}
    assert statuses == {"pending", "approved", "rejected", "cancelled"}
    assert statuses <= set(STATUS_WORDS)
