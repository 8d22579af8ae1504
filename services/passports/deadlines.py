"""(placeholder: being written)"""

import threading


class Deadlines:
    def __init__(self, engine, interval, zone):  # type: ignore[no-untyped-def]
        pass

    def run(self, stop: threading.Event) -> None:
        stop.wait()
