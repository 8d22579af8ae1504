"""gunicorn settings for every Mobility API process (`mobility serve <service>` loads this file).

gthread workers: the APIs block on the database, not the CPU. Connections (database pools, broker) are
opened inside each worker after fork, because the app is created there (no preload).
"""

import multiprocessing
import os

bind = os.environ.get("MOBILITY_BIND")  # unset: `mobility serve` uses the service's usual port
workers = int(os.environ.get("MOBILITY_WEB_WORKERS", max(2, min(multiprocessing.cpu_count() * 2, 8))))
worker_class = "gthread"
threads = int(os.environ.get("MOBILITY_WEB_THREADS", "4"))
preload_app = False
timeout = 30
graceful_timeout = 20
keepalive = 5
accesslog = None  # every app logs each request as a JSON line itself (chassis.tracing)
errorlog = "-"
loglevel = os.environ.get("MOBILITY_LOG_LEVEL", "info").lower()


def child_exit(server, worker):  # type: ignore[no-untyped-def]
    """A worker's metrics files are kept for its counters; its live gauges must not be summed any more."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
