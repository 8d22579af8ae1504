"""A small HTTP client for the gateway, as an API user would call it."""

from __future__ import annotations

from typing import Any

import requests


class Gateway:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.http = requests.Session()
        self.http.trust_env = False
        self.tokens: dict[str, str] = {}

    def login(self, username: str, password: str = "demo") -> str:
        r = self.http.post(f"{self.base_url}/api/v1/auth/token", json={"username": username, "password": password},
                           timeout=10)
        assert r.status_code == 200, r.text
        self.tokens[username] = r.json()["access_token"]
        return self.tokens[username]

    def call(self, user: str, method: str, path: str, json: Any = None) -> requests.Response:
        if user not in self.tokens:
            self.login(user)
        return self.http.request(method, f"{self.base_url}{path}", json=json, timeout=15,
                                 headers={"Authorization": f"Bearer {self.tokens[user]}"})

    def apply(self, user: str, title: str = "Semester at TU Berlin") -> dict[str, Any]:
        r = self.call(user, "POST", "/api/v1/applications", {
            "kind": "student_exchange", "title": title,
            "data": {"program": "tu-berlin-2027", "motivation": "Robotics courses I cannot take at home."},
        })
        assert r.status_code == 201, r.text
        return r.json()  # type: ignore[no-any-return]

    def submit(self, user: str, application_id: str) -> requests.Response:
        return self.call(user, "POST", f"/api/v1/applications/{application_id}/submit")
