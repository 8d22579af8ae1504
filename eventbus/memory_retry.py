"""The retry queue of the in-process transport (`memory://`, the embedded system), which has no TTL or
dead-lettering: a timer per message sends it back to the consumer's main queue after the retry delay.

A message still waiting when its consumer stops is sent back at once: the in-process broker then holds it like any
other (a consumer started again in this process takes it), and no timer fires after the consumer, or the broker,
is gone.
"""

from __future__ import annotations

import itertools
import threading
from typing import Any

import structlog

from eventbus.broker import Publisher, connect

log = structlog.get_logger(__name__)


class MemoryRetries:
    def __init__(self, broker_url: str, queue: str, delay_seconds: float) -> None:
        self.broker_url, self.queue, self.delay_seconds = broker_url, queue, delay_seconds
        self._waiting: dict[int, tuple[threading.Timer, tuple[bytes, str, dict[str, Any]]]] = {}
        self._keys = itertools.count()
        self._lock = threading.Lock()

    def later(self, body: bytes, message_id: str, headers: dict[str, Any]) -> None:
        key = next(self._keys)
        timer = threading.Timer(self.delay_seconds, self._due, args=(key,))
        timer.daemon = True
        with self._lock:
            self._waiting[key] = (timer, (body, message_id, headers))
        timer.start()

    def send_now(self) -> None:
        """The consumer stops: what waits goes back to the main queue now."""
        with self._lock:
            waiting, self._waiting = list(self._waiting.values()), {}
        for timer, message in waiting:
            timer.cancel()
            self._send(*message)

    def _due(self, key: int) -> None:
        with self._lock:
            entry = self._waiting.pop(key, None)
        if entry is not None:  # not already sent by send_now
            self._send(*entry[1])

    def _send(self, body: bytes, message_id: str, headers: dict[str, Any]) -> None:
        try:
            with connect(self.broker_url) as connection:
                Publisher(connection).publish(body, exchange="", routing_key=self.queue, message_id=message_id,
                                              headers=headers)
        except Exception as exc:  # the in-process broker is gone: so is everything it held
            log.warning("consumer.retry_dropped", queue=self.queue, message_id=message_id, error=repr(exc))
