"""A broker URL that names several nodes (kombu's failover form), and queues declared to spread over a cluster:
against the machine's RabbitMQ. The three-node cluster itself, with nodes killed under load, is
tests/fault/test_cluster_workload.py."""

from __future__ import annotations

import subprocess
from urllib.parse import urlsplit

from kombu import Producer, Queue

from eventbus import topology
from eventbus.broker import connect, nodes, open_connection
from tests.support.ports import free_port


def _dead(url: str) -> str:
    """The same broker URL on a port where nothing listens: a node that is down."""
    parts = urlsplit(url)
    dead = parts._replace(netloc=f"{parts.netloc.rsplit(':', 1)[0]}:{free_port()}").geturl()
    assert dead != url
    return dead


def test_every_node_is_a_failover_alternate_and_the_first_one_tried_is_random(amqp_url: str) -> None:
    url = ";".join([_dead(amqp_url), amqp_url, _dead(amqp_url)])
    assert nodes(url) == url.split(";")
    firsts = {connect(url).as_uri(include_password=True) for _ in range(40)}
    assert len(firsts) > 1, "every connection starts at the same node"  # 3**-39 odds of a false failure
    assert sorted(connect(url).alt) == sorted(url.split(";"))


def test_a_connection_reaches_the_live_node_whichever_it_tries_first(amqp_url: str) -> None:
    url = ";".join([_dead(amqp_url), _dead(amqp_url), amqp_url])
    for _ in range(8):
        with open_connection(url) as connection:
            assert connection.connected
            assert connection.as_uri(include_password=True) == amqp_url


def _arguments(vhost: str, queue: str) -> str:
    out = subprocess.run(["rabbitmqctl", "-q", "list_queues", "-p", vhost, "name", "arguments",
                          "--no-table-headers"], capture_output=True, text=True, check=True, timeout=60).stdout
    return next(line for line in out.splitlines() if line.startswith(f"{queue}\t"))


def test_new_queues_ask_for_a_balanced_leader_and_older_ones_keep_their_arguments(amqp_url: str) -> None:
    vhost = amqp_url.rsplit("/", 1)[1]
    with open_connection(amqp_url) as connection:
        # The queues as a version before the leader locator declared them (RabbitMQ refuses to change them).
        for queue in topology.queues("older", ["application.submitted"], 1000):
            arguments = {k: v for k, v in queue.queue_arguments.items() if k not in topology.SPREAD}
            Queue(queue.name, bindings=queue.bindings, durable=True, queue_arguments=arguments)(
                connection.channel()).declare()
        topology.declare_services(connection, {"older": ["application.submitted", "application.approved"],
                                               "newer": ["application.submitted"]}, 1000)
        # The older queue still gets the bindings it lacked.
        Producer(connection.channel()).publish(b"{}", exchange=topology.EXCHANGE_NAME,
                                                routing_key="application.approved")  # confirmed: it is queued
        assert connection.channel().queue_declare("older.events", passive=True).message_count == 1
    assert "x-queue-leader-locator" not in _arguments(vhost, "older.events")
    for queue in ("newer.events", "newer.events.retry", "newer.events.dlq"):
        assert '{"x-queue-leader-locator","balanced"}' in _arguments(vhost, queue)
