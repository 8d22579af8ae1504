"""A consumer process is SIGKILLed in the middle of a handler: the message is redelivered, one effect."""

from __future__ import annotations

from tests.fault.conftest import scalar, table_locked, wait_for_blocked
from tests.support import wait
from tests.support.api import Gateway
from tests.support.stack import Stack


def test_consumer_killed_mid_handler_gets_the_message_again_and_applies_it_once(
    stack: Stack, gateway: Gateway
) -> None:
    reviews_db = stack.env["MOBILITY_REVIEWS_DATABASE_URL"]
    count_tasks = "SELECT count(*) FROM review_tasks WHERE application_id = %s"
    application = gateway.apply("alice")
    gateway.upload_required("alice", application)

    # The handler's INSERT INTO review_tasks waits on this lock: the worker is caught mid-handler,
    # its inbox row written but not committed, the message delivered but not acked.
    with table_locked(reviews_db, "review_tasks", "ACCESS EXCLUSIVE"):
        assert gateway.submit("alice", application["id"]).status_code == 200
        wait_for_blocked(reviews_db, "INSERT INTO review_tasks")
        stack.kill("worker-reviews")
    assert scalar(reviews_db, count_tasks, application["id"]) == 0
    assert scalar(reviews_db, "SELECT count(*) FROM inbox") == 0  # rolled back with the dead connection

    stack.start_worker("reviews")
    wait.until(lambda: scalar(reviews_db, count_tasks, application["id"]) == 1, what="the task after redelivery")
    wait.until(
        lambda: [n for n in gateway.call("coord.cs", "GET", "/api/v1/notifications").json()["items"]
                 if application["id"] in n["link"]],
        what="coord.cs notified",
    )
    assert scalar(reviews_db, count_tasks, application["id"]) == 1
    assert scalar(reviews_db, "SELECT count(*) FROM inbox WHERE event_type = 'application.submitted'") == 1
