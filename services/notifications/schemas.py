"""Response schemas of the notifications service."""

from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, validate


class NotificationOut(Schema):
    id = fields.String(dump_only=True)
    event_type = fields.String(dump_only=True)
    subject = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    link = fields.String(dump_only=True, allow_none=True)
    created_at = fields.DateTime(dump_only=True)
    read_at = fields.DateTime(dump_only=True, allow_none=True)
    done_at = fields.DateTime(dump_only=True, allow_none=True, metadata={
        "description": "when the task it asked you to act on was decided (or its review ended): nothing to do"})


LOCALES = ("zh", "en")


class InboxQuery(Schema):
    # 100 by default: the inbox returned the newest 100 before it had pages, and a client that does not page
    # must not get fewer now.
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=200))
    cursor = fields.String(metadata={"description": "from the previous page's Link: rel=\"next\" header; one this "
                                                    "API did not give out is a 422"})
    unread = fields.Boolean(load_default=False, metadata={"description": "true: only the unread ones"})
    locale = fields.String(validate=validate.OneOf(LOCALES), metadata={
        "description": "the language to tell them in (else Accept-Language, else each as it was written)"})


class InboxOut(Schema):
    unread = fields.Integer(dump_only=True, metadata={"description": "all my unread notifications, on every page"})
    items = fields.List(fields.Nested(NotificationOut), dump_only=True)


class ReadAllOut(Schema):
    marked = fields.Integer(dump_only=True)


class FeedQuery(Schema):
    after = fields.String(metadata={"description": "next_cursor of the previous page; none: from the start"})
    type = fields.String(metadata={"description": "an event type, or a pattern such as application.*"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class FeedPage(Schema):
    items = fields.List(fields.Dict(), metadata={"description": "CloudEvents, as published"})
    next_cursor = fields.String(allow_none=True)


# A Standard Webhooks secret: whsec_ and base64 of 18 to 143 bytes (30 to 198 characters: it fits its column).
SECRET_PATTERN = r"^whsec_(?:[A-Za-z0-9+/]{4}){6,47}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
URL_MAX = 2000  # the column's size
URL_DOC = {"pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/?#]+(?:[/?#]\S*)?$",
           "description": "http(s) URL; its host must resolve to a public address"}


def _valid_secret(value: str) -> None:
    from services.notifications.webhooks import valid_secret

    if not re.fullmatch(SECRET_PATTERN, value) or not valid_secret(value):
        raise ValidationError("Use a Standard Webhooks secret: whsec_ followed by base64 (24 characters or more).")


class SubscriptionIn(Schema):
    url = fields.Url(required=True, schemes={"http", "https"}, require_tld=False,
                     validate=validate.Length(max=URL_MAX), metadata=URL_DOC)
    patterns = fields.List(fields.String(validate=validate.Regexp(r"^[a-z_.*]{1,120}\Z")), required=True,
                           validate=validate.Length(min=1, max=20),
                           metadata={"description": "event types or patterns such as application.*"})
    secret = fields.String(validate=_valid_secret, metadata={
        "description": "Standard Webhooks secret; generated when omitted",
        "pattern": SECRET_PATTERN, "minLength": 30, "maxLength": 198})


class SubscriptionPatch(Schema):
    url = fields.Url(schemes={"http", "https"}, require_tld=False, validate=validate.Length(max=URL_MAX),
                     metadata=URL_DOC)
    patterns = fields.List(fields.String(validate=validate.Regexp(r"^[a-z_.*]{1,120}\Z")),
                           validate=validate.Length(min=1, max=20))
    active = fields.Boolean()


class SubscriptionOut(Schema):
    id = fields.String()
    url = fields.String()
    patterns = fields.List(fields.String())
    active = fields.Boolean()
    consecutive_failures = fields.Integer()
    created_by = fields.String()
    created_at = fields.DateTime()
    disabled_at = fields.DateTime(allow_none=True)


class SubscriptionCreated(SubscriptionOut):
    secret = fields.String(metadata={"description": "shown once: keep it to verify signatures"})


class DeliveryOut(Schema):
    id = fields.String()
    event_id = fields.String()
    event_type = fields.String()
    status = fields.String()
    attempts = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    next_attempt_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)


class PingOut(Schema):
    outcome = fields.String()
    status_code = fields.Integer(allow_none=True)
    error = fields.String(allow_none=True)
