"""Logging through structlog: JSON lines for machines, readable lines when a person watches a terminal;
request and correlation ids ride along via contextvars."""

from __future__ import annotations

import logging
import sys
from typing import Any, TextIO

import structlog


def _scrub_newlines(_logger, _name, event_dict):  # type: ignore[no-untyped-def]
    # JSON rendering already escapes CR/LF; this keeps the human "event" field on one line as well.
    event = event_dict.get("event")
    if isinstance(event, str):
        event_dict["event"] = event.replace("\r", "\\r").replace("\n", "\\n")
    return event_dict


def _rendering(stream: TextIO) -> list[Any]:
    """Readable columns for a person at a terminal (`mobility run`); JSON lines wherever the output is piped or
    collected (deployments, log shippers, tests), so what machines read does not change. The console renderer
    lays out tracebacks itself, so it gets the exception as it is."""
    if stream.isatty():
        # plain tracebacks: a rich one would print local variables (passwords, tokens) on the terminal
        return [structlog.dev.ConsoleRenderer(colors=True, exception_formatter=structlog.dev.plain_traceback)]
    return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]


def configure(level: str = "INFO", service: str | None = None) -> None:
    def _service(_logger, _name, event_dict):  # type: ignore[no-untyped-def]
        # A processor, not a contextvar: worker threads and gunicorn threads start with empty contexts.
        if service:
            event_dict.setdefault("service", service)
        return event_dict

    shared = [
        structlog.contextvars.merge_contextvars,
        _service,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _scrub_newlines,
    ]
    structlog.configure(
        processors=[*shared, *_rendering(sys.stderr)],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=False,
    )
    logging.basicConfig(level=level, stream=sys.stderr, format="%(message)s")
    for noisy in ("amqp", "kombu", "werkzeug"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
