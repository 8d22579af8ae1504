"""/api/v1/partner-answers/{token}: the partner's answer through the signed link e-mailed to its contact. No
account: the token alone opens its one nomination, once, until it expires (partner_links.py).

GET shows that nomination's summary (the student's name, the program, the partner, the term; nothing of other
students). POST (multipart form: `decision` approve|reject, optional `comment`, optional `letter`, a PDF judged by
its content) records the answer and uses the link up. A refused link is a problem+json whose `reason` says which
(tampered 404, expired 410, used 409, closed 409), so the partner's page can say it in words.

Not exposed to API clients through the gateway (no forwarding prefix): the gateway's public page
/partner/nominations/<token> calls it under its own identity (role `partner_page`, the only identity admitted
here: any other user of ours gets 403), rate-limited, with CSRF on its form. The signature's own time stamp is held
to settings `partner_link_days` as a backstop to the row's `link_expires_at`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Response, request
from flask.views import MethodView
from flask_smorest import abort

from chassis import uploads
from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from chassis.errors import problem
from services.placements import nominations, partner_links
from services.placements.nominations_schemas import PartnerAnswerIn, PartnerSummary

blp = Blueprint("partner_api", __name__, url_prefix="/api/v1/partner-answers",
                description="A partner's answer to a nomination, through its signed link")
TOKEN = {"in": "path", "name": "token", "schema": {"type": "string"}}
STATUS = {"tampered": 404, "expired": 410, "used": 409, "closed": 409}
PDF = "application/pdf"
ANSWER_BODY = {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "required": ["decision"], "additionalProperties": False,
    "properties": {"decision": {"enum": ["approve", "reject"]}, "comment": {"type": "string", "maxLength": 2000},
                   "letter": {"type": "string", "format": "binary",
                              "description": "the acceptance letter: a PDF, recognised by its content"}}}}}}


def directory() -> Path:
    return ctx().settings.documents_dir / "nomination-letters"


def _keyring() -> list[str]:
    return partner_links.load_secrets(partner_links.keys_file(ctx().settings))


PAGE_ROLE = "partner_page"  # the gateway's partner page (gateway/web/partner_pages.py PARTNER_PAGE)


def _from_the_page() -> None:
    if not any(r.get("role") == PAGE_ROLE for r in current_identity().roles):
        abort(403, message="Only the gateway's partner answer page calls this.")


def _max_age() -> int:
    return partner_links.link_days(ctx().settings) * 86400


def _refused(exc: partner_links.LinkRefused) -> Response:
    response = problem(STATUS[exc.reason], "Link refused", str(exc), reason=exc.reason)
    response.headers["Cache-Control"] = "no-store"
    return response


def _store_letter(file_id: str) -> nominations.Letter | None:
    upload = request.files.get("letter")
    if upload is None or not upload.filename:
        return None
    try:
        stored = uploads.store(upload.stream, directory(), file_id, ctx().settings.max_upload_bytes)
    except uploads.TooLarge as exc:
        abort(413, message=str(exc))
    except uploads.UnsupportedType:
        abort(415, message="The acceptance letter must be a PDF (judged by its content).")
    if stored.content_type != PDF:  # uploads takes images too; a letter is a PDF only
        uploads.remove(directory(), file_id)
        abort(415, message="The acceptance letter must be a PDF (judged by its content).")
    return nominations.Letter(file_id, uploads.clean_filename(upload.filename, PDF, "acceptance-letter"), PDF,
                              stored.size, stored.sha256)


@blp.route("/<string:token>", parameters=[TOKEN])
class PartnerAnswer(MethodView):
    @blp.response(200, PartnerSummary)
    @blp.alt_response(404, description="a link not made here (tampered)")
    @blp.alt_response(410, description="an expired link")
    def get(self, token: str) -> Any:
        """The one nomination the link opens, while it may still be answered."""
        _from_the_page()
        with ctx().sessions() as session:
            try:
                nomination = nominations.by_link(session, _keyring(), token, datetime.now(UTC),
                                                 max_age_seconds=_max_age())
            except partner_links.LinkRefused as exc:
                return _refused(exc)
            return nominations.partner_summary(session, nomination), {"Cache-Control": "no-store"}

    @blp.arguments(PartnerAnswerIn, location="form", content_type="multipart/form-data")
    @blp.doc(requestBody=ANSWER_BODY)
    @blp.response(200, PartnerSummary)
    @blp.alt_response(409, description="a link used already, or a nomination no longer waiting")
    def post(self, form: dict[str, Any], token: str) -> Any:
        """The partner's answer: approve or reject, a comment, and an acceptance letter (PDF) if it has one."""
        _from_the_page()
        keyring, now, file_id = _keyring(), datetime.now(UTC), str(uuid.uuid4())
        with ctx().sessions() as session:
            try:  # a refused link stores nothing: checked before the upload is read
                nominations.by_link(session, keyring, token, now, max_age_seconds=_max_age())
            except partner_links.LinkRefused as exc:
                return _refused(exc)
        letter = _store_letter(file_id)
        try:
            with ctx().sessions() as session, session.begin():
                nomination = nominations.answer_by_link(session, keyring, token, form["decision"] == "approve",
                                                        form.get("comment"), now, letter, _max_age())
                return nominations.partner_summary(session, nomination), {"Cache-Control": "no-store"}
        except partner_links.LinkRefused as exc:  # used in between by a second click: nothing kept
            uploads.remove(directory(), file_id)
            return _refused(exc)
        except BaseException:
            uploads.remove(directory(), file_id)  # no file without its row
            raise
