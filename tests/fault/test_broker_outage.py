"""RabbitMQ stopped for ~10 s while applications are submitted: the API keeps accepting them, and after
RabbitMQ returns every event is delivered and every effect happens exactly once."""

from __future__ import annotations

import time

import psycopg

from tests.conftest import rabbitmqctl
from tests.fault.conftest import libpq, scalar
from tests.support import wait
from tests.support.api import Gateway
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack


def test_submissions_during_a_broker_outage_are_accepted_and_delivered_once(
    stack: Stack, gateway: Gateway, smtp: SmtpSink
) -> None:
    users = ["alice", "bob", "chen"]
    for user in users:
        gateway.login(user)
    accepted: list[dict] = []

    rabbitmqctl("stop_app")
    try:
        stopped_at = time.monotonic()
        n = 0
        while time.monotonic() - stopped_at < 10:
            user = users[n % len(users)]
            application = gateway.apply(user)
            gateway.upload_required(user, application)
            r = gateway.submit(user, application["id"])
            assert r.status_code == 200, r.text  # the broker is down; the outbox takes it
            accepted.append({**application, "user": user})
            n += 1
            time.sleep(0.3)
    finally:
        rabbitmqctl("start_app")
        rabbitmqctl("await_startup")
    assert len(accepted) >= 10

    reviews_db = stack.env["MOBILITY_REVIEWS_DATABASE_URL"]
    notifications_db = stack.env["MOBILITY_NOTIFICATIONS_DATABASE_URL"]
    ids = [a["id"] for a in accepted]
    count_tasks = "SELECT count(*) FROM review_tasks WHERE application_id = ANY(%s)"
    wait.until(lambda: scalar(reviews_db, count_tasks, ids) == len(ids), timeout=90, what="a task per application")
    for a in accepted:
        wait.until(
            lambda a=a: gateway.call(a["user"], "GET", f"/api/v1/applications/{a['id']}").json()["status"]
            == "in_review",
            timeout=60, what=f"{a['id']} in review",
        )
    # Exactly once: one task per application, one notification per (event, recipient, channel).
    per_app = "SELECT application_id, count(*) FROM review_tasks WHERE application_id = ANY(%s) GROUP BY 1"
    assert _rows(reviews_db, per_app, ids) == {i: 1 for i in ids}
    expected_rows = 2 * len(ids) + 2 * len(ids)  # applicant (inbox+email) + one coordinator (inbox+email)
    count_notes = "SELECT count(*) FROM notifications WHERE link LIKE ANY(%s)"
    patterns = [f"%{i}" for i in ids]
    wait.until(lambda: scalar(notifications_db, count_notes, patterns) == expected_rows, timeout=60,
               what="every notification")
    dupes = ("SELECT count(*) FROM (SELECT event_id, recipient, channel FROM notifications "
             "GROUP BY 1, 2, 3 HAVING count(*) > 1) d")
    assert scalar(notifications_db, dupes) == 0
    for a in accepted:
        address = f"{a['user']}@demo.mobility.local"
        mails = wait.until(
            lambda a=a, address=address: [m for m in smtp.to(address) if a["id"] in m.get_body().get_content()],
            timeout=60, what="the applicant's email",
        )
        assert len(mails) == 1
    time.sleep(2)  # anything still in flight would show up as a second effect now
    assert _rows(reviews_db, per_app, ids) == {i: 1 for i in ids}
    assert scalar(notifications_db, count_notes, patterns) == expected_rows
    # Exactly once by the inbox, not by luck of unique keys: each event was applied once, no handler
    # failed on a duplicate, and nothing was parked.
    inbox = "SELECT count(*) FROM inbox WHERE event_type = %s"
    assert scalar(reviews_db, inbox, "application.submitted") == len(ids)
    assert scalar(notifications_db, inbox, "application.submitted") == len(ids)
    assert scalar(notifications_db, inbox, "review.task_created") == len(ids)
    for service in ("applications", "reviews", "notifications"):
        listed = stack.cli("dlq", "list", f"{service}.events")
        assert listed.stderr.strip().endswith(f"0 parked in {service}.events.dlq"), listed.stderr
    assert "consumer.handler_failed" not in stack.logs(tail=None)


def _rows(database_url: str, sql: str, *params: object) -> dict:
    with psycopg.connect(libpq(database_url), autocommit=True) as conn:
        return dict(conn.execute(sql, params).fetchall())
