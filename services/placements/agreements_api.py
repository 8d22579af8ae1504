"""/api/v1/agreements: the office's register of agreements with partners (list with filters, create, read, change
with its version), the signed scan (PDF by content, served as an attachment) and the EWP IIA-shaped export.

The ICD and admins write; every member of staff reads (access.py); anyone else is refused (403). The rules of a
valid agreement and of its status are agreements.py's; each change is announced as agreement.saved.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import request
from flask.views import MethodView
from flask_smorest import abort
from marshmallow import Schema
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from chassis import cursors, uploads
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.tracing import correlation_id
from services.placements import access, agreement_files, agreements, ewp
from services.placements.agreements_schemas import (
    AgreementIn,
    AgreementOut,
    AgreementPage,
    AgreementPatch,
    AgreementQuery,
    ExportQuery,
)
from services.placements.errors import PlacementError
from services.placements.events import announce
from services.placements.models import Agreement, AgreementTerm

blp = Blueprint("agreements_api", __name__, url_prefix="/api/v1/agreements",
                description="The agreements with partners")
AGREEMENT = {"in": "path", "name": "agreement_id", "schema": {"type": "string", "format": "uuid"}}
UPLOAD_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file"], "additionalProperties": False,
    "properties": {"file": {"type": "string", "format": "binary",
                            "description": "the signed agreement: a PDF, recognised by its content; size-capped"}}}}}}


class NoFields(Schema):
    """The upload's form takes the file alone."""


def _may_read() -> None:
    if not access.can_read_agreements(current_identity()):
        abort(403, message="Only staff read the agreements with partners.")


def _may_write() -> None:
    if not access.can_write_agreements(current_identity()):
        abort(403, message="Only the ICD and admins keep the agreements with partners.")


def _today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo(ctx().settings.timezone)).date()


def _load(session: Session, agreement_id: Any, lock: bool = False) -> Agreement:
    agreement = session.get(Agreement, str(agreement_id), with_for_update=lock or None)
    if agreement is None:
        abort(404, message="No such agreement.")
    return agreement


def _terms(session: Session, agreement_id: str) -> list[AgreementTerm]:
    return list(session.scalars(select(AgreementTerm).where(AgreementTerm.agreement_id == agreement_id)
                                .order_by(AgreementTerm.id)))


def _shown(session: Session, agreement: Agreement) -> tuple[dict[str, Any], dict[str, str]]:
    return agreements.shown(agreement, _terms(session, agreement.id)), {"ETag": f'"{agreement.version}"'}


def _replace_terms(session: Session, agreement: Agreement, terms: list[dict[str, Any]]) -> None:
    for old in _terms(session, agreement.id):
        session.delete(old)
    session.flush()
    for term in terms:
        session.add(AgreementTerm(id=str(uuid.uuid4()), agreement_id=agreement.id,
                                  **{name: term[name] for name in agreements.TERM_FIELDS}))
    session.flush()


def _saved(session: Session, agreement: Agreement, change: str) -> None:
    announce(session, "agreement.saved", agreement.id,
             agreements.event_data(agreement, _terms(session, agreement.id), change), agreement.version,
             correlation_id())


def _refuse(found: dict[str, list[str]]) -> None:
    if found:
        raise PlacementError("The agreement is not valid as it stands.", status=422, errors=found)


def _filters(query: dict[str, Any], today: date) -> list[Any]:
    where: list[Any] = []
    if query.get("partner"):
        needle = query["partner"]
        where.append(or_(Agreement.partner_id == needle,
                         func.lower(Agreement.partner_name).contains(needle.lower(), autoescape=True)))
    for name in ("status", "type"):
        if query.get(name):
            where.append(getattr(Agreement, name) == query[name])
    if query.get("expiring_within") is not None:
        where.append(and_(Agreement.status == "signed", Agreement.valid_to >= today,
                          Agreement.valid_to <= today + timedelta(days=query["expiring_within"])))
    return where


@blp.route("")
class Agreements(MethodView):
    @blp.arguments(AgreementQuery, location="query")
    @blp.response(200, AgreementPage)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The agreements, most recently changed first, filtered; `next_cursor` continues the list."""
        _may_read()
        statement = select(Agreement).where(*_filters(query, _today()))
        if query.get("cursor"):
            at, last_id = cursors.decode(query["cursor"])
            statement = statement.where(or_(Agreement.updated_at < at,
                                            and_(Agreement.updated_at == at, Agreement.id < last_id)))
        statement = statement.order_by(Agreement.updated_at.desc(), Agreement.id.desc()).limit(query["limit"] + 1)
        with ctx().sessions() as session:
            rows = list(session.scalars(statement))
            page, more = rows[: query["limit"]], len(rows) > query["limit"]
            items = [agreements.shown(a, _terms(session, a.id)) for a in page]
        last = page[-1] if page else None
        return {"items": items, "next_cursor": cursors.encode(last.updated_at, last.id) if more and last else None}

    @blp.arguments(AgreementIn)
    @blp.response(201, AgreementOut)
    @blp.alt_response(422, description="a field or the agreement as a whole is not valid; nothing is stored")
    def post(self, body: dict[str, Any]) -> Any:
        """Enter an agreement (a draft, or signed with its dates) with its terms and contacts."""
        _may_write()
        _refuse(agreements.problems(body))
        now, who = datetime.now(UTC), current_identity().username
        with ctx().sessions() as session, session.begin():
            agreement = Agreement(id=str(uuid.uuid4()), created_by=who, created_at=now, updated_at=now, version=1,
                                  partner_id=str(body["partner_id"]) if body["partner_id"] else None,
                                  **{k: body[k] for k in agreements.CHANGEABLE if k != "partner_id"})
            session.add(agreement)
            session.flush()
            _replace_terms(session, agreement, body["terms"])
            _saved(session, agreement, "created")
            return _shown(session, agreement)


@blp.route("/export")
class Export(MethodView):
    @blp.arguments(ExportQuery, location="query")
    @blp.response(200, description="EWP IIAs v7 get-response as JSON (docs/integration/ewp-iia.schema.json)")
    def get(self, query: dict[str, Any]) -> Any:
        """Every agreement (or those of `status`) with EWP's element names; see docs/integration.md."""
        _may_read()
        statement = select(Agreement).order_by(Agreement.partner_name, Agreement.id)
        if query.get("status"):
            statement = statement.where(Agreement.status == query["status"])
        ours = ctx().settings.ewp_hei_id  # our SCHAC code once registered with the network
        with ctx().sessions() as session:
            found = [(a, _terms(session, a.id)) for a in session.scalars(statement)]
            return ewp.response(found, ours)


@blp.route("/<uuid:agreement_id>", parameters=[AGREEMENT])
class OneAgreement(MethodView):
    @blp.response(200, AgreementOut)
    def get(self, agreement_id: uuid.UUID) -> Any:
        _may_read()
        with ctx().sessions() as session:
            return _shown(session, _load(session, agreement_id))

    @blp.arguments(AgreementPatch)
    @blp.response(200, AgreementOut)
    @blp.alt_response(409, description="the version named is not the agreement's (stale), or none was named")
    @blp.alt_response(412, description="the If-Match version is not the agreement's (stale)")
    def patch(self, body: dict[str, Any], agreement_id: uuid.UUID) -> Any:
        """Change the agreement (terms and contacts are replaced as wholes), naming the version seen: an If-Match
        header (stale: 412) or a `version` field (stale: 409)."""
        _may_write()
        header = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"')
        seen = body.pop("version", None)
        with ctx().sessions() as session, session.begin():
            agreement = _load(session, agreement_id, lock=True)
            if header.isdigit():
                if int(header) != agreement.version:
                    raise PlacementError(f"The agreement changed since you saw it (If-Match {header}, it is now "
                                         f"version {agreement.version}); reload it and try again.", status=412)
            elif seen is None:
                raise PlacementError("Name the version you saw: an If-Match header or a \"version\" field.")
            elif seen != agreement.version:
                raise PlacementError(f"The agreement changed since you saw it (you saw version {seen}, it is now "
                                     f"version {agreement.version}); reload it and try again.")
            if "partner_id" in body:
                body["partner_id"] = str(body["partner_id"]) if body["partner_id"] else None
            values = {**{k: getattr(agreement, k) for k in agreements.CHANGEABLE}, **body}
            values["terms"] = body.get("terms", [agreements.term_json(t) for t in _terms(session, agreement.id)])
            _refuse(agreements.problems(values, current=agreement.status))
            for name in agreements.CHANGEABLE:
                if name in body:
                    setattr(agreement, name, body[name])
            if "terms" in body:
                _replace_terms(session, agreement, body["terms"])
            agreement.version += 1
            agreement.updated_at = datetime.now(UTC)
            _saved(session, agreement, "changed")
            return _shown(session, agreement)


@blp.route("/<uuid:agreement_id>/document", parameters=[AGREEMENT])
class Document(MethodView):
    @blp.arguments(NoFields, location="form", content_type="multipart/form-data")
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(200, AgreementOut)
    @blp.alt_response(413, description="larger than the upload cap")
    @blp.alt_response(415, description="not a PDF by its content")
    def put(self, _form: dict[str, Any], agreement_id: uuid.UUID) -> Any:
        """Keep the signed scan (a PDF, by content), replacing the one kept before."""
        _may_write()
        upload = request.files.get("file")
        if upload is None:
            abort(422, message="Attach the scan as multipart field 'file'.", errors={"file": ["Missing file."]})
        file_id, replaced = str(uuid.uuid4()), None
        try:
            with ctx().sessions() as session, session.begin():
                agreement = _load(session, agreement_id, lock=True)
                try:
                    stored = agreement_files.store(upload.stream, file_id)
                except uploads.TooLarge as exc:
                    abort(413, message=str(exc))
                except uploads.UnsupportedType as exc:
                    abort(415, message=str(exc))
                now = datetime.now(UTC)
                replaced = (agreement.document or {}).get("file_id")
                agreement.document = {
                    "file_id": file_id, "content_type": stored.content_type, "size": stored.size,
                    "sha256": stored.sha256, "uploaded_at": now.isoformat(), "uploaded_by": current_identity().username,
                    "filename": uploads.clean_filename(upload.filename, stored.content_type, "agreement")}
                agreement.version += 1
                agreement.updated_at = now
                _saved(session, agreement, "document")
                shown = _shown(session, agreement)
        except BaseException:
            agreement_files.remove(file_id)  # no file without its row
            raise
        if replaced:
            agreement_files.remove(replaced)  # the row names the new scan now: the old one is nobody's
        return shown

    @blp.response(200, description="the signed scan, as an attachment")
    def get(self, agreement_id: uuid.UUID) -> Any:
        _may_read()
        with ctx().sessions() as session:
            document = _load(session, agreement_id).document
        if not document:
            abort(404, message="No scan is kept for this agreement.")
        return uploads.attachment(agreement_files.directory(), document["file_id"], document["content_type"],
                                  document["filename"], "The scan is missing; the office has been told.")
