"""The applications service called directly (as the gateway would), with tokens for the demo accounts."""

from __future__ import annotations

import copy
from io import BytesIO
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import text

from chassis.tokens import Identity, Signer
from gateway.demo import ACCOUNTS
from services.applications import kinds
from tests.support.api import PDF, example


class Api:
    def __init__(self, client: FlaskClient, signer: Signer, engine: Any) -> None:
        self.client, self.signer, self.engine = client, signer, engine

    def headers(self, user: str, version: int | None = None) -> dict[str, str]:
        name, school, locale, roles = ACCOUNTS[user]
        who = Identity(username=user, roles=roles, school=school, locale=locale, email=f"{user}@example.org",
                       name=name)
        headers = {"Authorization": f"Bearer {self.signer.sign(who, 'applications', 60)}"}
        if version is not None:
            headers["If-Match"] = f'"{version}"'
        return headers

    def call(self, user: str, method: str, path: str, version: int | None = None, **kwargs: Any) -> Any:
        return self.client.open(path, method=method, headers=self.headers(user, version), **kwargs)

    def create(self, user: str, kind: str, **form: Any) -> Any:
        body = copy.deepcopy(example(kind))
        body["form"].update(form)
        return self.call(user, "POST", "/api/v1/applications", json=body)

    def draft(self, user: str, kind: str, **form: Any) -> dict[str, Any]:
        r = self.create(user, kind, **form)
        assert r.status_code == 201, r.json
        return r.json  # type: ignore[no-any-return]

    def upload(self, user: str, app_id: str, doc_type: str, content: bytes = PDF, name: str = "a.pdf") -> Any:
        return self.call(user, "POST", f"/api/v1/applications/{app_id}/documents",
                         data={"doc_type": doc_type, "file": (BytesIO(content), name)},
                         content_type="multipart/form-data")

    def ready(self, user: str, kind: str, **form: Any) -> dict[str, Any]:
        application = self.draft(user, kind, **form)
        for doc_type in kinds.get(kind).required_documents:
            assert self.upload(user, application["id"], doc_type).status_code == 201
        return application

    def submit(self, user: str, application: dict[str, Any], version: int | None = None) -> Any:
        v = application["version"] if version is None else version
        return self.call(user, "POST", f"/api/v1/applications/{application['id']}/submit", version=v)

    def count(self, sql: str) -> int:
        with self.engine.connect() as c:
            return int(c.scalar(text(sql)))


FILERS = {"student_exchange": "alice", "faculty_exchange": "prof.li", "foreign_expert": "prof.li",
          "hosted_event": "coord.cs"}
