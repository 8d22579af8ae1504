"""The broker topology: the `mobility.events` topic exchange and, per consuming service, its queues.

    <service>.events        quorum queue bound to the event types the service handles
    <service>.events.retry  quorum queue with a TTL; expired messages dead-letter back to the main queue
    <service>.events.dlq    quorum queue where messages park after the last attempt, with their reason

Retry and parking publish through the default exchange straight to the queue by name.

On a cluster, each quorum queue has a replica on every node (up to the quorum default) and a leader on one;
`x-queue-leader-locator: balanced` puts a new queue's leader on the node that leads the fewest, so the
services' queues spread over the nodes instead of all landing on the node the declaring client reached.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from amqp.exceptions import PreconditionFailed
from kombu import Connection, Exchange, Queue, binding

EXCHANGE_NAME = "mobility.events"
EXCHANGE = Exchange(EXCHANGE_NAME, type="topic", durable=True)
SPREAD = {"x-queue-leader-locator": "balanced"}


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
    quorum = {"x-queue-type": "quorum", **SPREAD}
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
    declare_services(connection, {service: routing_keys}, retry_delay_ms)


def declare_services(connection: Connection, services: Mapping[str, list[str]], retry_delay_ms: int) -> None:
    """The exchange and every service's queues (service → the event types it handles). Every main queue first,
    then the retry queues, then the DLQs: the balanced locator gives a new queue to the node that leads the
    fewest, so declared service by service the busy main queues would all land on the same node."""
    EXCHANGE(connection.default_channel).declare()
    per_service = [queues(service, keys, retry_delay_ms) for service, keys in services.items()]
    for kind in zip(*per_service, strict=True):
        for queue in kind:
            _declare(connection, queue)


def _declare(connection: Connection, queue: Queue) -> None:
    """Declare (and bind) one queue on a channel of its own: a refused declaration closes its channel.

    A queue declared by a version before the leader locator keeps the arguments it has (RabbitMQ refuses to
    change them): it is declared again without the locator. Its leader stays where it is; an operator moves
    leaders with `rabbitmq-queues rebalance quorum` (docs/operations.md).
    """
    channel = connection.channel()
    try:
        queue(channel).declare()
        return
    except PreconditionFailed as exc:
        if "x-queue-leader-locator" not in str(exc):
            raise
    finally:
        _close(channel)
    arguments = {k: v for k, v in (queue.queue_arguments or {}).items() if k not in SPREAD}
    channel = connection.channel()
    try:
        Queue(queue.name, bindings=queue.bindings, durable=True, queue_arguments=arguments)(channel).declare()
    finally:
        _close(channel)


def _close(channel) -> None:  # type: ignore[no-untyped-def]
    try:
        channel.close()
    except Exception:
        pass


def declare_exchange(connection: Connection) -> None:
    EXCHANGE(connection.default_channel).declare()
