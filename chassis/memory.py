"""Giving large freed blocks back to the operating system.

glibc serves a large malloc with mmap and unmaps it on free, but after the first such free it raises its
threshold to that size, so later blocks of the same size come from the heap and stay in the process's RSS
after they are freed. Argon2id's 19 MiB per login did that: each gateway thread kept one, and a worker grew
from 92 to 133 MB after a few logins. A fixed threshold turns the adjustment off.

glibc also gives each thread that allocates while another holds the heap an arena of its own, up to eight per
core, and each keeps its freed memory. A worker's threads (consumer, relay, sender, dispatcher, sweeps) allocate
at once all day; two arenas are enough for threads that take turns holding the interpreter lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util

M_MMAP_THRESHOLD = -3  # from malloc.h
M_ARENA_MAX = -8
THRESHOLD = 1024 * 1024
ARENAS = 2


def return_large_blocks() -> bool:
    """Blocks of THRESHOLD bytes or more are mmapped and unmapped on free. False where libc is not glibc."""
    return _mallopt(M_MMAP_THRESHOLD, THRESHOLD)


def few_arenas() -> bool:
    """At most ARENAS malloc arenas for the process's threads; call it before they start. False where libc is not
    glibc."""
    return _mallopt(M_ARENA_MAX, ARENAS)


def _mallopt(option: int, value: int) -> bool:
    name = ctypes.util.find_library("c")
    if not name:
        return False
    try:
        mallopt = ctypes.CDLL(name).mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(option, value))
