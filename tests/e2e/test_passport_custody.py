"""A passport in the office's custody, in both topologies, through the gateway with every worker running (issue 19,
"Must show"): the clerk registers a traveller's passport with a planted number; a group staff trip with that
traveller is approved and the passports service hears of it; the clerk looks at the whole number, hands the passport
out for the trip; the trip comes back; the deadline sweep, with the clock past the due date, makes it overdue, which
holds the traveller's next submission; the clerk takes it back and the hold clears.

Then the grep: the planted number (in any case) is nowhere in the run's logs (the distributed processes' output
files; the embedded system's log events and output), in any table of any service's database (outboxes, inboxes,
notifications, the feed, webhook deliveries, the audit log), in any mail sent, in the event feed as a client reads it,
in what a webhook receiver was sent, nor on the register's pages. Its last 4 may show (the masked form): only the
whole number is looked for.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import structlog
from sqlalchemy import Engine, inspect, text

from chassis.db import make_sessionmaker
from chassis.settings import Settings
from mobility import demo_history, demo_passports
from mobility.embedded import Embedded
from services.passports import deadlines
from tests.conftest import fresh_databases, fresh_vhost
from tests.e2e.test_statistics import _page_session
from tests.support import group_trip, wait
from tests.support.api import Gateway
from tests.support.journeys import ZONE, approve, outbox, records, today, travel
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack

PLANTED = "E9P1ANT3D"  # entered in lower case: the service normalises it
CLERK = "passport.clerk"
STAFF_CHAIN = ["coord.cs", "icd.officer"]
CHAIN = [{"role": "school_coordinator", "scope": "school", "days": 3},
         {"role": "icd_officer", "scope": "university", "days": 5, "changes": True}]
LEAD = 60  # days from today to the trip's departure: beyond the general category's 30 days' lead time, and within
# the widest hand-out window the settings allow (90 days), so the passport may go out today


class WebhookSink:
    """A webhook receiver on this machine: keeps every body it is sent and answers 204."""

    def __init__(self) -> None:
        self.bodies: list[str] = []
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                sink.bodies.append(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode())
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture(scope="module")
def webhooks() -> Iterator[WebhookSink]:
    sink = WebhookSink()
    yield sink
    sink.server.shutdown()


# The conftest's systems, but allowed to send webhooks to this machine (the receiver above).
@pytest.fixture(scope="module")
def embedded_system(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[Embedded]:
    settings = Settings.from_env({
        "MOBILITY_VAR_DIR": str(tmp_path_factory.mktemp("embedded") / "var"),
        "MOBILITY_SMTP_PORT": str(smtp.port),
        "MOBILITY_RETRY_DELAY_MS": "300",
        "MOBILITY_WEBHOOKS_ALLOW_PRIVATE": "true",
    })
    system = Embedded(settings).start()
    yield system
    system.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, smtp: SmtpSink) -> Iterator[Stack]:
    with fresh_vhost() as amqp_url, fresh_databases() as pg_urls:
        system = Stack(tmp_path_factory.mktemp("stack"), amqp_url, pg_urls, smtp.port)
        system.env["MOBILITY_WEBHOOKS_ALLOW_PRIVATE"] = "true"
        with system.running() as running:
            yield running


@pytest.fixture(scope="module")
def gw(gateway: Gateway) -> Gateway:
    put = gateway.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", {"levels": CHAIN})
    assert put.status_code in (200, 201), put.text
    return gateway


class Keep(logging.Handler):
    """Every standard-library log record, with its fields."""

    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(f"{record.getMessage()} {record.__dict__!r}")


@pytest.fixture
def logs(request: pytest.FixtureRequest, topology: str, capfd: pytest.CaptureFixture[str]) -> Iterator[
        Callable[[], str]]:
    """What the run logged so far, as a function to call when the run is done: the distributed processes' output
    files; in the embedded topology, every log event (structlog's, with all its fields, and the standard
    library's) and whatever reached stdout and stderr."""
    if topology == "distributed":
        system: Stack = request.getfixturevalue("stack")

        def files() -> str:
            found = sorted(system.tmp.glob("*.log"))
            assert {f.name for f in found} >= {"api-passports.log", "worker-passports.log", "api-gateway.log"}
            return "\n".join(f.read_text(errors="replace") for f in found)
        yield files
        return
    records: list[str] = []
    handler = Keep(records)
    logging.getLogger().addHandler(handler)
    with structlog.testing.capture_logs() as events:
        def embedded() -> str:
            assert any(e.get("queue") == "passports.events" for e in events), "no passports event captured"
            return "\n".join([*records, *(repr(e) for e in events), *capfd.readouterr()])
        try:
            yield embedded
        finally:
            logging.getLogger().removeHandler(handler)


def widest_window(gw: Gateway) -> dict[str, Any]:
    """The clerk opens the hand-out window as wide as the settings allow (90 days before departure); the rules."""
    settings = gw.call(CLERK, "GET", "/api/v1/passport-settings").json()
    put = gw.call(CLERK, "PUT", "/api/v1/passport-settings", {**{k: settings[k] for k in (
        "return_days", "remind_days_before", "school_hold_after_days", "school_hold")}, "handout_days_before": 90})
    assert put.status_code == 200, put.text
    return put.json()  # type: ignore[no-any-return]


def trip_ahead(day: date) -> dict[str, Any]:
    """The group staff trip (李伟 T20081 leads 王芳 T20112 and 陈晨 T20307), leaving LEAD days after `day`."""
    body = group_trip.body()
    body["form"] = group_trip.shifted(body["form"], (day + timedelta(days=LEAD) - date.fromisoformat(
        body["form"]["start_date"])).days)
    return body


def passport_sweep(engine: Engine, on: date) -> dict[str, int]:
    """One deadline sweep of the passports database as its worker runs it, the clock at noon of `on`."""
    with make_sessionmaker(engine)() as session, session.begin():
        return deadlines.check(session, datetime.combine(on, time(12), ZONE).astimezone(UTC), "Asia/Shanghai")


def holds_placed(passports_db: Engine) -> list[dict[str, Any]]:
    """The data of the holds the passports service placed (the subject of each is the hold's id)."""
    with passports_db.connect() as c:
        rows = c.execute(text("SELECT body FROM outbox WHERE type = 'passport.hold_placed' ORDER BY id"))
        return [json.loads(body)["data"] for (body,) in rows]


def holds(applications_db: Engine, username: str) -> int:
    with applications_db.connect() as c:
        return int(c.scalar(text("SELECT count(*) FROM holds WHERE username = :u AND cleared_at IS NULL"),
                            {"u": username}))


def told(notifications_db: Engine, event_type: str) -> set[tuple[str, str, str]]:
    """(recipient, channel, status) of the notices of that event type."""
    with notifications_db.connect() as c:
        rows = c.execute(text("SELECT recipient, channel, status FROM notifications WHERE event_type = :t"),
                         {"t": event_type})
        return {(r, ch, s) for r, ch, s in rows}


def every_row(engine: Engine) -> Iterator[tuple[str, str]]:
    """(table, the row as text) for every row of every table of the database."""
    tables = inspect(engine).get_table_names()
    with engine.connect() as c:
        for table in tables:
            for row in c.execute(text(f'SELECT * FROM "{table}"')):
                yield table, repr(tuple(row))


def mail_text(message: Message) -> str:
    """A mail as its reader sees it: the headers and every text part, decoded."""
    parts = [str(message.items())]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(part.get_content())  # type: ignore[attr-defined]
    return "\n".join(parts)


def feed(gw: Gateway) -> list[dict[str, Any]]:
    """The whole event feed, page by page, as a client system (here the ICD) reads it."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        r = gw.call("icd.officer", "GET", "/api/v1/events", params={"limit": 500, **({"after": cursor} if cursor
                                                                                      else {})})
        assert r.status_code == 200, r.text
        page = r.json()
        if not page["items"]:
            return items
        items += page["items"]
        cursor = page["next_cursor"]


def absent(where: str, content: str) -> None:
    assert PLANTED.lower() not in content.lower(), f"the planted passport number is in {where}"


def test_a_passport_goes_out_for_a_trip_comes_back_late_holds_and_leaves_no_trace(
        gw: Gateway, databases: dict[str, Engine], smtp: SmtpSink,
        webhooks: WebhookSink, logs: Callable[[], str]) -> None:
    subscribed = gw.call("admin", "POST", "/api/v1/subscriptions", {"url": webhooks.url, "patterns": ["*"]})
    assert subscribed.status_code == 201, subscribed.text
    day = today()
    body = trip_ahead(day)
    trip_end = date.fromisoformat(body["form"]["end_date"])
    rules = widest_window(gw)

    # The clerk enters 李伟's passport (the group's leader, prof.li); it expires 2 months after the trip.
    created = gw.call(CLERK, "POST", "/api/v1/passports", {
        "holder_name": "李伟", "staff_number": "T20081", "holder_username": "prof.li", "school": "cs",
        "type": "official_passport", "number": PLANTED.lower(), "issued_on": str(day - timedelta(days=900)),
        "expires_on": str(trip_end + timedelta(days=60)), "kept_at": "Safe 2, drawer 3"})
    assert created.status_code == 201, created.text
    passport = created.json()
    assert (passport["number_masked"], passport["number_last4"], passport["status"]) == (
        "••••" + PLANTED[-4:], PLANTED[-4:], "in_custody")
    assert "number" not in passport
    path = f"/api/v1/passports/{passport['id']}"
    with databases["passports"].connect() as c:  # the row itself: sealed, only the last 4 readable
        row = c.execute(text("SELECT * FROM passports WHERE id = :id"), {"id": passport["id"]}).mappings().one()
    assert row["number_last4"] == PLANTED[-4:] and row["number_cipher"]
    for column, value in row.items():
        seen = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        assert PLANTED.encode() not in seen.upper(), column

    # The group trip (李伟 leads it, by staff number) is approved; the passports service hears of its records.
    application = approve(gw, "prof.li", STAFF_CHAIN, body)
    leader = records(gw, "prof.li", application["id"], 3)[0]
    assert leader["person"]["staff_number"] == "T20081"

    def eligible() -> dict[str, Any] | None:
        trips = gw.call(CLERK, "GET", path).json()["trips"]
        return next((t for t in trips if t["mobility_id"] == leader["id"] and t["can_hand_out"]), None)
    trip = wait.until(eligible, what="the passports service to hear of the trip")
    assert trip["planned_start"] == str(day + timedelta(days=LEAD))
    # It expires within 6 months of the trip's end: the submission warned the applicant and the clerks.
    wait.until(lambda: {("prof.li", "inbox"), (CLERK, "inbox")} <= {
        (r, ch) for r, ch, _ in told(databases["notifications"], "passport.expiry_warning")},
        what="the expiry warning")

    # Only the clerk sees the whole number; each look is audited.
    assert gw.call("prof.li", "POST", f"{path}/number-views").status_code == 403  # the holder reads it, masked
    assert gw.call("alice", "POST", f"{path}/number-views").status_code == 404
    assert gw.call("alice", "GET", path).status_code == 404
    viewed = gw.call(CLERK, "POST", f"{path}/number-views")
    assert viewed.status_code == 200, viewed.text
    assert viewed.json() == {"number": PLANTED} and "no-store" in viewed.headers["Cache-Control"]

    out = gw.call(CLERK, "POST", f"{path}/handouts", {"mobility_id": leader["id"], "handed_to": "李伟"})
    assert out.status_code == 201, out.text
    loan = out.json()
    assert loan["due_on"] == str(trip_end + timedelta(days=rules["return_days"]))
    again = gw.call(CLERK, "POST", f"{path}/handouts", {"mobility_id": leader["id"]})
    assert again.status_code == 409, again.text  # not in custody any more

    # The trip comes back today: due a week later (the return days), recomputed from the record's news.
    travel(gw, "prof.li", leader, day)
    due = day + timedelta(days=rules["return_days"])
    wait.until(lambda: gw.call(CLERK, "GET", path).json()["loan"]["due_on"] == str(due),
               what="the due date moved to the return's")
    assert gw.call(CLERK, "GET", path).json()["status"] == "handed_out"

    passports_db, applications_db = databases["passports"], databases["applications"]
    # A reminder within the days before (once per due date); due today is not overdue yet; the day after is.
    wait.until(lambda: (passport_sweep(passports_db, due - timedelta(days=rules["remind_days_before"])),
                        outbox(passports_db, "passport.due_soon", passport["id"]))[1], timeout=15, interval=0.3,
               what="the reminder before the due date")
    passport_sweep(passports_db, due)
    assert len(outbox(passports_db, "passport.due_soon", passport["id"])) == 1
    assert outbox(passports_db, "passport.overdue", passport["id"]) == []
    assert holds_placed(passports_db) == []
    wait.until(lambda: (passport_sweep(passports_db, due + timedelta(days=1)),
                        holds(applications_db, "prof.li") == 1)[1], timeout=15, interval=0.3,
               what="the overdue passport's hold in applications")
    passport_sweep(passports_db, due + timedelta(days=2))
    assert len(outbox(passports_db, "passport.overdue", passport["id"])) == 1  # once
    (placed,) = holds_placed(passports_db)
    assert (placed["scope"], placed["username"], placed["reason"]) == ("person", "prof.li", "passport_overdue")

    draft = gw.apply("prof.li", "faculty_exchange")
    gw.upload_required("prof.li", draft)
    held = gw.submit("prof.li", draft["id"])
    assert held.status_code == 409, held.text
    problem = held.json()
    assert problem["type"].endswith("/problems/on-hold")
    assert "the passport has not been handed back" in problem["detail"]
    assert [(h["reason"], h["due_on"], h["clears"]) for h in problem["holds"]] == [
        ("passport_overdue", str(due), "passport_returned")]
    wait.until(lambda: {("prof.li", "email", "sent"), ("coord.cs", "email", "sent"),
                        ("icd.officer", "email", "sent")} <= told(databases["notifications"], "passport.overdue"),
               what="the overdue notices mailed to the holder, the school and the ICD")
    assert smtp.to("prof.li@demo.mobility.local")

    back = gw.call(CLERK, "POST", f"{path}/returns", {"received_from": "李伟"})
    assert back.status_code == 200, back.text
    wait.until(lambda: holds(applications_db, "prof.li") == 0, what="the hold cleared in applications")
    submitted = gw.submit("prof.li", draft["id"])
    assert submitted.status_code == 200, submitted.text
    shown = gw.call(CLERK, "GET", path).json()
    assert shown["status"] == "in_custody" and shown["loan"] is None
    assert [h["action"] for h in shown["handovers"]] == ["handed_out", "returned"]
    audit = gw.call(CLERK, "GET", f"/api/v1/passport-audit?passport_id={passport['id']}").json()["items"]
    assert {"created", "viewed_number", "handed_out", "returned"} <= {e["action"] for e in audit}
    wait.until(lambda: ("prof.li", "email", "sent") in told(databases["notifications"], "passport.returned"),
               what="the return's receipt mailed to the holder")

    # THE GREP. Something public reached the webhook receiver and the feed (so they were working), nothing private.
    wait.until(lambda: webhooks.bodies, what="a webhook delivery")
    events = feed(gw)
    assert events and not [e for e in events if e["type"].startswith("passport.")]
    absent("the event feed", json.dumps(events, ensure_ascii=False))
    for sent in webhooks.bodies:
        absent("a webhook delivery", sent)
        assert not json.loads(sent)["type"].startswith("passport.")
    absent("the audit log's export", gw.call(CLERK, "GET", "/api/v1/passport-audit?format=csv").text)
    # The pages show it masked (its last 4) to whoever may read it, the clerk too until they ask to see it.
    for user, pages in ((CLERK, ("/passports", f"/passports/{passport['id']}", "/passports/audit")),
                        ("prof.li", ("/passports", f"/passports/{passport['id']}")),
                        ("coord.cs", (f"/passports/{passport['id']}",)), ("icd.officer", ("/passports",))):
        web = _page_session(gw, user, "en")
        for page in pages:
            got = web.get(f"{gw.base_url}{page}")
            assert got.status_code == 200, (user, page, got.status_code)
            absent(f"the page {page} as {user}", got.text)
            if page != "/passports/audit":
                assert PLANTED[-4:] in got.text, (user, page)
    tables: dict[str, set[str]] = {}
    for owner, engine in databases.items():
        for table, content in every_row(engine):
            tables.setdefault(owner, set()).add(table)
            absent(f"the {owner} database's table {table}", content)
    assert {"outbox", "inbox", "passports", "loans", "handovers", "audit_log"} <= tables["passports"]
    assert {"outbox", "inbox"} <= tables["applications"] and {"outbox", "inbox"} <= tables["mobilities"]
    assert {"inbox", "feed", "notifications", "deliveries"} <= tables["notifications"]
    mails = list(smtp.messages)
    assert mails
    for _, message in mails:
        absent(f"the mail {message['Subject']!r}", mail_text(message))
    output = logs()
    assert passport["id"] in output  # the logs were read: they name the passport (its id), never its number
    absent("the logs", output)


def test_the_demo_enters_the_groups_passports_and_hands_one_out_for_a_trip_ahead(
        embedded_system: Embedded, embedded_gateway: Gateway) -> None:
    """mobility/demo_passports.py, as demo_history.record calls it: obviously fake numbers, one expiring soon, and a
    passport out for a trip it may go out for today; entered once."""
    gw = embedded_gateway
    assert gw.call("admin", "PUT", "/api/v1/review-chains/faculty_exchange", {"levels": CHAIN}).status_code in (
        200, 201)
    widest_window(gw)
    day = today()
    body = trip_ahead(day)
    application = approve(gw, "prof.li", STAFF_CHAIN, body)
    member = records(gw, "prof.li", application["id"], 3)[1]
    assert member["person"]["staff_number"] == "T20112"

    def heard() -> bool:
        with embedded_system.engines["passports"].connect() as c:
            return bool(c.scalar(text("SELECT count(*) FROM trips WHERE mobility_id = :m"), {"m": member["id"]}))
    wait.until(heard, what="the passports service to hear of the trip")

    api = demo_history._Api(embedded_system.gateway)
    assert demo_passports.seed(api, day) == len(demo_passports.PASSPORTS)
    assert demo_passports.seed(api, day) == 0  # once
    register = {p["number_masked"]: p for p in gw.call("icd.officer", "GET", "/api/v1/passports").json()["items"]
                if p["staff_number"] in ("T20081", "T20112", "T20307")}
    assert {"••••0081", "••••1081", "••••0112", "••••0307"} <= set(register)
    assert all("number" not in p for p in register.values())
    with embedded_system.engines["passports"].connect() as c:  # hers: this trip, or an earlier test's ahead too
        planned = set(c.scalars(text("SELECT mobility_id FROM trips WHERE staff_number = 'T20112' AND status = "
                                     "'planned'")))
    assert member["id"] in planned
    assert register["••••0112"]["status"] == "handed_out" and register["••••0112"]["loan"]["mobility_id"] in planned
    soon = gw.call("icd.officer", "GET", "/api/v1/passports?expiring_within=90").json()["items"]
    assert "••••0112" in {p["number_masked"] for p in soon}
    clerk_view = gw.call(CLERK, "POST", f"/api/v1/passports/{register['••••0307']['id']}/number-views").json()
    assert clerk_view["number"].startswith("DEMO")
