"""Inbox pages between two users: each pages through all of theirs and none of the other's, newest first;
`unread=true`, the unread total on every page, and a tampered cursor (422 problem+json)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from chassis.db import make_sessionmaker
from chassis.tokens import Identity
from services.notifications.models import Notification
from tests.support.service import ServiceUnderTest, start_service

NEXT = re.compile(r'^<(/api/v1/notifications\?[^>]+)>; rel="next"$')


@pytest.fixture(params=["postgres", "sqlite"])
def service(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceUnderTest]:
    if request.param == "postgres":
        url = request.getfixturevalue("pg_urls")["notifications"]
    else:
        url = f"sqlite:///{tmp_path / 'notifications.db'}"
    s = start_service("notifications", tmp_path, url)
    yield s
    s.engine.dispose()


def _seed(service: ServiceUnderTest, user: str, count: int, start: datetime) -> list[str]:
    """`count` inbox rows for `user` (every third one read, its subject says so; pairs share a timestamp),
    their ids newest first; and as many email rows, which the inbox never shows."""
    rows = [{
        "id": str(uuid.uuid4()), "event_id": str(uuid.uuid4()), "event_type": "application.submitted",
        "recipient": user, "channel": channel, "address": user, "locale": "en",
        "subject": "read" if n % 3 == 0 else "unread",
        "body": "...", "link": None, "status": "delivered" if channel == "inbox" else "pending", "attempts": 0,
        "created_at": start + timedelta(seconds=n // 2),  # pairs share a moment: the id breaks the tie
        "read_at": start if n % 3 == 0 else None,
    } for n in range(count) for channel in ("inbox", "email")]
    with make_sessionmaker(service.engine)() as session, session.begin():
        session.execute(insert(Notification), rows)
    inbox = [r for r in rows if r["channel"] == "inbox"]
    return [r["id"] for r in sorted(inbox, key=lambda r: (r["created_at"], r["id"]), reverse=True)]


def _get(service: ServiceUnderTest, user: str, path: str) -> Any:
    who = Identity(username=user, roles=[{"role": "student", "school": "cs"}], school="cs", locale="en")
    token = service.signer.sign(who, "notifications", 60)
    return service.client.get(path, headers={"Authorization": f"Bearer {token}"})


def _all_pages(service: ServiceUnderTest, user: str, path: str) -> tuple[list[list[str]], list[int]]:
    pages, unread = [], []
    while True:
        reply = _get(service, user, path)
        assert reply.status_code == 200, reply.json
        pages.append([item["id"] for item in reply.json["items"]])
        unread.append(reply.json["unread"])
        link = reply.headers.get("Link")
        if link is None:
            return pages, unread
        path = NEXT.match(link).group(1)  # type: ignore[union-attr]


def test_two_users_each_page_through_all_of_theirs_and_none_of_the_others(service: ServiceUnderTest) -> None:
    start = datetime(2031, 3, 1, tzinfo=UTC)
    alice = _seed(service, "alice", 23, start)
    bob = _seed(service, "bob", 11, start + timedelta(seconds=3))  # interleaved in time with alice's
    pages, unread = _all_pages(service, "alice", "/api/v1/notifications?limit=5")
    assert [len(p) for p in pages] == [5, 5, 5, 5, 3]
    assert [i for p in pages for i in p] == alice  # all of them, once each, newest first
    assert set(unread) == {23 - 8}  # the total on every page (8 of 23 read)
    pages, _ = _all_pages(service, "bob", "/api/v1/notifications?limit=4")
    assert [i for p in pages for i in p] == bob
    assert not set(bob) & set(alice)

    first = _get(service, "alice", "/api/v1/notifications").json
    assert len(first["items"]) == 23 and first["unread"] == 15  # default limit 100: one page
    unread_ids = [i["id"] for i in first["items"] if i["subject"] == "unread"]
    assert len(unread_ids) == 15 and all(i["read_at"] is None for i in first["items"] if i["id"] in unread_ids)
    unread_pages, _ = _all_pages(service, "alice", "/api/v1/notifications?unread=true&limit=4")
    assert [len(p) for p in unread_pages] == [4, 4, 4, 3]
    assert [i for p in unread_pages for i in p] == unread_ids


def test_without_a_limit_a_page_is_the_newest_100_as_before_paging(service: ServiceUnderTest) -> None:
    """Clients that do not page got the newest 100 before the inbox had pages: the default must not give fewer."""
    alice = _seed(service, "alice", 130, datetime(2031, 3, 1, tzinfo=UTC))
    reply = _get(service, "alice", "/api/v1/notifications")
    assert [i["id"] for i in reply.json["items"]] == alice[:100]
    pages, _ = _all_pages(service, "alice", NEXT.match(reply.headers["Link"]).group(1))  # type: ignore[union-attr]
    assert [len(p) for p in pages] == [30]


def test_the_next_link_carries_only_the_validated_paging_arguments(service: ServiceUnderTest) -> None:
    from urllib.parse import parse_qs, urlsplit

    _seed(service, "alice", 9, datetime(2031, 3, 1, tzinfo=UTC))
    for query, unread in (("limit=2&unread=true", ["true"]), ("limit=2&unread=false", None), ("limit=2", None)):
        junk = "&utm=%22%3E%3Cscript%3E&next=https%3A%2F%2Fevil.example%2F&limit=7"
        link = _get(service, "alice", f"/api/v1/notifications?{query}{junk}").headers["Link"]
        target = urlsplit(NEXT.match(link).group(1))  # type: ignore[union-attr]
        args = parse_qs(target.query)
        assert target.path == "/api/v1/notifications"
        assert set(args) == {"limit", "cursor"} | ({"unread"} if unread else set()), link
        assert args["limit"] == ["2"] and args.get("unread") == unread


def test_a_cursor_cannot_show_another_users_rows(service: ServiceUnderTest) -> None:
    start = datetime(2031, 3, 1, tzinfo=UTC)
    _seed(service, "alice", 6, start)
    bob = _seed(service, "bob", 6, start)
    link = _get(service, "alice", "/api/v1/notifications?limit=2").headers["Link"]
    # alice's cursor in bob's hands pages bob's own inbox from that moment: nothing of alice's
    seen = _get(service, "bob", NEXT.match(link).group(1)).json["items"]  # type: ignore[union-attr]
    assert {i["id"] for i in seen} <= set(bob)


@pytest.mark.parametrize("cursor", ["bm9wZQ", "W10", "WyIyMDMxLTAzLTAxVDAwOjAwOjAwIiwgIngiXQ", "%00", "!!"])
def test_a_tampered_cursor_is_a_422_problem(service: ServiceUnderTest, cursor: str) -> None:
    reply = _get(service, "alice", f"/api/v1/notifications?cursor={cursor}")
    assert reply.status_code == 422 and reply.content_type == "application/problem+json"


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "limit=x", "unread=maybe"])
def test_bad_paging_arguments_are_422(service: ServiceUnderTest, query: str) -> None:
    assert _get(service, "alice", f"/api/v1/notifications?{query}").status_code == 422


def test_the_document_declares_the_paging(service: ServiceUnderTest) -> None:
    spec = service.client.get("/openapi.json").json
    operation = spec["paths"]["/api/v1/notifications"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"limit", "cursor", "unread"}
    assert "Link" in operation["responses"]["200"]["headers"]


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Any]:
    from chassis.settings import Settings
    from mobility.embedded import Embedded

    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path / "var"), "MOBILITY_SMTP_PORT": "9",
                                  "MOBILITY_RATE_LIMIT_LOGIN": "1000/minute"})
    system = Embedded(settings).start()
    yield system
    system.stop()


def test_the_inbox_page_links_to_the_next_page_without_script(embedded: Any) -> None:
    from sqlalchemy import text

    from chassis.db import make_engine
    from tests.integration.test_web_pages import browser

    engine = make_engine(embedded.settings.database_url("notifications"))
    service = ServiceUnderTest(app=embedded.gateway, signer=None, engine=engine,  # type: ignore[arg-type]
                               settings=embedded.settings)
    _seed(service, "alice", 110, datetime.now(UTC) - timedelta(days=1))
    with engine.connect() as c:  # with whatever the demo wrote to her
        total, unread = c.execute(text("SELECT count(*), count(*) - count(read_at) FROM notifications "
                                       "WHERE recipient = 'alice' AND channel = 'inbox'")).one()
    engine.dispose()
    alice = browser(embedded, "alice")
    first = alice.get("/inbox").text
    link = re.search(r'<a href="([^"]+)" rel="next">', first)
    assert link and first.count('<li class="card') == 100  # the API's default page
    second = alice.get(link.group(1).replace("&amp;", "&")).text
    assert second.count('<li class="card') == total - 100 and 'rel="next"' not in second
    only_unread = alice.get("/inbox?unread=true").text
    assert only_unread.count('<li class="card unread') == min(unread, 100) and f"({unread})" in only_unread
    tampered = alice.get("/inbox?cursor=bm9wZQ")
    assert tampered.status_code == 302 and tampered.headers["Location"].endswith("/inbox")
