"""What every request used to build and now builds once: the argument schemas of every API, a kind's form schema, the
gateway's cookie signer. Each is shared by every request and thread, so each test also shows that sharing it leaks
nothing from one request into the next."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import pytest
from flask import Flask, session
from flask.views import MethodView
from flask_smorest import Api
from marshmallow import Schema, fields

from chassis.blueprint import Blueprint
from gateway.web.security import SignedCookies
from services.applications import domain, kinds


def _counted() -> type[Schema]:
    """A schema class of its own for each test run (the parser keeps one instance per class for the process),
    counting the instances made of it."""

    class Counted(Schema):
        built: ClassVar[int] = 0
        name = fields.String(required=True)
        note = fields.String(load_default=None)

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            type(self).built += 1
            super().__init__(*args, **kwargs)

    return Counted


def _api(schema: type[Schema]) -> Flask:
    app = Flask(__name__)
    app.config.update(API_TITLE="t", API_VERSION="v1", OPENAPI_VERSION="3.1.0")
    blp = Blueprint("echo", __name__, url_prefix="/echo")

    @blp.route("")
    class Echo(MethodView):
        @blp.arguments(schema)
        def post(self, body: dict[str, Any]) -> dict[str, Any]:
            return body

    Api(app).register_blueprint(blp)
    return app


def test_an_argument_schema_is_built_once_and_each_request_gets_its_own_data() -> None:
    counted = _counted()
    client = _api(counted).test_client()
    made_for_the_api_document = counted.built  # type: ignore[attr-defined]
    first = client.post("/echo", json={"name": "Wang", "note": "first"})
    second = client.post("/echo", json={"name": "Li"})
    refused = client.post("/echo", json={"note": "no name"})
    assert (first.status_code, first.json) == (200, {"name": "Wang", "note": "first"})
    assert (second.status_code, second.json) == (200, {"name": "Li", "note": None})  # nothing kept from the first
    assert refused.status_code == 422 and "name" in refused.json["errors"]["json"]
    assert counted.built == made_for_the_api_document + 1  # type: ignore[attr-defined]  # one for every request


def test_a_kind_builds_its_form_schema_once() -> None:
    kind = kinds.get("hosted_event")
    assert kind.schema is kind.schema and isinstance(kind.schema, kind.form)
    assert kind.has_period is (kinds.PERIOD_FIELDS <= set(kind.form().fields))
    # the shared schema tells each form its own errors: nothing of one load is left for the next
    with pytest.raises(domain.FormInvalid) as empty:
        domain.validate_form(kind, {}, None, date(2030, 1, 1), complete=True)
    with pytest.raises(domain.FormInvalid) as titled:
        domain.validate_form(kind, {"title": "Delegation from TU Berlin"}, None, date(2030, 1, 1), complete=True)
    assert "title" in empty.value.errors and "title" not in titled.value.errors


def test_the_cookie_signer_is_made_once_per_key_and_a_new_key_refuses_the_old_cookies() -> None:
    app = Flask(__name__)
    app.secret_key = "first key"
    app.session_interface = SignedCookies()

    @app.get("/set")
    def set_() -> str:
        session["sid"] = "abc"
        return "ok"

    @app.get("/get")
    def get() -> str:
        return str(session.get("sid"))

    signer = app.session_interface.get_signing_serializer(app)
    assert app.session_interface.get_signing_serializer(app) is signer
    client = app.test_client()
    client.get("/set")
    assert client.get("/get").text == "abc"
    app.secret_key = "second key"  # rotated: the cookie signed with the first key is not honoured
    assert app.session_interface.get_signing_serializer(app) is not signer
    assert client.get("/get").text == "None"
