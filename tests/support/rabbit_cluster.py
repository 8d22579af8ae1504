"""A real three-node RabbitMQ cluster of a test's own, beside the machine's broker (which it never touches).

Each node is a `rabbitmq-server` of its own: its node name, AMQP and distribution ports, data and log
directories (owned by the `rabbitmq` user, as the server insists) and config file; the Erlang cookie is the
machine's (/var/lib/rabbitmq), so `rabbitmqctl -n <node>` reaches every node. Nodes 2 and 3 join node 1 with
`rabbitmqctl join_cluster`. A node can be SIGKILLed (its beam process, as a crash or an OOM kill would end it)
and started again on the same data: it rejoins by itself.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import wait
from tests.support.ports import free_run

SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
RABBITMQ_HOME = "/var/lib/rabbitmq"  # the machine's Erlang cookie lives here


@dataclass
class Node:
    name: str  # fault-<id>-<n>@localhost
    port: int
    dist_port: int
    base: Path

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/%2F"


def ctl(*args: str, node: str, timeout: float = 60) -> str:
    """`rabbitmqctl`, `rabbitmq-queues` ... (the first argument names the tool) against one node."""
    tool, *rest = args
    result = subprocess.run([tool, "-q", "-n", node, *rest], capture_output=True, text=True, timeout=timeout,
                            check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{tool} -n {node} {' '.join(rest)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


class RabbitCluster:
    def __init__(self, tmp: Path, size: int = 3) -> None:
        tag = os.urandom(3).hex()
        self.root = Path(f"/tmp/rabbit-cluster-{tag}")  # short: Erlang paths and node names stay readable
        # Below the ephemeral range: a killed node's port stays unbound for seconds while dozens of clients
        # reconnect, and an outgoing connection must not take it before the node binds it again.
        base = free_run(2 * size)
        self.nodes = [Node(f"fault-{tag}-{n}@localhost", base + n - 1, base + size + n - 1, self.root / str(n))
                      for n in range(1, size + 1)]
        self.log_copy = tmp  # the nodes' logs are copied here on stop, for a failure's post-mortem

    @property
    def url(self) -> str:
        """MOBILITY_BROKER_URL in kombu's failover form: every node."""
        return ";".join(node.url for node in self.nodes)

    # -- one node ------------------------------------------------------------------------------------------
    def _environment(self, node: Node) -> dict[str, str]:
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": RABBITMQ_HOME, "LANG": "C.UTF-8",
            "RABBITMQ_NODENAME": node.name, "RABBITMQ_NODE_PORT": str(node.port),
            "RABBITMQ_DIST_PORT": str(node.dist_port), "RABBITMQ_MNESIA_BASE": str(node.base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(node.base / "log"), "RABBITMQ_CONFIG_FILE": str(node.base / "rabbitmq.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(node.base / "enabled_plugins"),
            "RABBITMQ_CONF_ENV_FILE": str(node.base / "rabbitmq-env.conf"),  # not the machine's
            "RABBITMQ_PID_FILE": str(node.base / "pid"),
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _prepare(self, node: Node) -> None:
        (node.base / "mnesia").mkdir(parents=True)
        (node.base / "log").mkdir()
        (node.base / "rabbitmq.conf").write_text(
            f"listeners.tcp.local = 127.0.0.1:{node.port}\n"
            "loopback_users = none\n"
            # A test's queues are small; the default 50 MB free-disk alarm is kept (it protects the machine).
            "log.console = false\n")
        (node.base / "enabled_plugins").write_text("[].\n")
        (node.base / "rabbitmq-env.conf").write_text("")
        shutil.chown(self.root, "rabbitmq", "rabbitmq")
        for path in [node.base, *node.base.rglob("*")]:
            shutil.chown(path, "rabbitmq", "rabbitmq")

    def start(self, node: Node) -> None:
        """Start the node (detached) and wait until it serves."""
        env = " ".join(f"{k}={_quote(v)}" for k, v in self._environment(node).items())
        subprocess.run(["runuser", "-u", "rabbitmq", "--", "sh", "-c", f"env {env} {SERVER} -detached"],
                       check=True, timeout=30)
        wait.until(lambda: _pings(node.name), timeout=60, interval=0.5, what=f"{node.name} answering")
        ctl("rabbitmqctl", "await_startup", node=node.name, timeout=120)

    def pid(self, node: Node) -> int | None:
        """The node's Erlang VM, from the pid file the server writes when it starts (None before that)."""
        try:
            return int((node.base / "pid").read_text().strip())
        except (FileNotFoundError, ValueError):
            return None

    def kill(self, node: Node) -> None:
        """SIGKILL the node's Erlang VM: no goodbye to its clients or its peers."""
        pid = self.pid(node)
        assert pid is not None and _alive(pid), f"{node.name} is not running"
        os.kill(pid, signal.SIGKILL)
        wait.until(lambda: not _alive(pid), timeout=30, interval=0.2, what=f"{node.name} gone")
        (node.base / "pid").unlink(missing_ok=True)

    def leader(self, queue: str) -> Node:
        """The node that leads a quorum queue now (asked of any live node)."""
        for asking in self.nodes:
            try:
                out = ctl("rabbitmqctl", "list_queues", "name", "leader", "--no-table-headers", node=asking.name)
            except (RuntimeError, subprocess.TimeoutExpired):
                continue
            for line in out.splitlines():
                name, _, leader = line.partition("\t")
                found = next((n for n in self.nodes if n.name == leader.strip()), None)
                if name == queue and found is not None:  # none while the queue elects a leader: ask again
                    return found
        raise LookupError(f"no live node names a leader of {queue}")

    def safe_to_stop(self, node: Node) -> bool:
        """No quorum queue would lose its majority if this node stopped (its peers have caught up)."""
        try:
            ctl("rabbitmq-queues", "check_if_node_is_quorum_critical", node=node.name)
            return True
        except RuntimeError:
            return False

    # -- the cluster ---------------------------------------------------------------------------------------
    def up(self) -> RabbitCluster:
        first, *others = self.nodes
        for node in self.nodes:
            self._prepare(node)
            self.start(node)
        for node in others:
            ctl("rabbitmqctl", "stop_app", node=node.name)
            ctl("rabbitmqctl", "join_cluster", first.name, node=node.name)
            ctl("rabbitmqctl", "start_app", node=node.name)
        running = ctl("rabbitmqctl", "eval", "length(rabbit_nodes:all_running()).", node=first.name).strip()
        assert running == str(len(self.nodes)), f"{running} of {len(self.nodes)} nodes running in the cluster"
        return self

    def down(self) -> None:
        for node in self.nodes:
            pid = self.pid(node)
            if pid is not None and _alive(pid):
                os.kill(pid, signal.SIGKILL)
        for node in self.nodes:
            logs = node.base / "log"
            if logs.exists():
                shutil.copytree(logs, self.log_copy / f"rabbit-{node.name.split('@')[0]}", dirs_exist_ok=True)
        time.sleep(0.5)  # the VMs' files closed before the directory goes
        shutil.rmtree(self.root, ignore_errors=True)


def missing() -> str | None:
    """Why this machine cannot run a cluster of its own, or None."""
    if not Path(SERVER).exists():
        return f"RabbitMQ's server is not at {SERVER}"
    if os.geteuid() != 0:
        return "starting RabbitMQ nodes as the rabbitmq user needs root (runuser)"
    return None


def sweep_stale(older_than: float = 3600) -> None:
    """Nodes a killed test run left behind (its pytest SIGKILLed before `down`): stopped by their pid files, their
    directories removed. Only directories untouched for an hour: a run going on beside this one keeps its own."""
    for root in Path("/tmp").glob("rabbit-cluster-*"):
        if time.time() - root.stat().st_mtime < older_than:
            continue
        for pid_file in root.glob("*/pid"):
            try:
                pid = int(pid_file.read_text().strip())
                if _alive(pid):
                    os.kill(pid, signal.SIGKILL)
            except (ValueError, OSError):
                pass
        shutil.rmtree(root, ignore_errors=True)


@contextmanager
def running(tmp: Path) -> Iterator[RabbitCluster]:
    sweep_stale()
    cluster = RabbitCluster(tmp)
    try:
        yield cluster.up()
    finally:
        cluster.down()


def _pings(node: str) -> bool:
    try:
        ctl("rabbitmqctl", "ping", node=node, timeout=15)
        return True
    except (RuntimeError, subprocess.TimeoutExpired):
        return False


def _alive(pid: int) -> bool:
    try:  # a zombie (state Z: dead, not yet reaped by a container's init) counts as gone
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _quote(value: str) -> str:
    return "'" + value.replace("'", "'\\''") + "'"
