"""The demo's student selection (mobility/demo_placements.py) on the embedded system, as `make run` seeds it: the
agreements with places (one ending within the reminder window, a MoU without places), a closed program's places
counted from them, its round with the coordinators' interview scores, an allocation run, its 差额公示 with an
objection, alice's accepted offer and her nomination; played once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from chassis.settings import Settings
from mobility import demo_placements
from mobility.embedded import Embedded
from services.applications.demo import demo_id


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Embedded, int]]:
    var: Path = tmp_path_factory.mktemp("demo-placements") / "var"
    settings = Settings.from_env({"MOBILITY_VAR_DIR": str(var), "MOBILITY_SMTP_HOST": "catch"})
    system = Embedded(settings).start()  # the demo accounts, partners and programs; no past year
    try:
        yield system, demo_placements.seed(system.gateway, date.today(), settings.timezone)
    finally:
        system.stop()


def _as(client: FlaskClient, user: str) -> dict[str, str]:
    token = client.post("/api/v1/auth/token", json={"username": user, "password": "demo"}).get_json()
    return {"Authorization": f"Bearer {token['access_token']}"}


def _get(client: FlaskClient, user: str, path: str) -> Any:
    response = client.get(path, headers=_as(client, user))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def test_the_demo_plays_a_selection_to_an_accepted_offer_and_a_nomination(seeded: tuple[Embedded, int]) -> None:
    system, filed = seeded
    client = system.gateway.test_client()
    assert filed == len(demo_placements.STUDENTS)
    agreements = _get(client, "icd.officer", "/api/v1/agreements?limit=50")["items"]
    assert {a["partner_id"] for a in agreements} >= {demo_id("partner", c) for c in demo_placements.AGREEMENTS}
    assert any(a["type"] == "mou" and not a["terms"] for a in agreements)
    expiring = _get(client, "icd.officer", "/api/v1/agreements?expiring_within=90")["items"]
    assert [a["partner_name"] for a in expiring] == ["National University of Singapore"]

    program = next(p for p in _get(client, "admin", "/api/v1/programs")
                   if p["code"] == demo_placements.program_code(date.today()))
    places = _get(client, "icd.officer", f"/api/v1/places?program_id={program['id']}")["items"]
    assert sum(p["places"] for p in places) == 5 and {p["source"] for p in places} == {"agreement"}

    rounds = _get(client, "icd.officer", f"/api/v1/selection-rounds?program_id={program['id']}")["items"]
    assert len(rounds) == 1 and rounds[0]["runs"] == 1
    ranking = _get(client, "icd.officer", f"/api/v1/selection-rounds/{rounds[0]['id']}")["ranking"]
    assert len(ranking) == 7 and not any("interview" in row["missing"] for row in ranking)
    assert ranking[0]["applicant"] == "alice"
    assert sum(1 for row in ranking if row["allocated"]) == 5  # 差额: two students wait for a freed place

    listed = _get(client, "bob", f"/api/v1/selection-rounds/{rounds[0]['id']}/publicity")
    assert listed["status"] == "paused"  # published, then paused by feng's objection, which awaits the ICD
    assert len(listed["candidates"]) == 7 and listed["objections_open"] == 1

    offers = _get(client, "alice", "/api/v1/offers?mine=true")["items"]
    accepted = [o for o in offers if o["status"] == "accepted"]
    assert len(accepted) == 1 and accepted[0]["partner_name"] == "Technische Universität Berlin"
    assert [o["status"] for o in _get(client, "bob", "/api/v1/offers?mine=true")["items"]] == ["offered"]
    nominations = _get(client, "icd.officer", f"/api/v1/nominations?round_id={rounds[0]['id']}")["items"]
    assert [(n["applicant"], n["status"]) for n in nominations] == [("alice", "nominated")]


def test_the_demo_selection_is_played_once(seeded: tuple[Embedded, int]) -> None:
    system, _ = seeded
    assert demo_placements.seed(system.gateway, date.today(), system.settings.timezone) == 0
