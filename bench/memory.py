"""Peak resident memory of every process of the system, sampled in the background while the load runs."""

from __future__ import annotations

import threading
from collections.abc import Callable

import psutil


class PeakRss:
    def __init__(self, processes: Callable[[], dict[int, str]], interval: float = 0.25) -> None:
        self._processes = processes
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="peak-rss", daemon=True)
        self.peaks: dict[str, int] = {}  # process name -> bytes

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)

    def sample(self) -> None:
        for pid, name in self._processes().items():
            try:
                rss = psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
            self.peaks[name] = max(self.peaks.get(name, 0), rss)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()
