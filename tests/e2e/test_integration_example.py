"""The integrators' pika example (docs/examples/pika_consumer.py, shown in docs/integration.md) against real
RabbitMQ: an outside system binds its own queue and receives `application.submitted`, whose payload
validates against the published schema.

Uses the module-scoped distributed `stack` (real gunicorn APIs and workers, a fresh vhost, fresh PostgreSQL
databases; ~15 s to start).
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pika

from eventbus import catalog
from tests.support.api import Gateway
from tests.support.stack import Stack

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "pika_consumer.py"
QUEUE = "registrar.events"


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    for line in stream:
        lines.put(line.rstrip("\n"))
    lines.put(None)


def _next_line(lines: queue.Queue[str | None], timeout: float, what: str, context: Any) -> str | None:
    try:
        return lines.get(timeout=timeout)
    except queue.Empty:
        raise AssertionError(f"timed out after {timeout}s waiting for {what}; {context()}") from None


def test_pika_example_receives_application_submitted(stack: Stack, distributed_gateway: Gateway) -> None:
    amqp_url = stack.env["MOBILITY_BROKER_URL"]
    consumer = subprocess.Popen(
        [sys.executable, str(EXAMPLE), "--url", amqp_url, "--queue", QUEUE, "--bind", "application.*",
         "--max", "1", "--timeout", "60"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out: queue.Queue[str | None] = queue.Queue()
    err: queue.Queue[str | None] = queue.Queue()
    err_seen: list[str] = []
    assert consumer.stdout is not None and consumer.stderr is not None
    threading.Thread(target=_pump, args=(consumer.stdout, out), daemon=True).start()
    threading.Thread(target=_pump, args=(consumer.stderr, err), daemon=True).start()

    def stderr_so_far() -> str:
        consumer.poll()
        while True:  # whatever the example wrote to stderr by now, without waiting
            try:
                late = err.get_nowait()
            except queue.Empty:
                break
            if late is not None:
                err_seen.append(late)
        return f"exit code {consumer.returncode}, stderr: {err_seen!r}"

    # Our own copy of the same event, to check its payload against the schema: a second queue, bound before
    # the submission, receives the very message the example receives.
    connection = pika.BlockingConnection(pika.URLParameters(amqp_url))
    try:
        channel = connection.channel()
        copy_queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(copy_queue, "mobility.events", routing_key="application.submitted")

        # 1. The example says "ready" once its queue is declared and bound.
        while True:
            line = _next_line(err, 30, "the example's 'ready' line", stderr_so_far)
            assert line is not None, f"the example ended before it was ready: {stderr_so_far()}"
            err_seen.append(line)
            if line.startswith("ready"):
                break
        # Its queue really exists, declared by the example as a durable quorum queue.
        declared = connection.channel().queue_declare(QUEUE, passive=True)
        assert declared.method.queue == QUEUE

        # 2. An applicant submits through the public API.
        application = distributed_gateway.apply_and_submit("alice")

        # 3. The example prints exactly one line for it and exits 0.
        line = _next_line(out, 90, "an event line on the example's stdout", stderr_so_far)
        assert line is not None, f"the example printed nothing: {stderr_so_far()}"
        consumer.wait(timeout=30)
        assert consumer.returncode == 0, stderr_so_far()
        assert _next_line(out, 5, "the end of the example's stdout", stderr_so_far) is None, \
            "the example printed more than one line with --max 1"

        # 4. Our copy of the event.
        method, properties, body = next(channel.consume(copy_queue, inactivity_timeout=30))
        assert method is not None, "no application.submitted reached the test's own queue within 30 s"
        channel.basic_ack(method.delivery_tag)
        channel.cancel()
    finally:
        if consumer.poll() is None:
            consumer.kill()
            consumer.wait(timeout=10)
        if connection.is_open:
            connection.close()

    printed = json.loads(line)
    assert printed == {"id": printed["id"], "type": "application.submitted", "subject": application["id"],
                       "valid": True}, printed

    event = json.loads(body)
    assert event["id"] == printed["id"], "the example and the test's queue saw different events"
    assert properties.content_type == "application/cloudevents+json"
    assert properties.delivery_mode == 2
    assert properties.message_id == event["id"]
    assert event["specversion"] == "1.0" and event["type"] == "application.submitted"
    assert event["subject"] == application["id"] == event["data"]["application_id"]
    # The content version the reviewers bind to, and the revision that orders the subject's news (created, submitted)
    assert (event["data"]["version"], event["aggregateversion"]) == (1, 2)
    catalog.validate("application.submitted", event["data"])
