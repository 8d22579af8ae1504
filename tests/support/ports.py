"""Ports for the servers a test starts."""

from __future__ import annotations

import random
import socket
from pathlib import Path


def free_port() -> int:
    """A port the kernel has just handed out and freed again (from the ephemeral range)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _bindable(port: int) -> bool:
    """Free on every address: a server may listen on 0.0.0.0 (the workers' /metrics do)."""
    with socket.socket() as s:
        try:
            s.bind(("0.0.0.0", port))
        except OSError:
            return False
        return True


def free_run(count: int) -> int:
    """The first of `count` consecutive free ports, for a process that numbers its own ports from a base
    (`mobility up --metrics-port`). They are taken below the ephemeral range: a port from that range may be
    handed to some process's outgoing connection (to PostgreSQL, RabbitMQ) before the server binds it."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    floor = 10000 if low > 10000 + 1000 else 1024
    if low - count <= floor:
        raise RuntimeError(f"the ephemeral port range starts at {low}: no room below it for {count} ports")
    for _ in range(200):
        base = random.randrange(floor, low - count)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise RuntimeError(f"no {count} consecutive free ports below {low}")
