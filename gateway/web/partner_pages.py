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

The words are kept here in both languages (a partner abroad reads English; the page follows the browser's
language or the chosen one), beside the codes the service answers with.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask_babel import get_locale
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

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Nomination of an exchange student", "student": "Student", "program": "Programme",
        "partner": "Receiving institution", "term": "Term", "expires": "This link works until",
        "intro": "Our university nominates this student for an exchange at your institution. Please tell us "
                 "whether you accept the nomination. The link can be used once.",
        "decision": "Your answer", "approve": "Accept the nomination", "reject": "Decline the nomination",
        "comment": "Comment (optional)", "letter": "Acceptance letter (PDF, optional)", "send": "Send the answer",
        "done_approved": "Thank you: your acceptance was recorded.",
        "done_rejected": "Thank you: your answer was recorded. The nomination is declined.",
        "done_more": "The International Cooperation Department has been told. This link cannot be used again.",
        "tampered": "This link is not valid",
        "tampered_more": "Check that the address is the whole one from the e-mail. If it is, ask the International "
                         "Cooperation Department for a new link.",
        "expired": "This link has expired",
        "expired_more": "Ask the International Cooperation Department for a new link, or answer them by e-mail.",
        "used": "This link was used already",
        "used_more": "The answer to this nomination was recorded; a link answers once. To change it, write to the "
                     "International Cooperation Department.",
        "closed": "This nomination no longer waits for an answer",
        "closed_more": "It was answered through the office or withdrawn. Nothing more is needed.",
        "need_decision": "Choose whether you accept the nomination.",
        "not_pdf": "The acceptance letter must be a PDF file.", "too_large": "The file is too large.",
    },
    "zh": {
        "title": "交换学生提名", "student": "学生", "program": "项目", "partner": "接收院校", "term": "学期",
        "expires": "本链接有效期至",
        "intro": "我校提名该学生赴贵校交换学习。请告知贵校是否接受该提名。本链接仅可使用一次。",
        "decision": "您的答复", "approve": "接受提名", "reject": "不接受提名", "comment": "意见（可选）",
        "letter": "接收函（PDF，可选）", "send": "提交答复",
        "done_approved": "谢谢：已记录贵校接受该提名。",
        "done_rejected": "谢谢：已记录贵校的答复，该提名未被接受。",
        "done_more": "国际合作处已收到通知。本链接不能再次使用。",
        "tampered": "本链接无效",
        "tampered_more": "请确认地址与邮件中的完整地址一致。如一致，请向国际合作处索取新的链接。",
        "expired": "本链接已过期",
        "expired_more": "请向国际合作处索取新的链接，或通过电子邮件答复。",
        "used": "本链接已使用过",
        "used_more": "该提名的答复已记录，链接只能使用一次。如需更改，请联系国际合作处。",
        "closed": "该提名已无需答复",
        "closed_more": "该提名已由国际合作处记录答复或已撤回，无需再操作。",
        "need_decision": "请选择是否接受该提名。",
        "not_pdf": "接收函必须是 PDF 文件。", "too_large": "文件过大。",
    },
}


class AnswerForm(FlaskForm):
    decision = RadioField(choices=[("approve", "approve"), ("reject", "reject")], validate_choice=False)
    comment = TextAreaField(validators=[Length(max=2000)], render_kw={"rows": 4})
    letter = FileField()


def _words() -> dict[str, str]:
    return WORDS.get(str(get_locale() or "zh"), WORDS["zh"])


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
    body = render_template(template, words=_words(), **context)
    return Response(body, status=status, mimetype="text/html", headers=PRIVATE)


def _refused(reason: str) -> Response:
    reason = reason if reason in REFUSED else "tampered"
    return _page("partner_refused.html", REFUSED[reason], reason=reason)


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
            errors["decision"] = _words()["need_decision"]
        else:
            body, content_type = _multipart(form)
            status, reply = _call("POST", token, {"Content-Type": content_type}, body)
            if status == 200:
                return _page("partner_answer.html", 200, summary=reply, form=form, done=form.decision.data,
                             errors={})
            if status in (413, 415):
                errors["letter"] = _words()["too_large" if status == 413 else "not_pdf"]
            elif status in (404, 409, 410):
                return _refused(str(reply.get("reason") or "tampered"))
            else:
                errors["form"] = str(reply.get("detail") or reply.get("title") or "")
    elif request.method == "POST":
        errors.update({name: "; ".join(map(str, messages)) for name, messages in form.errors.items()})
    return _page("partner_answer.html", 422 if errors else 200, summary=summary, form=form, done=None,
                 errors=errors)
