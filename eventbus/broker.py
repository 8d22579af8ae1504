"""Connections and confirmed publishing: the one place that talks kombu's producer API.

One connection per thread or process, opened where it is used (after fork); never shared.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from kombu import Connection, Exchange, Producer

from eventbus.envelope import CONTENT_TYPE
from eventbus.topology import EXCHANGE

log = structlog.get_logger(__name__)

# How long `Publisher.publish_many` waits for the broker to answer a whole batch. Below two heartbeat
# intervals, so a waiting publisher is not taken for dead by the broker.
CONFIRM_TIMEOUT = 30.0


def nodes(broker_url: str) -> list[str]:
    """The broker's nodes. `MOBILITY_BROKER_URL` names one, or a cluster's nodes in kombu's failover form:
    `amqp://u:p@node1:5672/%2F;amqp://u:p@node2:5672/%2F;...` (so a `;` in a password must be written `%3B`)."""
    return [url.strip() for url in broker_url.split(";") if url.strip()]


def connect(broker_url: str, heartbeat: int = 30) -> Connection:
    """A connection, not yet opened. Several nodes: each connection starts at a random one (so a service's
    connections spread over the cluster) and kombu moves it to the next when its node fails."""
    if broker_url.startswith("memory://"):
        # In-process transport: poll its queues often so the embedded system feels instant.
        return Connection(broker_url, transport_options={"polling_interval": 0.01})
    urls = nodes(broker_url)
    random.shuffle(urls)
    return Connection(
        urls if len(urls) > 1 else urls[0],
        heartbeat=heartbeat,
        connect_timeout=5,
        failover_strategy="round-robin",
        transport_options={"confirm_publish": True},
    )


def open_connection(broker_url: str, heartbeat: int = 30, timeout: float | None = None,
                    rounds: int = 1) -> Connection:
    """A connection opened now, to any live node. A round tries every node once, one after the other without a
    pause (`timeout` bounds a round); `rounds` > 1 tries again 2 s later. Raises the last error when no node
    answered. Callers that keep running back off between calls with their own interruptible wait."""
    for attempt in range(1, rounds + 1):
        connection = connect(broker_url, heartbeat)
        try:
            # kombu's failover moves to the next alternate after each failed try: len - 1 retries is one pass.
            connection.ensure_connection(max_retries=max(len(connection.alt) - 1, 0), interval_start=0,
                                         timeout=timeout)
            return connection
        except Exception:
            connection.release()
            if attempt == rounds:
                raise
        time.sleep(2)
    raise AssertionError("unreachable")  # pragma: no cover  (the loop returns or raises)


def body_bytes(message: Any) -> bytes:
    """The raw body of a received message (kombu may hand it back as str for a text content encoding)."""
    body = message.body
    return body.encode("utf-8") if isinstance(body, str) else bytes(body)


class Unroutable(Exception):
    """The broker had no queue for the message (basic.return on a mandatory publish)."""


class ConfirmTimeout(Exception):
    """The broker did not answer every message of a batch in time."""


@dataclass(frozen=True)
class Outgoing:
    """One message of a batch for `Publisher.publish_many`; same meaning as `Publisher.publish`'s arguments."""

    body: bytes
    routing_key: str
    message_id: str
    exchange: Exchange | str = EXCHANGE
    headers: dict[str, Any] | None = None


@dataclass
class Outcome:
    """What the broker said about each message of a batch; each list keeps the order the batch was given in.

    confirmed:   acked and routed to at least one queue.
    unroutable:  returned (basic.return, no queue bound) and then acked: not confirmed.
    nacked:      the broker refused it (basic.nack): not confirmed, may be published again.
    unconfirmed: no answer, because the batch was interrupted (see PublishInterrupted).
    """

    confirmed: list[Outgoing] = field(default_factory=list)
    unroutable: list[Outgoing] = field(default_factory=list)
    nacked: list[Outgoing] = field(default_factory=list)
    unconfirmed: list[Outgoing] = field(default_factory=list)


class PublishInterrupted(Exception):
    """A batch stopped part-way: connection or channel lost, or the confirms did not come in time.

    `outcome` holds what the broker answered before that (its `confirmed` are safely on the broker); the
    original error is the `__cause__`.
    """

    def __init__(self, outcome: Outcome, error: BaseException) -> None:
        answered = len(outcome.confirmed) + len(outcome.unroutable) + len(outcome.nacked)
        total = answered + len(outcome.unconfirmed)
        super().__init__(f"batch interrupted after {answered} of {total} answers: {error!r}")
        self.outcome = outcome
        self.error = error


_CONFIRMED, _UNROUTABLE, _NACKED = "confirmed", "unroutable", "nacked"


class _ConfirmChannel:
    """A channel of its own in confirm mode, and the bookkeeping of its delivery tags.

    After confirm.select the broker numbers every publish on the channel 1, 2, 3, ... and acks or nacks by
    that number (`multiple` settles every tag up to it). So no one else may publish on this channel, and
    after any error it is thrown away: a reopened channel starts counting again.
    """

    def __init__(self, connection: Connection) -> None:
        self.channel = connection.channel()
        try:
            self.channel.confirm_select()
        except Exception:
            self.close()
            raise
        self._next_tag = 1
        self._batch: Sequence[Outgoing] = ()
        self._status: list[str | None] = []
        self._waiting: dict[int, int] = {}  # delivery tag -> index in the batch, in publish order
        self._returned: set[int] = set()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)

    def publish_and_wait(self, messages: Sequence[Outgoing], timeout: float) -> None:
        self._batch, self._status = messages, [None] * len(messages)
        self._waiting, self._returned = {}, set()
        channel = self.channel
        for index, m in enumerate(messages):
            message = channel.prepare_message(
                m.body, 0, CONTENT_TYPE, "utf-8", m.headers or {}, {"delivery_mode": 2, "message_id": m.message_id}
            )
            self._waiting[self._next_tag] = index
            self._next_tag += 1
            # py-amqp's non-waiting publish (see Publisher.publish_many for why not `basic_publish`).
            channel._basic_publish(
                message, exchange=_exchange_name(m.exchange), routing_key=m.routing_key, mandatory=True
            )
        deadline = time.monotonic() + timeout
        while self._waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConfirmTimeout(f"{len(self._waiting)} of {len(messages)} messages not confirmed in {timeout}s")
            try:
                channel.connection.drain_events(timeout=remaining)
            except TimeoutError:  # socket.timeout; the loop decides
                pass

    def outcome(self) -> Outcome:
        outcome = Outcome()
        lists = {_CONFIRMED: outcome.confirmed, _UNROUTABLE: outcome.unroutable, _NACKED: outcome.nacked}
        for message, status in zip(self._batch, self._status, strict=True):
            lists.get(status, outcome.unconfirmed).append(message)
        return outcome

    def close(self) -> None:
        try:
            self.channel.close()
        except Exception:
            pass

    def _settled(self, delivery_tag: int, multiple: bool) -> list[int]:
        if not multiple:
            return [delivery_tag] if delivery_tag in self._waiting else []
        tags = []
        for tag in self._waiting:  # ascending: tags were added in publish order
            if tag > delivery_tag:
                break
            tags.append(tag)
        return tags

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        for tag in self._settled(delivery_tag, multiple):
            self._status[self._waiting.pop(tag)] = _UNROUTABLE if tag in self._returned else _CONFIRMED

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        for tag in self._settled(delivery_tag, multiple):
            self._status[self._waiting.pop(tag)] = _NACKED

    def _on_return(self, exc: Exception, exchange: str, routing_key: str, message: Any) -> None:
        # A return names no delivery tag: match it by message_id (and where it went) to the earliest message
        # still waiting for its ack; the ack follows the return.
        message_id = message.properties.get("message_id", "")
        for tag, index in self._waiting.items():
            m = self._batch[index]
            if (tag not in self._returned and m.message_id == message_id and m.routing_key == routing_key
                    and _exchange_name(m.exchange) == exchange):
                self._returned.add(tag)
                return


class Publisher:
    """Publishes persistent messages with publisher confirms and `mandatory`, on one connection.

    With `confirm_publish`, kombu's publish returns only after the broker's ack; a basic.return for an
    unroutable message arrives before that ack, so `publish` knows the outcome when it returns.
    `publish_many` publishes a whole batch and then waits once for all its confirms.
    """

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._returned: set[str] = set()
        self._producer = Producer(connection.default_channel, on_return=self._on_return)
        self._memory = connection.transport_cls == "memory" or connection.as_uri().startswith("memory")
        self._confirms: _ConfirmChannel | None = None

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

    def publish_many(self, messages: Sequence[Outgoing], *, timeout: float = CONFIRM_TIMEOUT) -> Outcome:
        """Publish a batch, then wait once until the broker has acked or nacked every message of it.

        Same messages as `publish` (persistent, `mandatory`, same properties), in the order given. Returns
        which were confirmed, unroutable or nacked. Raises PublishInterrupted, holding what was answered so
        far, if the connection or the channel fails or the answers take longer than `timeout` seconds.

        How: `connect()` sets kombu's `confirm_publish`, which makes every channel's public `basic_publish`
        py-amqp's `basic_publish_confirm`, one publish and one wait per message. Instead the batch goes on a
        channel of its own (opened on first use, `confirm_select`ed), through py-amqp's non-waiting
        `Channel._basic_publish`, and the acks, nacks and returns are read afterwards with `drain_events`
        through the channel's `events` callbacks. This keeps one `connect()` for every use, and `publish`
        on the same connection keeps its per-message confirm; the cost is that one private py-amqp method.
        Its own channel because the delivery tags count every publish on a channel.

        On `memory://` (no confirms) each message is published as `publish` does; routable means confirmed.
        """
        if self._memory:
            return self._publish_each(messages)
        try:
            if self._confirms is None:
                self._confirms = _ConfirmChannel(self._connection)
            confirms = self._confirms
        except Exception as exc:
            raise PublishInterrupted(Outcome(unconfirmed=list(messages)), exc) from exc
        try:
            confirms.publish_and_wait(messages, timeout)
        except Exception as exc:
            # The channel's tags can no longer be trusted (a channel error reopens it counting from 1).
            self._confirms = None
            confirms.close()
            raise PublishInterrupted(confirms.outcome(), exc) from exc
        return confirms.outcome()

    def _publish_each(self, messages: Sequence[Outgoing]) -> Outcome:
        outcome = Outcome()
        for index, m in enumerate(messages):
            try:
                self.publish(m.body, routing_key=m.routing_key, message_id=m.message_id, exchange=m.exchange,
                             headers=m.headers)
                outcome.confirmed.append(m)
            except Unroutable:
                outcome.unroutable.append(m)
            except Exception as exc:
                outcome.unconfirmed.extend(messages[index:])
                raise PublishInterrupted(outcome, exc) from exc
        return outcome

    def _routable_in_memory(self, exchange: Exchange | str, routing_key: str) -> bool:
        # kombu's memory transport drops unroutable messages silently; ask its routing table first.
        channel = self._producer.channel
        name = _exchange_name(exchange)
        if not name:
            return channel._has_queue(routing_key)
        try:
            return bool(channel.typeof(name).lookup(channel.get_table(name), name, routing_key, None))
        except KeyError:
            return False


def _exchange_name(exchange: Exchange | str) -> str:
    return exchange.name if isinstance(exchange, Exchange) else exchange
