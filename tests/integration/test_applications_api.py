"""The applications service on PostgreSQL: a submit is one transaction with its event, and only once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from chassis import migrate
from chassis.db import make_engine
from chassis.settings import Settings
from chassis.tokens import Identity, Signer, ensure_keypair
from mobility import registry

ALICE = Identity(username="alice", roles=[{"role": "student", "school": "cs"}], school="cs", locale="en")


@pytest.fixture
def service(tmp_path: Path, pg_urls: dict[str, str]):  # type: ignore[no-untyped-def]
    url = pg_urls["applications"]
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(tmp_path), "MOBILITY_APPLICATIONS_DATABASE_URL": url})
    ensure_keypair(settings.jwt_private_key_file, settings.jwt_public_key_file)  # type: ignore[arg-type]
    migrate.upgrade("applications", url)
    app = registry.create_app("applications", settings)
    token = Signer(settings.jwt_private_key_file, settings.jwt_issuer).sign(ALICE, "applications", 60)  # type: ignore[arg-type]
    engine = make_engine(url)
    yield app, {"Authorization": f"Bearer {token}"}, engine
    engine.dispose()


def _count(engine, sql: str) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as c:
        return int(c.scalar(text(sql)))


def test_submit_writes_the_row_and_its_event_together(service) -> None:  # type: ignore[no-untyped-def]
    app, auth, engine = service
    client = app.test_client()
    created = client.post("/api/v1/applications", headers=auth, json={
        "kind": "student_exchange", "title": "Berlin", "data": {"program": "p", "motivation": "m"}}).json
    assert _count(engine, "SELECT count(*) FROM outbox") == 0  # a draft announces nothing
    r = client.post(f"/api/v1/applications/{created['id']}/submit", headers=auth)
    assert r.status_code == 200 and r.json["version"] == 2
    assert _count(engine, "SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 1


def test_two_concurrent_submits_of_one_draft_make_one_event(service) -> None:  # type: ignore[no-untyped-def]
    app, auth, engine = service
    created = app.test_client().post("/api/v1/applications", headers=auth, json={
        "kind": "student_exchange", "title": "Berlin", "data": {"program": "p", "motivation": "m"}}).json
    statuses: list[int] = []
    start = threading.Barrier(4)

    def submit() -> None:
        start.wait()
        response = app.test_client().post(f"/api/v1/applications/{created['id']}/submit", headers=auth)
        statuses.append(response.status_code)

    threads = [threading.Thread(target=submit) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [200, 409, 409, 409]
    assert _count(engine, "SELECT count(*) FROM outbox") == 1


def test_a_title_with_a_line_break_is_refused(service) -> None:  # type: ignore[no-untyped-def]
    app, auth, engine = service
    r = app.test_client().post("/api/v1/applications", headers=auth, json={
        "kind": "student_exchange", "title": "Berlin\r\nBcc: x@example.org",
        "data": {"program": "p", "motivation": "m"}})
    assert r.status_code == 422 and "title" in r.json["errors"]
    assert _count(engine, "SELECT count(*) FROM applications") == 0
