"""chassis.memory: a process that asks for few malloc arenas gets no more than that, however many of its threads
allocate at once (glibc's malloc_info lists one <heap> per arena)."""

from __future__ import annotations

import platform
import subprocess
import sys
from pathlib import Path

import pytest

from chassis import memory

ROOT = Path(__file__).resolve().parents[2]

# Eight threads compress at once; zlib allocates with the interpreter lock released, so they contend for malloc.
ARENAS_AFTER_CONTENTION = """
import ctypes, ctypes.util, os, sys, tempfile, threading, zlib
from chassis import memory
if sys.argv[1] == "few":
    memory.few_arenas()
data = os.urandom(1 << 20)
threads = [threading.Thread(target=lambda: [zlib.compress(data, 1) for _ in range(6)]) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.fdopen.restype = ctypes.c_void_p
fd, path = tempfile.mkstemp()
out = ctypes.c_void_p(libc.fdopen(fd, b"w"))
libc.malloc_info(0, out)
libc.fflush(out)
print(open(path).read().count("<heap nr="))
os.remove(path)
"""


def _arenas(mode: str) -> int:
    done = subprocess.run([sys.executable, "-c", ARENAS_AFTER_CONTENTION, mode], cwd=ROOT, check=True,
                          capture_output=True, text=True, timeout=120)
    return int(done.stdout.strip())


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt and malloc_info are glibc's")
def test_threads_that_allocate_at_once_share_few_arenas() -> None:
    assert _arenas("default") > memory.ARENAS  # the contention is real: glibc would give them more
    assert _arenas("few") <= memory.ARENAS
