"""Connections and confirmed publishing: the one place that talks kombu's producer API.

One connection per thread or process, opened where it is used (after fork); never shared.
"""

from __future__ import annotations

from typing import Any

import structlog
from kombu import Connection, Exchange, Producer

from eventbus.envelope import CONTENT_TYPE
from eventbus.topology import EXCHANGE

log = structlog.get_logger(__name__)


def connect(broker_url: str, heartbeat: int = 30) -> Connection:
    if broker_url.startswith("memory://"):
        # In-process transport: poll its queues often so the embedded system feels instant.
        return Connection(broker_url, transport_options={"polling_interval": 0.01})
    return Connection(
        broker_url,
        heartbeat=heartbeat,
        connect_timeout=5,
        transport_options={"confirm_publish": True},
    )


def body_bytes(message: Any) -> bytes:
    """The raw body of a received message (kombu may hand it back as str for a text content encoding)."""
    body = message.body
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


class Unroutable(Exception):
    """The broker had no queue for the message (basic.return on a mandatory publish)."""


class Publisher:
    """Publishes persistent messages with publisher confirms and `mandatory`, on one connection.

    With `confirm_publish`, kombu's publish returns only after the broker's ack; a basic.return for an
    unroutable message arrives before that ack, so `publish` knows the outcome when it returns.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._returned: set[str] = set()
        self._producer = Producer(connection.default_channel, on_return=self._on_return)
        self._memory = connection.transport_cls == "memory" or connection.as_uri().startswith("memory")

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        self._returned.add(message.properties.get("message_id", ""))

    def publish(
        self,
        body: bytes,
        *,
        routing_key: str,
        message_id: str,
        exchange: Exchange | str = EXCHANGE,
        headers: dict[str, Any] | None = None,
    ) -> None:
        """Publish and wait for the confirm. Raises Unroutable if no queue took the message."""
        if self._memory and not self._routable_in_memory(exchange, routing_key):
            raise Unroutable(f"no queue bound for {routing_key!r}")
        self._producer.publish(
            body,
            exchange=exchange,
            routing_key=routing_key,
            content_type=CONTENT_TYPE,
            content_encoding="utf-8",
            serializer=None,
            delivery_mode=2,
            mandatory=True,
            message_id=message_id,
            headers=headers or {},
            retry=False,
        )
        if message_id in self._returned:
            self._returned.discard(message_id)
            raise Unroutable(f"no queue bound for {routing_key!r}")

    def _routable_in_memory(self, exchange: Exchange | str, routing_key: str) -> bool:
        # kombu's memory transport drops unroutable messages silently; ask its routing table first.
        channel = self._producer.channel
        name = exchange.name if isinstance(exchange, Exchange) else exchange
        if not name:
            return channel._has_queue(routing_key)
        try:
            return bool(channel.typeof(name).lookup(channel.get_table(name), name, routing_key, None))
        except KeyError:
            return False
