"""The broker topology: the `mobility.events` topic exchange and, per consuming service, its queues.

    <service>.events        quorum queue bound to the event types the service handles
    <service>.events.retry  quorum queue with a TTL; expired messages dead-letter back to the main queue
    <service>.events.dlq    quorum queue where messages park after the last attempt, with their reason

Retry and parking publish through the default exchange straight to the queue by name.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Connection, Exchange, Queue, binding

EXCHANGE_NAME = "mobility.events"
EXCHANGE = Exchange(EXCHANGE_NAME, type="topic", durable=True)


@dataclass(frozen=True)
class QueueNames:
    main: str
    retry: str
    dlq: str


def names(service: str) -> QueueNames:
    main = f"{service}.events"
    return QueueNames(main=main, retry=f"{main}.retry", dlq=f"{main}.dlq")


def names_for_queue(queue: str) -> QueueNames:
    """From a main queue name (`reviews.events`) or its DLQ name to the three names."""
    main = queue.removesuffix(".dlq").removesuffix(".retry")
    return QueueNames(main=main, retry=f"{main}.retry", dlq=f"{main}.dlq")


def queues(service: str, routing_keys: list[str], retry_delay_ms: int) -> tuple[Queue, Queue, Queue]:
    n = names(service)
    quorum = {"x-queue-type": "quorum"}
    at_least_once = {"x-dead-letter-strategy": "at-least-once", "x-overflow": "reject-publish"}
    main = Queue(
        n.main,
        bindings=[binding(EXCHANGE, routing_key=key) for key in routing_keys],
        durable=True,
        # Safety net below our own attempt count: a message redelivered this often (a consumer that
        # keeps crashing on it) is parked by the broker instead of looping forever.
        queue_arguments={
            **quorum,
            **at_least_once,
            "x-delivery-limit": 100,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": n.dlq,
        },
    )
    retry = Queue(
        n.retry,
        durable=True,
        queue_arguments={
            **quorum,
            "x-message-ttl": retry_delay_ms,
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": n.main,
            # at-least-once dead-lettering: the broker keeps the message until the main queue confirms it.
            **at_least_once,
        },
    )
    dlq = Queue(n.dlq, durable=True, queue_arguments=quorum)
    return main, retry, dlq


def declare(connection: Connection, service: str, routing_keys: list[str], retry_delay_ms: int) -> None:
    channel = connection.default_channel
    EXCHANGE(channel).declare()
    for queue in queues(service, routing_keys, retry_delay_ms):
        queue(channel).declare()


def declare_exchange(connection: Connection) -> None:
    EXCHANGE(connection.default_channel).declare()
