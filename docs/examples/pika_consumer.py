#!/usr/bin/env python3
"""Follow Mobility's events from another system, with `pika` only (no Mobility code, no kombu).

    pip install pika jsonschema rfc3339-validator
    python pika_consumer.py --url amqp://user:pass@rabbit:5672/mobility \
        --queue registrar.events --bind 'application.*' --bind review.completed

What it does, in the order a real integration should do it:

1. declares ITS OWN durable quorum queue and binds it to the topic exchange `mobility.events`
   (routing key = the CloudEvents `type`, so `application.*` means every application event);
2. consumes CloudEvents 1.0 in structured JSON (`application/cloudevents+json`), a few at a time;
3. skips an event id it has already handled (delivery is at least once), and reports stale news: an event
   whose `aggregateversion` is lower than the highest it has applied for the same `subject` (one counter
   per subject: the application's `application.*` and `review.*` events share it);
4. validates `data` against the JSON Schema of the event's `type` (Draft 2020-12, formats checked);
5. "commits" its own work (here: one JSON line on stdout, flushed), and only THEN acks.

Output: one line per new event, `{"id": ..., "type": ..., "subject": ..., "valid": true}`
(`"valid": false` plus `"errors"` when the payload does not match its schema). Diagnostics, and a
`ready ...` line once the queue is declared and bound, go to stderr.

Exit: 0 after `--max N` events, or after `--timeout` seconds without a message when no `--max` was
given; 3 when `--max N` was given and the timeout ran out first; 2 on bad arguments or missing schemas.

Every option can also come from the environment: MOBILITY_EVENTS_URL, MOBILITY_EVENTS_QUEUE,
MOBILITY_EVENTS_BIND (space- or comma-separated keys), MOBILITY_EVENTS_SCHEMAS (directory holding
`<type>.json`; default: eventbus/schemas of the Mobility repository this file lives in).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import pika
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

EXCHANGE = "mobility.events"
CONTENT_TYPE = "application/cloudevents+json"
DEFAULT_SCHEMAS = Path(__file__).resolve().parents[2] / "eventbus" / "schemas"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    env = os.environ
    p = argparse.ArgumentParser(description="Consume Mobility events from your own queue.")
    p.add_argument("--url", default=env.get("MOBILITY_EVENTS_URL"), help="AMQP URL, with the vhost")
    p.add_argument("--queue", default=env.get("MOBILITY_EVENTS_QUEUE"), help="your queue's name")
    p.add_argument("--bind", action="append", default=[], help="binding key (repeatable), e.g. 'application.*'")
    p.add_argument("--schemas", type=Path, default=Path(env.get("MOBILITY_EVENTS_SCHEMAS", DEFAULT_SCHEMAS)),
                   help="directory of <type>.json schemas")
    p.add_argument("--max", type=int, default=None, help="exit after this many new events")
    p.add_argument("--timeout", type=float, default=None, help="exit after this many idle seconds")
    p.add_argument("--prefetch", type=int, default=10)
    args = p.parse_args(argv)
    if not args.bind:
        args.bind = env.get("MOBILITY_EVENTS_BIND", "").replace(",", " ").split()
    missing = [name for name in ("url", "queue") if not getattr(args, name)] + ([] if args.bind else ["bind"])
    if missing:
        p.error(f"missing {', '.join('--' + m for m in missing)} (or their MOBILITY_EVENTS_* variables)")
    if not args.schemas.is_dir():
        print(f"schema directory not found: {args.schemas}", file=sys.stderr)
        sys.exit(2)
    return args


def load_validators(directory: Path) -> dict[str, Draft202012Validator]:
    """One validator per event type: `eventbus/schemas/<type>.json` validates that type's `data`. The types share
    definitions under `_defs/` through `$ref`, resolved from the same directory (never fetched)."""
    resources = [(schema["$id"], Resource.from_contents(schema)) for schema in (
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.rglob("*.json")))]
    registry = Registry().with_resources(resources)
    validators = {}
    for path in sorted(directory.glob("*.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        Draft202012Validator.check_schema(schema)
        validators[path.stem] = Draft202012Validator(schema, registry=registry,
                                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
    return validators


def check(event: dict[str, Any], validators: dict[str, Draft202012Validator]) -> list[str]:
    """Problems with the event, empty if none. Unknown extra fields are fine (adding fields is compatible)."""
    if event.get("specversion") != "1.0":
        return [f"unsupported specversion {event.get('specversion')!r}"]
    validator = validators.get(event.get("type", ""))
    if validator is None:
        return [f"no schema for type {event.get('type')!r}"]
    data = event.get("data")
    return [f"{'/'.join(map(str, e.absolute_path)) or '(data)'}: {e.message}" for e in validator.iter_errors(data)]


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    validators = load_validators(args.schemas)

    connection = pika.BlockingConnection(pika.URLParameters(args.url))
    channel = connection.channel()
    # The exchange is Mobility's: only check that it exists (a passive declare needs no permission on it).
    channel.exchange_declare(EXCHANGE, passive=True)
    # Your own queue: durable and quorum (replicated, survives a node loss). Add "x-dead-letter-exchange"
    # and friends here if you want rejected messages kept somewhere instead of dropped.
    channel.queue_declare(args.queue, durable=True, arguments={"x-queue-type": "quorum"})
    for key in args.bind:
        channel.queue_bind(args.queue, EXCHANGE, routing_key=key)
    channel.basic_qos(prefetch_count=args.prefetch)
    print(f"ready queue={args.queue} bind={' '.join(args.bind)}", file=sys.stderr, flush=True)

    # A real system keeps these in its own database, written in the same transaction as its work:
    # a table of handled event ids (primary key) and, per subject, the highest aggregateversion applied
    # (one counter for an application's application.* and review.* events alike).
    seen: set[str] = set()
    latest: dict[str, int] = {}
    handled = 0
    exit_code = 0
    try:
        for method, properties, body in channel.consume(args.queue, inactivity_timeout=args.timeout):
            if method is None:  # idle for --timeout seconds
                if args.max is not None:
                    print(f"timed out after {args.timeout}s idle with {handled} of {args.max} events",
                          file=sys.stderr, flush=True)
                    exit_code = 3
                break
            try:
                event = json.loads(body)
                if not isinstance(event, dict) or "id" not in event or "type" not in event:
                    raise ValueError("not a CloudEvent")
            except ValueError as exc:  # undecodable: retrying will not help, so do not requeue
                print(f"undecodable message {properties.message_id}: {exc}", file=sys.stderr, flush=True)
                channel.basic_nack(method.delivery_tag, requeue=False)
                continue
            if properties.content_type != CONTENT_TYPE:
                print(f"unexpected content type {properties.content_type!r}", file=sys.stderr, flush=True)

            if event["id"] in seen:  # a redelivery or a republish: already done, just ack
                channel.basic_ack(method.delivery_tag)
                continue
            version = event.get("aggregateversion")
            subject = event.get("subject")
            if isinstance(version, int) and subject and version < latest.get(subject, 0):
                # Stale news: something newer about this subject has been handled already. Only lower is
                # stale: a round's review events carry their submission's number, equal to it. A real system
                # would skip its update (or re-read the current state from the API) instead.
                print(f"stale event {event['id']}: aggregateversion {version} < {latest[subject]}",
                      file=sys.stderr, flush=True)

            errors = check(event, validators)
            line: dict[str, Any] = {"id": event["id"], "type": event["type"], "subject": subject,
                                    "valid": not errors}
            if errors:
                line["errors"] = errors
            # --- your own transaction would go here; this example's "commit" is the flushed line. An
            # invalid payload is reported and acked too: parking it for a person is your policy to choose.
            print(json.dumps(line), flush=True)
            seen.add(event["id"])
            if isinstance(version, int) and subject:
                latest[subject] = max(version, latest.get(subject, 0))
            # --- and only after it committed: ack ---
            channel.basic_ack(method.delivery_tag)

            handled += 1
            if args.max is not None and handled >= args.max:
                break
    finally:
        # Closing returns unacked prefetched messages to the queue for the next run.
        if connection.is_open:
            connection.close()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
