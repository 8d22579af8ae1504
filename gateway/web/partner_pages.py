"""The partner's answer page: /partner/nominations/<token>, the address in the e-mail to a partner's contact when
the ICD nominates a student (services/placements, nomination.link_issued). No sign-in: the signed token is the
credential, for one nomination, once, until it expires.

The page shows that nomination only (the student's name, the program, the partner, the term) and a form to
approve or reject it, with a comment and an optional acceptance letter (a PDF: the service judges the content). A
used, expired or tampered link, or a nomination no longer waiting, gets a page saying which, in words. As on
/verify/<token>, the gateway asks the placements service under its own identity (the reader has none), every
request is rate-limited per address (MOBILITY_RATE_LIMIT_VERIFY's limit, its own counter), and the page is never
cached nor sent on as a Referer. The form carries the CSRF token as every page form does.

The API route (/api/v1/partner-answers) has no gateway forwarding prefix on purpose: the page is the only way
in, so the token is only ever presented where it is rate-limited and the answer is only ever posted with CSRF.

The page's words are in the catalog like every page's: English msgids (a partner abroad reads English) and their
Chinese translation; the page follows the browser's language or the chosen one.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.exceptions import BadGateway, GatewayTimeout
from wtforms import RadioField, TextAreaField
from wtforms.validators import Length

from chassis.tokens import Identity
from gateway import forwarding
from gateway.web.security import csrf
from gateway.web.services import ServiceDown

bp = Blueprint("web_partner", __name__)
bp.before_request(csrf.protect)

TOKEN = re.compile(r"^[A-Za-z0-9_.-]{20,400}$")  # itsdangerous' URL-safe alphabet and its dots
PARTNER_PAGE = Identity(username="gateway:partner-answers", roles=[{"role": "partner_page", "school": None}],
                        name="partner answer page")
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Robots-Tag": "noindex, nofollow"}
REFUSED = {"tampered": 404, "expired": 410, "used": 409, "closed": 409}

# The refused pages' words, by the reason the service answers with: a headline and what to do next. The words
# live in the catalog like every page's (msgids in English, which a partner abroad reads; zh translated).
REASONS = {
    "tampered": (_l("This link is not valid"),
                 _l("Check that the address is the whole one from the e-mail. If it is, ask the International "
                    "Cooperation Department for a new link.")),
    "expired": (_l("This link has expired"),
                _l("Ask the International Cooperation Department for a new link, or answer them by e-mail.")),
    "used": (_l("This link was used already"),
             _l("The answer to this nomination was recorded; a link answers once. To change it, write to the "
                "International Cooperation Department.")),
    "closed": (_l("This nomination no longer waits for an answer"),
               _l("It was answered through the office or withdrawn. Nothing more is needed.")),
}


class AnswerForm(FlaskForm):
    decision = RadioField(choices=[("approve", "approve"), ("reject", "reject")], validate_choice=False)
    comment = TextAreaField(validators=[Length(max=2000)], render_kw={"rows": 4})
    letter = FileField()


def _call(method: str, token: str, headers: dict[str, str] | None = None, body: bytes = b"") -> tuple[int, Any]:
    try:
        upstream = forwarding.call("placements", PARTNER_PAGE, method, f"/api/v1/partner-answers/{token}",
                                   headers=headers, body=body)
    except (BadGateway, GatewayTimeout) as exc:
        raise ServiceDown("placements") from exc
    if upstream.status >= 500:
        raise ServiceDown("placements")
    return upstream.status, (json.loads(upstream.body) if upstream.body else {})


def _page(template: str, status: int, **context: Any) -> Response:
    body = render_template(template, **context)
    return Response(body, status=status, mimetype="text/html", headers=PRIVATE)


def _refused(reason: str) -> Response:
    reason = reason if reason in REFUSED else "tampered"
    headline, more = REASONS[reason]
    return _page("partner_refused.html", REFUSED[reason], reason=reason, headline=headline, more=more)


def _multipart(form: AnswerForm) -> tuple[bytes, str]:
    from urllib3 import encode_multipart_formdata

    fields: dict[str, Any] = {"decision": form.decision.data, "comment": form.comment.data or ""}
    upload = form.letter.data
    if upload is not None and getattr(upload, "filename", ""):
        fields["letter"] = (upload.filename, upload.read(), upload.mimetype or "application/octet-stream")
    return encode_multipart_formdata(fields)


@bp.route("/partner/nominations/<token>", methods=["GET", "POST"])
def answer(token: str) -> Response:
    current_app.extensions["gateway"].ratelimits.hit("verify", f"partner:{request.remote_addr or '-'}")
    if not TOKEN.match(token):
        return _refused("tampered")
    status, summary = _call("GET", token)
    if status != 200:
        return _refused(str(summary.get("reason") or "tampered"))
    form, errors = AnswerForm(), {}
    if request.method == "POST" and form.validate():
        if form.decision.data not in ("approve", "reject"):
            errors["decision"] = _("Choose whether you accept the nomination.")
        else:
            body, content_type = _multipart(form)
            status, reply = _call("POST", token, {"Content-Type": content_type}, body)
            if status == 200:
                return _page("partner_answer.html", 200, summary=reply, form=form, done=form.decision.data,
                             errors={})
            if status in (413, 415):
                errors["letter"] = (_("The file is too large.") if status == 413
                                    else _("The acceptance letter must be a PDF file."))
            elif status in (404, 409, 410):
                return _refused(str(reply.get("reason") or "tampered"))
            else:
                errors["form"] = str(reply.get("detail") or reply.get("title") or "")
    elif request.method == "POST":
        errors.update({name: "; ".join(map(str, messages)) for name, messages in form.errors.items()})
    return _page("partner_answer.html", 422 if errors else 200, summary=summary, form=form, done=None,
                 errors=errors)
