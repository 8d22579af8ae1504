"""Webhook subscriptions (/api/v1/subscriptions): create, change, pause, the delivery log, a ping.

Admins manage all of them; a registered client system (a token with the `client_system` role; the
gateway's client-credentials grant that issues them comes with the Gateway issue) manages only its own.
Anyone else's subscription is "not found".
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from chassis.app import ctx
from chassis.auth import current_identity
from chassis.blueprint import Blueprint
from eventbus import envelope
from services.notifications import webhooks
from services.notifications.models import Delivery, Subscription
from services.notifications.schemas import (
    DeliveryOut,
    PingOut,
    SubscriptionCreated,
    SubscriptionIn,
    SubscriptionOut,
    SubscriptionPatch,
)

blp = Blueprint("subscriptions", __name__, url_prefix="/api/v1/subscriptions", description="Webhooks")


def _admin() -> None:
    """Function-level check: admins and registered client systems only."""
    identity = current_identity()
    if not (identity.has_role("admin") or identity.has_role("client_system")):
        abort(403, message="Only admins and registered client systems manage webhook subscriptions.")


def _sees_all() -> bool:
    return current_identity().has_role("admin")


def _target(url: str) -> None:
    try:
        webhooks.check_target(url, ctx().settings.webhooks_allow_private)
    except webhooks.TargetRefused as exc:
        abort(422, message=str(exc), errors={"url": [str(exc)]})


def _load(session: Any, subscription_id: str) -> Subscription:
    sub = session.get(Subscription, str(subscription_id))
    if sub is None or not (_sees_all() or sub.created_by == current_identity().username):
        abort(404, message="No such subscription.")
    return sub


@blp.route("")
class Subscriptions(MethodView):
    @blp.response(200, SubscriptionOut(many=True))
    def get(self) -> list[Subscription]:
        _admin()
        query = select(Subscription).order_by(Subscription.created_at)
        if not _sees_all():
            query = query.where(Subscription.created_by == current_identity().username)
        with ctx().sessions() as session:
            return list(session.scalars(query))

    @blp.arguments(SubscriptionIn)
    @blp.response(201, SubscriptionCreated)
    def post(self, body: dict[str, Any]) -> Subscription:
        _admin()
        _target(body["url"])
        secret = body.get("secret") or "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
        sub = Subscription(id=str(uuid.uuid4()), url=body["url"], patterns=body["patterns"], secret=secret,
                           active=True, consecutive_failures=0, created_by=current_identity().username,
                           created_at=datetime.now(UTC))
        with ctx().sessions() as session, session.begin():
            session.add(sub)
        return sub


@blp.route("/<uuid:subscription_id>")
class SubscriptionItem(MethodView):
    @blp.response(200, SubscriptionOut)
    def get(self, subscription_id: str) -> Subscription:
        _admin()
        with ctx().sessions() as session:
            return _load(session, subscription_id)

    @blp.arguments(SubscriptionPatch)
    @blp.response(200, SubscriptionOut)
    def patch(self, body: dict[str, Any], subscription_id: str) -> Subscription:
        """Change the URL or patterns, pause (active=false) or re-enable (active=true, failures reset)."""
        _admin()
        if "url" in body:
            _target(body["url"])
        with ctx().sessions() as session, session.begin():
            sub = _load(session, subscription_id)
            for name, value in body.items():
                setattr(sub, name, value)
            if body.get("active"):
                sub.consecutive_failures, sub.disabled_at = 0, None
        return sub

    @blp.response(204)
    def delete(self, subscription_id: str) -> None:
        _admin()
        with ctx().sessions() as session, session.begin():
            session.delete(_load(session, subscription_id))


@blp.route("/<uuid:subscription_id>/deliveries")
class Deliveries(MethodView):
    @blp.response(200, DeliveryOut(many=True))
    def get(self, subscription_id: str) -> list[Delivery]:
        """The delivery log, newest first."""
        _admin()
        with ctx().sessions() as session:
            _load(session, subscription_id)
            query = select(Delivery).where(Delivery.subscription_id == str(subscription_id))
            return list(session.scalars(query.order_by(Delivery.created_at.desc()).limit(200)))


@blp.route("/<uuid:subscription_id>/ping")
class Ping(MethodView):
    @blp.response(200, PingOut)
    def post(self, subscription_id: str) -> webhooks.Attempt:
        """Send a signed `mobility.ping` CloudEvent now and report the receiver's answer."""
        _admin()
        with ctx().sessions() as session:
            sub = _load(session, subscription_id)
        ping = envelope.new_event("mobility.ping", "/services/notifications", sub.id, {"subscription_id": sub.id})
        return webhooks.send(sub.url, sub.secret, ping.get_id(), envelope.to_json(ping).decode(),
                             ctx().settings.webhooks_allow_private)
