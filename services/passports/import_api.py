"""POST /api/v1/passports/import: the office's existing list of passports from CSV (the clerk), all or nothing.
The parsing and checks are import_csv.py's; here the register is locked, its numbers compared, the rows entered and
the import audited (a count, never a number)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from services.passports import audit, import_csv, register
from services.passports.errors import PassportError
from services.passports.models import TYPES
from services.passports.register_api import clerk_only
from services.passports.schemas import ImportOut

blp = Blueprint("import_api", __name__, url_prefix="/api/v1", description="The register from the office's CSV list")
MAX_CSV_BYTES = 1024 * 1024
CSV_BODY = {"content": {
    "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}},
    "text/csv": {"schema": {"type": "string"}}},
    "description": "the list as CSV (UTF-8, with or without BOM), header "
                   "holder_name,staff_number,username,school,type,number,issued_on,expires_on,kept_at"}


def _uploaded() -> bytes:
    """The CSV file: the multipart part `file`, or the body (text/csv)."""
    if (request.content_length or 0) > MAX_CSV_BYTES + 64 * 1024:
        abort(413, message=f"The file is larger than {MAX_CSV_BYTES // 1024} KB.")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="No file.", errors={"file": ["Choose the CSV file to import."]})
        content: bytes = upload.stream.read(MAX_CSV_BYTES + 1)  # type: ignore[union-attr]
    else:
        content = request.get_data()
    if len(content) > MAX_CSV_BYTES:
        abort(413, message=f"The file is larger than {MAX_CSV_BYTES // 1024} KB.")
    return content


@blp.route("/passports/import")
class PassportsImport(MethodView):
    @blp.doc(requestBody=CSV_BODY)
    @blp.response(201, ImportOut)
    @blp.alt_response(422, description="nothing was saved: `errors` lists [{line, field, message}] for every bad "
                      "line (the header is line 1)")
    @blp.alt_response(413, description="the file is larger than 1 MB")
    def post(self) -> dict[str, Any]:
        """Enter the office's list of passports (the clerk): every line or none."""
        clerk_only()
        content = _uploaded()
        try:
            text = import_csv.text_of(content)
        except import_csv.NotText as exc:
            raise PassportError(str(exc), 422, [{"line": 1, "field": "file", "message": str(exc)}]) from None
        actor, now = current_identity().username, datetime.now(UTC)
        with ctx().sessions() as session, session.begin():
            register.lock_register(session)
            ring = register.keyring()
            existing = {(type_, number) for type_ in TYPES for number in register.numbers_of_type(session, ring, type_)}
            parsed = import_csv.parse(text, existing)
            if parsed.errors:
                lines = len({e["line"] for e in parsed.errors})
                raise PassportError(f"{lines} line(s) of the file have errors; nothing was imported.", 422,
                                    parsed.errors)
            on = register.today()
            entered = [register.new_passport(ring, row, row["number"], now, on) for row in parsed.rows]
            session.add_all(entered)
            audit.record(session, actor, "imported", None, count=len(entered))
        # a passport already past its expiry date is entered `expired` (kept on the register, never lent out)
        return {"created": len(entered), "expired": sum(p.status == "expired" for p in entered)}
