"""`python -m bench` (`make bench`): every measure in one run on this machine, the table printed and
written to docs/benchmarks.md. `--smoke` runs the same steps small, to prove the harness still works."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from bench import costs, cpu, drain, environment, latency, profile, queue, relay, seed, submission
from bench.memory import PeakRss
from bench.report import Results, render, write
from bench.scrape import scrape
from bench.stack import Stack, paused
from chassis.settings import Settings


@dataclass(frozen=True)
class Mode:
    relay_events: int
    seconds: float  # per wrk run
    connections: int
    repeats: int  # submission runs, gateway and floor alternating
    drafts_per_run: int
    steady_seconds: float
    history: tuple[int, int]  # applications, tasks
    drain_timeout: float


MODES = {
    "full": Mode(relay_events=20_000, seconds=10, connections=8, repeats=3, drafts_per_run=20_000,
                 steady_seconds=30, history=(100_000, 300_000), drain_timeout=900),
    "smoke": Mode(relay_events=300, seconds=2, connections=4, repeats=1, drafts_per_run=3_000,
                  steady_seconds=2, history=(2_000, 6_000), drain_timeout=180),
}
STEADY_RATES = (50.0, 20.0)  # the first target's rate, one this machine should sustain; then half of saturation
ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(mode_name: str, workdir: Path, profiling: bool = False) -> Results:
    mode = MODES[mode_name]
    results = Results(mode=mode_name, machine=environment.machine())
    with environment.vhost() as broker_url, environment.databases() as dbs, environment.smtp_sink() as smtp:
        log(f"relay: draining {mode.relay_events} events, and publishing them raw with a confirm each")
        results.relay = relay.measure(broker_url, dbs["relay"], mode.relay_events,
                                      Settings.from_env({}).relay_batch_size)

        stack = Stack(workdir / "stack", broker_url, dbs, smtp)
        log("starting the distributed topology (mobility up)")
        stack.start()
        try:
            with PeakRss(stack.processes) as memory:
                measure_stack(stack, mode, dbs, workdir, results, profiling)
            results.memory = memory.peaks
        except BaseException:
            log(f"stack log tail:\n{stack.log_tail()}")
            raise
        finally:
            stack.stop()
    return results


def measure_stack(stack: Stack, mode: Mode, dbs: dict[str, str], workdir: Path, results: Results,
                  profiling: bool) -> None:
    token = stack.token("prof.li")
    started = scrape(stack.worker_metrics())
    submitted: list[str] = []
    for n in range(mode.repeats):
        ids = seed.drafts(dbs["applications"], mode.drafts_per_run)
        with submission.floor_server(dbs["floor"], workdir, stack.env) as floor_url:
            log(f"submission {n + 1}/{mode.repeats}: floor")
            results.floor.append(submission.floor_load(floor_url, ids, seconds=mode.seconds,
                                                       connections=mode.connections, workdir=workdir))
        submitted += ids
        log(f"submission {n + 1}/{mode.repeats}: through the gateway, event workers paused")
        before = scrape(stack.worker_metrics())  # stopped workers answer no scrape, and count nothing meanwhile
        with paused(stack.workers()), cpu.accounted(stack.processes) as used:
            results.gateway.append(submission.through_gateway(stack, token, ids, seconds=mode.seconds,
                                                              connections=mode.connections, workdir=workdir))
        resumed = time.monotonic()
        results.cpu["submission, workers paused"] = per_request(used, results.gateway[-1].requests)
        log("letting the workers catch up (the backlog drain rate), so that the next run has the machine to itself")
        load = results.gateway[-1]
        results.drains.append(drain.catch_up(stack.worker_metrics(), before, resumed, load.requests - load.failed,
                                             mode.drain_timeout))
        latency.collect(dbs, submitted, mode.drain_timeout)

    ids = seed.drafts(dbs["applications"], mode.drafts_per_run)
    log("saturation: submissions through the gateway with the whole system running")
    before = scrape(stack.worker_metrics())
    with cpu.accounted(stack.processes) as used:
        began = time.monotonic()
        results.whole = submission.through_gateway(stack, token, ids, seconds=mode.seconds,
                                                   connections=mode.connections, workdir=workdir)
        # From the load's start until every event of it is consumed: what the whole system absorbs.
        results.absorbed = drain.catch_up(stack.worker_metrics(), before, began,
                                          results.whole.requests - results.whole.failed, mode.drain_timeout)
        results.saturation = latency.collect(dbs, ids, mode.drain_timeout)
    results.cpu["whole system at saturation, until drained"] = per_request(used, results.saturation.submitted)

    for rate in STEADY_RATES:
        results.steady[rate] = steady_run(stack, dbs, token, rate, mode, results, profiling and rate == STEADY_RATES[0])
    half = max(1.0, round(results.absorbed.submissions_rate / 2, 1))  # issue 22's latency target's rate
    results.half_saturation = (half, steady_run(stack, dbs, token, half, mode, results, False))

    results.costs = costs.per_event_type(started, scrape(stack.worker_metrics()))  # the queue run sends none

    applications, tasks = mode.history
    log(f"reviewer queue: seeding {applications:,} applications and {tasks:,} tasks")
    results.dataset = seed.history(dbs["applications"], dbs["reviews"], applications, tasks, open_share=0.02)
    results.queue = queue.listing(stack, seconds=mode.seconds, connections=2, workdir=workdir)


def steady_run(stack: Stack, dbs: dict[str, str], token: str, rate: float, mode: Mode, results: Results,
               profiled: bool) -> latency.Latencies:
    """Submissions at a steady `rate` (open loop), then every one's latency to its task and notification."""
    ids = seed.drafts(dbs["applications"], int(rate * mode.steady_seconds))
    log(f"event latency: {len(ids)} submissions at {rate:g}/s")
    sampling = profile.sampled(stack.processes, mode.steady_seconds) if profiled else nullcontext()
    with cpu.accounted(stack.processes) as used, sampling:
        failed, generator_cpu = latency.paced(stack.url, token, ids, rate)
        steady = latency.collect(dbs, ids, mode.drain_timeout)
    results.cpu[f"whole system at {rate:g}/s, until drained"] = per_request(used, steady.submitted)
    # a submission the generator saw fail was not submitted: `steady.failed` counts it already
    return latency.Latencies(steady.task_ms, steady.notification_ms, steady.submitted, max(steady.failed, failed),
                             generator_cpu)


def per_request(used: dict[str, float], requests: int) -> dict[str, float]:
    """CPU milliseconds per request, by process group."""
    return {group: 1000 * seconds / max(1, requests) for group, seconds in used.items()}


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="small and quick: proves the harness works")
    parser.add_argument("--profile", action="store_true",
                        help="sample every process with py-spy during the steady run (var/bench/profiles/)")
    parser.add_argument("--out", type=Path, default=None,
                        help="where to write the table (default: docs/benchmarks.md; --smoke: not written)")
    args = parser.parse_args()
    mode = "smoke" if args.smoke else "full"
    out = args.out or (None if args.smoke else ROOT / "docs" / "benchmarks.md")
    workdir = ROOT / "var" / "bench" / "last-run"  # the processes' logs stay here for a look afterwards
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    results = run(mode, workdir, args.profile)
    print(render(results))
    if out is not None:
        write(out, results)
        log(f"written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
