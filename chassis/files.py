"""Small files that several processes share (key files, the session secret): written whole or not at all."""

from __future__ import annotations

import os
import threading
from pathlib import Path


def _temporary(path: Path, data: bytes, mode: int) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    return tmp


def create_once(path: Path, data: bytes, mode: int = 0o600) -> None:
    """Write `path` unless it exists. When processes race, the first one wins and the others keep its file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _temporary(path, data, mode)
    try:
        os.link(tmp, path)  # atomic, and fails if another process got there first
    except FileExistsError:
        pass
    finally:
        tmp.unlink()


def replace(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path`: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(_temporary(path, data, mode), path)
