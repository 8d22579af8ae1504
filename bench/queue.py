"""4. Reviewer queue: GET /api/v1/review-tasks (the first page, 50 tasks) through the gateway, with a
university's years of history in the databases (bench.seed.history), for a school coordinator and for the
ICD (the longest queue). Two connections, each asking again as soon as it has its answer: two reviewers
clicking without pause, more than an office does, without measuring only the queueing that a saturating
closed loop on two cores would add."""

from __future__ import annotations

from pathlib import Path

from bench.load import Load, wrk
from bench.stack import Stack

READERS = ("coord.cs", "icd.officer")


def listing(stack: Stack, *, seconds: float, connections: int, workdir: Path) -> dict[str, Load]:
    return {
        reader: wrk(stack.url, "GET", ["/api/v1/review-tasks"], seconds=seconds, connections=connections,
                    token=stack.token(reader), workdir=workdir)
        for reader in READERS
    }
