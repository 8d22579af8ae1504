"""A small HTTP client for the gateway, as an API user would call it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import requests

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def example(kind: str) -> dict[str, Any]:
    return json.loads((EXAMPLES / f"{kind}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


class Gateway:
    def __init__(self, base_url: str, timeout: float = 15) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.http = requests.Session()
        self.http.trust_env = False
        self.tokens: dict[str, str] = {}

    def login(self, username: str, password: str = "demo") -> str:
        r = self.http.post(f"{self.base_url}/api/v1/auth/token", json={"username": username, "password": password},
                           timeout=10)
        assert r.status_code == 200, r.text
        self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def call(self, user: str, method: str, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        if user not in self.tokens:
            self.login(user)
        headers = {"Authorization": f"Bearer {self.tokens[user]}", **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.base_url}{path}", json=json, timeout=self.timeout, headers=headers,
                                 **kwargs)

    def apply(self, user: str, kind: str = "student_exchange", program_id: str | None = None,
              **form_changes: Any) -> dict[str, Any]:
        body = copy.deepcopy(example(kind))
        body["form"].update(form_changes)
        if program_id is not None:
            body["program_id"] = program_id
        r = self.call(user, "POST", "/api/v1/applications", body)
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def upload(self, user: str, application_id: str, doc_type: str, content: bytes = PDF,
               filename: str = "scan.pdf") -> requests.Response:
        return self.call(user, "POST", f"/api/v1/applications/{application_id}/documents",
                         data={"doc_type": doc_type}, files={"file": (filename, content, "application/pdf")})

    def upload_required(self, user: str, application: dict[str, Any]) -> None:
        from services.applications import kinds

        for doc_type in kinds.get(application["kind"]).required_documents:
            r = self.upload(user, application["id"], doc_type)
            assert r.status_code == 201, r.text

    def submit(self, user: str, application_id: str, version: int | None = None) -> requests.Response:
        if version is None:
            version = self.call(user, "GET", f"/api/v1/applications/{application_id}").json().get("version")
        return self.call(user, "POST", f"/api/v1/applications/{application_id}/submit",
                         headers={"If-Match": f'"{version}"'})

    def apply_and_submit(self, user: str, kind: str = "student_exchange", program_id: str | None = None,
                         **form_changes: Any) -> dict[str, Any]:
        application = self.apply(user, kind, program_id, **form_changes)
        self.upload_required(user, application)
        r = self.submit(user, application["id"])
        assert r.status_code == 200, r.text
        return r.json()  # type: ignore[no-any-return]

    def mine(self, user: str) -> list[dict[str, Any]]:
        r = self.call(user, "GET", "/api/v1/applications")
        assert r.status_code == 200, r.text
        return r.json()["items"]  # type: ignore[no-any-return]
