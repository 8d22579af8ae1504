"""The passports service under test: its app on a fresh PostgreSQL database with a keyring file of the test's own,
called with demo accounts' tokens (and the passport clerk's), fed news through its handlers as the consumer would,
swept with a clock the test sets, and read directly with SQL.

Use the `passports` fixture: `from tests.support.passports import passports_fixture  # noqa: F401`.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eventbus import envelope
from eventbus.consumer import apply
from gateway.demo import ACCOUNTS
from services.passports import register
from tests.support.service import ServiceCaller, ServiceUnderTest, start_service

# the demo's accounts, and the passport clerk where the demo does not have one yet
PEOPLE: dict[str, tuple[str, str | None, str, list[dict[str, Any]]]] = {
    "passport.clerk": ("Passport Clerk", None, "zh", [{"role": "passport_clerk", "school": None}]),
    **ACCOUNTS,
}
CSV_HEADER = "holder_name,staff_number,username,school,type,number,issued_on,expires_on,kept_at"


def passport(number: str = "E12345678", **fields: Any) -> dict[str, Any]:
    """A POST /passports body: prof.li's official passport unless told otherwise."""
    return {"holder_name": "Li Wei", "staff_number": "19990012", "holder_username": "prof.li", "school": "cs",
            "type": "official_passport", "number": number, "issued_on": "2022-05-01", "expires_on": "2032-04-30",
            "kept_at": "Safe 2, drawer 3", **fields}


class Passports(ServiceCaller):
    audience, people = "passports", PEOPLE

    def __init__(self, service: ServiceUnderTest, keys_file: Path) -> None:
        super().__init__(service)
        self.keys_file = keys_file

    def create(self, number: str = "E12345678", **fields: Any) -> dict[str, Any]:
        """Enter a passport as the clerk; its detail."""
        response = self.call("passport.clerk", "POST", "/passports", json=passport(number, **fields))
        assert response.status_code == 201, response.json
        return response.json  # type: ignore[no-any-return]

    def upload(self, user: str, content: bytes | str, name: str = "passports.csv") -> Any:
        data = content.encode() if isinstance(content, str) else content
        return self.call(user, "POST", "/passports/import", data={"file": (io.BytesIO(data), name)},
                         content_type="multipart/form-data")

    def deliver(self, event_type: str, data: dict[str, Any], subject: str | None = None, revision: int = 1,
                source: str = "/services/mobilities") -> None:
        """An event applied through the service's handlers, as its consumer would."""
        from services.passports import handlers

        event = envelope.new_event(event_type, source, subject or data.get("mobility_id") or data["application_id"],
                                   data, aggregateversion=revision)
        with self.sessions() as session, session.begin():
            apply(handlers.HANDLERS, session, event)


@pytest.fixture(name="passports")
def passports_fixture(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Passports]:
    keys_file = tmp_path / f"passport-keys-{uuid.uuid4().hex[:6]}"
    service = start_service("passports", tmp_path, pg_urls["passports"], MOBILITY_PASSPORT_KEYS_FILE=str(keys_file))
    register.keyring_for(service.settings)  # the file exists from the start, with one key
    yield Passports(service, keys_file)
    service.engine.dispose()
