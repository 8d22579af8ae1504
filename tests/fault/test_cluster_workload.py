"""The workload on a real three-node RabbitMQ cluster while its nodes crash: the node that leads
`reviews.events` is SIGKILLed during submissions and started again; once no quorum queue depends on the
node that leads it next, that one is killed too (a second, different node) and started again. The services'
connections name all three nodes (MOBILITY_BROKER_URL in kombu's failover form) and must move to a live
node by themselves; no process of the stack is restarted by the test. Then every application is approved
and the history checker reads every table: nothing lost, nothing duplicated, nothing unexpected, no DLQ.

The test starts and stops its own three nodes; the machine's broker on 5672 is not touched.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from chassis.owners import consuming_queues
from tests.conftest import CI
from tests.support import rabbit_cluster, wait, workload
from tests.support.rabbit_cluster import Node, RabbitCluster
from tests.support.smtp import SmtpSink
from tests.support.stack import Stack

N = int(os.environ.get("MOBILITY_FAULT_APPLICATIONS", "300"))
DOWN_SECONDS = 5.0  # how long a killed node stays down before it is started again


class NodeKills(threading.Thread):
    """Kill the leader of reviews.events, start it again, wait until the cluster can lose another node, kill
    the next leader of reviews.events (a different node), start it again. Records when a node was down."""

    def __init__(self, cluster: RabbitCluster) -> None:
        super().__init__(daemon=True)
        self.cluster = cluster
        self.stop = threading.Event()
        self.down: list[tuple[float, float]] = []
        self.done: list[str] = []
        self.error: BaseException | None = None

    def _leader(self) -> Node | None:
        try:
            return self.cluster.leader("reviews.events")
        except LookupError:  # an election under way
            return None

    def _kill_and_restart(self, node: Node) -> None:
        self.cluster.kill(node)
        start = time.monotonic()
        self.stop.wait(DOWN_SECONDS)
        self.cluster.start(node)
        self.down.append((start, time.monotonic()))
        self.done.append(f"SIGKILL {node.name.split('@')[0]} (leader of reviews.events), "
                         f"down {self.down[-1][1] - start:.0f} s")

    def run(self) -> None:
        try:
            self.stop.wait(4)  # submissions and deliveries under way
            first = wait.until(lambda: self._leader(), timeout=60, what="the leader of reviews.events")
            self._kill_and_restart(first)
            self.stop.wait(4)
            # The queue's new leader, or (if the restarted node took the lead back) any other node.
            second = wait.until(lambda: self._leader(), timeout=60, what="the new leader of reviews.events")
            if second is first:
                second = next(n for n in self.cluster.nodes if n is not first)
            # A rolling restart's rule: never stop a node that a quorum queue still needs for its majority
            # (the restarted node is catching up on the messages it missed).
            wait.until(lambda: self.cluster.safe_to_stop(second), timeout=120, interval=1,
                       what=f"{second.name} no longer quorum-critical")
            self._kill_and_restart(second)
            self.stop.wait(4)
        except BaseException as exc:  # reported by the test, not lost in a thread
            self.error = exc


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[RabbitCluster]:
    missing = rabbit_cluster.missing()
    if missing:
        if CI:
            pytest.fail(missing)
        pytest.skip(missing)
    with rabbit_cluster.running(tmp_path) as cluster:
        yield cluster


@pytest.fixture
def cluster_stack(tmp_path: Path, cluster: RabbitCluster, pg_urls: dict[str, str],
                  smtp: SmtpSink) -> Iterator[Stack]:
    with workload.running(Stack(tmp_path, cluster.url, pg_urls, smtp.port)) as stack:
        yield stack


@pytest.mark.timeout(1800)  # hundreds of applications and two node crashes on a two-core machine
def test_nothing_lost_nothing_doubled_when_cluster_nodes_crash(cluster: RabbitCluster, cluster_stack: Stack) -> None:
    stack = cluster_stack
    leaders = {queue: cluster.leader(queue).name for queue in consuming_queues()}
    assert len(set(leaders.values())) > 1, f"every queue led by one node: {leaders}"  # the leader locator spreads

    gateway = workload.signed_in(stack)
    kills = NodeKills(cluster)
    kills.start()
    submitted: list[workload.Submitted] = []
    try:
        submitted = workload.submit_during(gateway, kills.is_alive, N)
    finally:  # a failure here must not leave a node down for the checks
        kills.stop.set()
        kills.join(timeout=300)
    assert kills.error is None, kills.error
    assert len(kills.done) == 2, kills.done
    assert len({d.split()[1] for d in kills.done}) == 2, f"the same node killed twice: {kills.done}"

    during = workload.accepted_during(submitted, kills.down)
    # The clients had to move: consumers started again (on another node) after their node was killed.
    restarts = stack.logs(tail=None).count("consumer.started") - len(consuming_queues())
    assert restarts > 0, "no consumer reconnected: the kills proved nothing about failover"
    print(f"{kills.done}; {len(submitted)} applications submitted, {len(during)} while a node was down; "
          f"{restarts} consumer reconnection(s); leaders before: {leaders}")

    workload.approve_all(stack, gateway, {a for a, _, _, _ in submitted})
    expected = workload.expected_of(submitted)
    report = workload.final_check(
        stack, expected, "cluster",
        f"three-node RabbitMQ cluster: {kills.done}\n{len(submitted)} applications through review, "
        f"{len(during)} submitted while a node was down")
    assert report.clean
    assert during, "no submission fell inside a node's outage; the test proved less than it says"

    # The checker can still fail, on this run's tables.
    urls = workload.pg_urls(stack)
    workload.plant_faults(urls, submitted[0][0])
    workload.assert_planted_reported(urls, expected)
