"""Parked messages: list what sits in `<queue>.dlq` with its reason, and replay it to `<queue>`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kombu import Connection

from eventbus import envelope, topology
from eventbus.broker import Publisher, body_bytes


@dataclass
class Parked:
    message_id: str
    routing_key: str
    attempts: int
    error: str
    parked_at: str
    event_type: str | None
    body: bytes

    def summary(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "event_type": self.event_type,
            "routing_key": self.routing_key,
            "attempts": self.attempts,
            "parked_at": self.parked_at,
            "error": self.error,
            "body": self.body.decode("utf-8", "replace")[:500],
        }


def _parked(message: Any) -> Parked:
    headers = dict(message.headers or {})
    body = body_bytes(message)
    try:
        event_type = envelope.from_json(body).get_type()
    except envelope.EnvelopeError:
        event_type = None
    death = headers.get("x-death") or []
    error = str(headers.get("x-error") or "")
    if death and "x-parked-at" not in headers:  # the broker parked it (delivery limit), not the consumer
        error = f"dead-lettered by the broker: {death[0].get('reason')}" + (f"; last error: {error}" if error else "")
    return Parked(
        message_id=message.properties.get("message_id", ""),
        routing_key=str(headers.get("x-routing-key", "")),
        attempts=int(headers.get("x-attempts", 0)),
        error=str(error),
        parked_at=str(headers.get("x-parked-at", "")),
        event_type=event_type,
        body=body,
    )


def _take_all(channel: Any, queue: str, limit: int) -> list[Any]:
    taken = []
    for _ in range(limit):
        raw = channel.basic_get(queue, no_ack=False)
        if raw is None:
            break
        taken.append(channel.message_to_python(raw))
    return taken


def _put_back(messages: list[Any]) -> None:
    # Explicit requeue: the in-memory transport does not restore unacked messages on channel close.
    for message in messages:
        if not message.acknowledged:
            message.requeue()


def list_parked(connection: Connection, queue: str, limit: int = 1000) -> list[Parked]:
    """Browse without consuming: take each message unacked, then put them all back."""
    channel = connection.channel()
    taken: list[Any] = []
    try:
        taken = _take_all(channel, topology.names_for_queue(queue).dlq, limit)
        return [_parked(m) for m in taken]
    finally:
        _put_back(taken)
        channel.close()


def replay(connection: Connection, queue: str, message_id: str | None = None) -> int:
    """Move parked messages (all, or the one with `message_id`) back to the main queue, attempts reset."""
    names = topology.names_for_queue(queue)
    publisher = Publisher(connection)
    channel = connection.channel()
    moved = 0
    taken: list[Any] = []
    try:
        taken = _take_all(channel, names.dlq, limit=100_000)
        for message in taken:
            parked = _parked(message)
            if message_id is not None and parked.message_id != message_id:
                continue  # put back below
            headers = {
                k: v for k, v in dict(message.headers or {}).items() if k not in ("x-attempts", "x-death")
            }
            headers["x-replayed"] = int(headers.get("x-replayed", 0)) + 1
            publisher.publish(parked.body, exchange="", routing_key=names.main,
                              message_id=parked.message_id or "replayed", headers=headers)
            message.ack()
            moved += 1
    finally:
        _put_back(taken)
        channel.close()
    return moved
