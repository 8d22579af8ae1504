"""Logs read as columns at a terminal and stay JSON lines everywhere else (pipes, log shippers, tests)."""

from __future__ import annotations

import io
import json

import structlog

from chassis import logging as chassis_logging


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _render(stream: io.StringIO) -> str:
    *_, renderer = chassis_logging._rendering(stream)
    return str(renderer(None, "info", {"event": "embedded.started", "level": "info", "var_dir": "var"}))


def test_a_terminal_gets_readable_lines() -> None:
    line = _render(_Terminal())
    assert "embedded.started" in line and "var_dir" in line
    assert not line.lstrip().startswith("{")


def test_a_pipe_gets_json_lines() -> None:
    assert json.loads(_render(io.StringIO())) == {"event": "embedded.started", "level": "info", "var_dir": "var"}


def test_configure_without_a_terminal_renders_json(capsys) -> None:  # type: ignore[no-untyped-def]
    before = structlog.get_config()
    try:
        chassis_logging.configure("INFO", service="embedded")
        structlog.get_logger("t").info("hello", n=1)
    finally:  # the configuration writes to this test's captured stream, closed once it ends
        structlog.configure(**before)
    record = json.loads(capsys.readouterr().err.strip().splitlines()[-1])
    assert record["event"] == "hello" and record["service"] == "embedded" and record["n"] == 1
