"""The relay is killed after publishing but before marking sent: published twice, one effect."""

from __future__ import annotations

from eventbus import topology
from eventbus.broker import connect
from tests.fault.conftest import scalar, table_locked, wait_for_blocked
from tests.support import wait
from tests.support.api import Gateway
from tests.support.stack import Stack


def test_relay_killed_between_publish_and_mark_republishes_and_the_consumer_applies_once(
    stack: Stack, gateway: Gateway
) -> None:
    broker = stack.env["MOBILITY_BROKER_URL"]
    apps_db, reviews_db = stack.env["MOBILITY_APPLICATIONS_DATABASE_URL"], stack.env["MOBILITY_REVIEWS_DATABASE_URL"]
    with connect(broker) as connection:  # an outside subscriber that counts every copy published
        topology.declare(connection, "probe", ["application.submitted"], retry_delay_ms=1000)

    application = gateway.apply("alice")
    gateway.upload_required("alice", application)
    stack.kill("worker-applications")  # its relay must not publish before the trap is set
    assert gateway.submit("alice", application["id"]).status_code == 200
    pending = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND type = 'application.submitted'"
    assert scalar(apps_db, pending) == 1

    # SHARE mode lets the relay claim and publish the row but blocks its UPDATE ... SET sent_at.
    with table_locked(apps_db, "outbox", "SHARE"):
        stack.start_worker("applications")
        wait.until(lambda: _queue_depth(broker, "probe.events") == 1, what="the event published once")
        wait_for_blocked(apps_db, "UPDATE outbox")
        stack.kill("worker-applications")  # SIGKILL: published, never marked
    assert scalar(apps_db, pending) == 1

    stack.start_worker("applications")
    wait.until(lambda: _queue_depth(broker, "probe.events") == 2, what="the event published a second time")
    wait.until(lambda: scalar(apps_db, pending) == 0, what="the row marked sent")

    count_tasks = "SELECT count(*) FROM review_tasks WHERE application_id = %s"
    wait.until(lambda: scalar(reviews_db, count_tasks, application["id"]) == 1, what="the review task")
    # Both copies reached reviews: one was applied, the other found its inbox row.
    wait.until(lambda: _queue_depth(broker, "reviews.events") == 0, what="reviews drained")
    assert scalar(reviews_db, count_tasks, application["id"]) == 1
    assert "consumer.duplicate" in (stack.tmp / "worker-reviews.log").read_text()
    queue = gateway.call("coord.cs", "GET", "/api/v1/review-tasks").json()
    assert [t["application_id"] for t in queue].count(application["id"]) == 1


def _queue_depth(broker_url: str, queue: str) -> int:
    with connect(broker_url) as connection:
        channel = connection.channel()
        _, count, _ = channel.queue_declare(queue, passive=True)
        channel.close()
    return int(count)
