"""Where an agreement's signed scan is kept: the documents directory's `agreements/` folder, under a generated id
(chassis.uploads: size cap, sha256, type by content). A scan is a PDF only, judged by its content: a PNG or an HTML
page named scan.pdf is refused."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from chassis import uploads
from chassis.app import ctx

PDF = "application/pdf"


def directory() -> Path:
    return ctx().settings.documents_dir / "agreements"


def store(stream: IO[bytes], file_id: str) -> uploads.Stored:
    """The scan stored under `file_id`; uploads.TooLarge or uploads.UnsupportedType (and nothing kept) otherwise."""
    stored = uploads.store(stream, directory(), file_id, ctx().settings.max_upload_bytes)
    if stored.content_type != PDF:  # uploads takes images too; a signed agreement is a PDF
        uploads.remove(directory(), file_id)
        raise uploads.UnsupportedType("Only a PDF is accepted as the signed agreement (judged by its content).")
    return stored


def remove(file_id: str) -> None:
    uploads.remove(directory(), file_id)
