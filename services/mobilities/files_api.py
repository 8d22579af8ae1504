"""HTTP resources for a record's files (behind the gateway at /api/v1/mobilities/{id}/files): the host's arrival
confirmation and the transcript of records (students), a report's photos and an event's attendee list.

Upload: the owner or the office, multipart field `file` plus `file_type` (one the kind takes); PDF, PNG or JPEG by
content, size-capped, stored under a generated id. A student's transcript makes the stay reported. Download: whoever
may read the record, as an attachment with nosniff.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from chassis import uploads
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.mobilities import domain, reports
from services.mobilities.api import MOBILITY, load, load_for_action, shown
from services.mobilities.events import announce
from services.mobilities.kinds import journey
from services.mobilities.models import MobilityFile
from services.mobilities.schemas import MobilityOut

blp = Blueprint("mobility_files", __name__, url_prefix="/api/v1/mobilities", description="A mobility's files")
MAX_FILES = 40
# When each file type may be uploaded: the record's statuses.
WHEN = {"arrival_confirmation": ("departed",), "transcript": ("returned",), "photo": ("returned",),
        "attendee_list": ("returned",)}


class FileUpload(Schema):
    file_type = fields.String(required=True, validate=validate.OneOf(tuple(WHEN)))


UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "file_type"], "additionalProperties": False,
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "PDF, PNG or JPEG, recognised by its content; size-capped"},
                   "file_type": {"enum": list(WHEN)}}}}}}


def directory() -> Path:
    return ctx().settings.documents_dir / "mobilities"


@blp.route("/<uuid:mobility_id>/files", parameters=[MOBILITY])
class Files(MethodView):
    @blp.arguments(FileUpload, location="form", content_type="multipart/form-data")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, MobilityOut)
    def post(self, form: dict[str, Any], mobility_id: uuid.UUID) -> dict[str, Any]:
        """Upload one file of a type the kind takes, when the record is at that step."""
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Attach the file as multipart field 'file'.", errors={"file": ["Missing file."]})
        file_id = str(uuid.uuid4())
        try:
            return self._store(form["file_type"], mobility_id, upload, file_id)
        except BaseException:
            uploads.remove(directory(), file_id)  # no file without its row
            raise

    def _store(self, file_type: str, mobility_id: uuid.UUID, upload: Any, file_id: str) -> dict[str, Any]:
        settings, now = ctx().settings, datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            record = load_for_action(session, mobility_id)
            if file_type not in journey(record.kind).files:
                abort(422, message="This kind takes no such file.",
                      errors={"file_type": [f"One of: {', '.join(journey(record.kind).files) or 'none'}."]})
            if record.status not in WHEN[file_type]:
                raise domain.MobilityError(f"This mobility is '{record.status}': it takes no {file_type} now.")
            report = reports.of(session, record.id)
            if file_type in ("photo", "attendee_list") and report is not None and report.status not in (
                    "draft", "returned"):
                raise domain.MobilityError("The report was handed in: its files are fixed.")
            count = session.query(MobilityFile).filter(MobilityFile.mobility_id == record.id).count()
            if count >= MAX_FILES:
                raise domain.MobilityError(f"A mobility holds at most {MAX_FILES} files.")
            try:
                stored = uploads.store(upload.stream, directory(), file_id, settings.max_upload_bytes)
            except uploads.TooLarge as exc:
                abort(413, message=str(exc))
            except uploads.UnsupportedType as exc:  # an HTML page named photo.png: refused, not a 500
                abort(415, message=str(exc))
            session.add(MobilityFile(
                id=file_id, mobility_id=record.id, file_type=file_type,
                filename=uploads.clean_filename(upload.filename, stored.content_type, file_type),
                content_type=stored.content_type, size=stored.size, sha256=stored.sha256,
                uploaded_by=current_identity().username, created_at=now))
            record.updated_at = now
            if file_type == "transcript" and record.status == "returned":
                record.status = "reported"
                announce(session, "mobility.reported", record, correlation_id(), report={
                    "id": None, "due_on": None, "submitted_on": now.date().isoformat(), "on_time": True,
                    "published_until": None})
            session.flush()
            return shown(session, record)


@blp.route("/<uuid:mobility_id>/files/<uuid:file_id>", parameters=[MOBILITY])
class OneFile(MethodView):
    @blp.response(200, description="the file, as an attachment")
    def get(self, mobility_id: uuid.UUID, file_id: uuid.UUID) -> Any:
        with ctx().sessions() as session:
            record = load(session, mobility_id)
            stored = session.get(MobilityFile, str(file_id))
            if stored is None or stored.mobility_id != record.id:
                abort(404, message="No such file.")
        return uploads.attachment(directory(), stored.id, stored.content_type, stored.filename,
                                  "The file is missing; the office has been told.")
