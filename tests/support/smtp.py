"""A real SMTP server for tests (aiosmtpd) that keeps every message it receives."""

from __future__ import annotations

import email
import email.policy
import threading
from email.message import Message
from typing import Any

from aiosmtpd.controller import Controller

from tests.support.ports import free_port


class SmtpSink:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], Message]] = []
        self._lock = threading.Lock()
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self._lock:
            message = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[Message]:
        with self._lock:
            return [m for rcpts, m in self.messages if address in rcpts]

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
