"""Uploaded files, for every service that takes them: type decided by content, stored under a generated id with
its sha256, never under the uploader's file name (kept, cleaned, only for the download's Content-Disposition)."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import filetype
import structlog
from flask import Response, send_file
from flask_smorest import abort

log = structlog.get_logger(__name__)
ALLOWED = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


class TooLarge(Exception):
    """The file is over the size cap (HTTP 413)."""


class UnsupportedType(Exception):
    """The content is not PDF, PNG or JPEG, whatever its name says (HTTP 415)."""


@dataclass(frozen=True)
class Stored:
    content_type: str
    size: int
    sha256: str


def clean_filename(name: str | None, content_type: str, fallback: str) -> str:
    """The last path segment, without control or format characters (NUL, CR, LF, right-to-left overrides),
    ending in the extension of the type its content has: a PDF named evil.html downloads as evil.pdf."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in _UNSAFE.sub("", base) if unicodedata.category(c) != "Cf").strip().strip(".")
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return (stem[:190] or fallback) + ALLOWED[content_type]


def store(stream: IO[bytes], directory: Path, document_id: str, max_bytes: int) -> Stored:
    """Copy the upload to `directory/<document_id>` if it is small enough and really PDF, PNG or JPEG."""
    directory.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as tmp:
            while chunk := stream.read(1024 * 1024):
                size += len(chunk)
                if size > max_bytes:
                    raise TooLarge(f"The file is larger than the {max_bytes / (1024 * 1024):g} MiB allowed.")
                if len(head) < 512:
                    head += chunk[: 512 - len(head)]
                digest.update(chunk)
                tmp.write(chunk)
        kind = filetype.guess(head)
        if kind is None or kind.mime not in ALLOWED:
            raise UnsupportedType("Only PDF, PNG and JPEG files are accepted (judged by their content).")
        os.replace(tmp_name, directory / document_id)
        return Stored(content_type=kind.mime, size=size, sha256=digest.hexdigest())
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def path_of(directory: Path, document_id: str) -> Path:
    return directory / document_id


def remove(directory: Path, document_id: str) -> None:
    (directory / document_id).unlink(missing_ok=True)


def attachment(directory: Path, file_id: str, content_type: str, filename: str, missing: str) -> Response:
    """The stored file as a download: an attachment, never sniffed, cached nowhere, sandboxed if opened. A row
    whose file is gone is logged for the office and answered 404 with `missing`."""
    path = path_of(directory, file_id)
    if not path.is_file():
        log.error("uploads.file_missing", file=file_id, path=str(path))
        abort(404, message=missing)
    response = send_file(path, mimetype=content_type, as_attachment=True, download_name=filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
