"""The passport events (issue 19) on their consumers, on PostgreSQL: applications takes passports' holds with the
same handlers as mobilities' (a passport not handed back keeps its holder's group from submitting, 409 on-hold,
until passport.hold_cleared); notifications tells the holder of a hand-out, a return, a due date near or past, the
school's coordinators and the ICD of a passport overdue, and the applicant and the passport clerks of a passport
that expires too soon for a trip, each in the reader's language with a link to the passport's page. The catalog
refuses a number in any of them."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from chassis.db import make_sessionmaker
from eventbus import catalog, envelope
from eventbus.consumer import apply
from services.notifications import rules
from services.notifications.handlers import handlers_for
from tests.integration.test_approval_documents import HANDLERS
from tests.integration.test_mobility_notifications import BASE, Notifications
from tests.support import group_trip
from tests.support.service import start_service
from tests.support.service_api import Api

SOURCE = "/services/passports"
PASSPORT_TYPES = [t for t in catalog.event_types() if t.startswith("passport.")]
PEOPLE = {  # username: (locale, roles)
    "prof.li": ("en", [{"role": "teacher", "school": "cs"}]),
    "wang.fang": ("zh", [{"role": "teacher", "school": "cs"}]),
    "coord.cs": ("zh", [{"role": "school_coordinator", "school": "cs"}]),
    "coord.ee": ("en", [{"role": "school_coordinator", "school": "ee"}]),
    "icd.officer": ("zh", [{"role": "icd_officer", "school": None}]),
    "icd.two": ("en", [{"role": "icd_officer", "school": None}]),
    "passport.clerk": ("zh", [{"role": "passport_clerk", "school": None}]),
    "clerk.two": ("en", [{"role": "passport_clerk", "school": None}]),
}


def _example(event_type: str) -> dict[str, Any]:
    return copy.deepcopy(catalog.schema(event_type)["x-asyncapi"]["examples"][0]["data"])


# (a) applications: a passport hold is a hold like mobilities' ----------------------------------------------------


def _passport_hold(**more: Any) -> dict[str, Any]:
    """A person hold on group member T20112 (wang.fang) of prof.li's group trip, as passports' sweep places it."""
    return {"hold_id": str(uuid.uuid4()), "scope": "person", "username": "wang.fang", "staff_number": "T20112",
            "school": "cs", "reason": "passport_overdue", "mobility_id": str(uuid.uuid4()),
            "title": "Visit to TU Berlin", "due_on": "2027-05-20", "clears": "passport_returned", **more}


def _tell(api: Api, event_type: str, hold: dict[str, Any]) -> None:
    """The news as the consumer applies it: validated against the catalog, in one transaction."""
    event = envelope.new_event(event_type, SOURCE, hold["hold_id"], hold)
    with make_sessionmaker(api.engine)() as session, session.begin():
        apply(HANDLERS, session, event)


def test_the_applications_worker_binds_to_the_passport_holds() -> None:
    assert {"passport.hold_placed", "passport.hold_cleared"} <= set(HANDLERS)


def test_a_passport_not_handed_back_holds_the_group_of_its_holder_until_it_is(api: Api) -> None:
    created = api.call("prof.li", "POST", "/api/v1/applications", json=group_trip.body())
    assert created.status_code == 201, created.json
    assert api.upload("prof.li", created.json["id"], "invitation_letter").status_code == 201
    application = created.json
    hold = _passport_hold()
    _tell(api, "passport.hold_placed", hold)

    refused = api.submit("prof.li", application)
    assert refused.status_code == 409 and refused.content_type == "application/problem+json"
    assert refused.json["type"].endswith("/problems/on-hold")
    assert ("The group member with staff number T20112 is on hold: the passport has not been handed back for "
            "“Visit to TU Berlin” (due on 2027-05-20); it can be submitted once the passport is handed back."
            ) == refused.json["detail"]
    assert refused.json["holds"] == [{"reason": "passport_overdue", "title": "Visit to TU Berlin",
                                      "due_on": "2027-05-20", "clears": "passport_returned", "holds": "member",
                                      "staff_number": "T20112"}]
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 0

    _tell(api, "passport.hold_cleared", hold)
    _tell(api, "passport.hold_placed", hold)  # a late copy of the placement does not bring it back
    submitted = api.submit("prof.li", application)
    assert submitted.status_code == 200, submitted.json
    assert api.count("SELECT count(*) FROM outbox WHERE type = 'application.submitted'") == 1


# (b) notifications ------------------------------------------------------------------------------------------------


@pytest.fixture
def nt(tmp_path: Path, pg_urls: dict[str, str]) -> Iterator[Notifications]:
    service = start_service("notifications", tmp_path, pg_urls["notifications"], MOBILITY_PUBLIC_BASE_URL=BASE)
    n = Notifications(service.engine, handlers_for(service.settings))
    for user, (locale, roles) in PEOPLE.items():
        n.deliver("user.registered", {"username": user, "email": f"{user}@example.org", "locale": locale,
                                      "roles": roles, "school": roles[0]["school"]}, "/services/gateway")
    yield n
    service.engine.dispose()


def passport(holder: str | None = "prof.li", **loan: Any) -> dict[str, Any]:
    """Li Wei's official passport, out for a trip, as the common fields of _defs/passport.json and its loan."""
    return {"passport_id": str(uuid.uuid4()), "type": "official_passport", "holder_name": "Li Wei",
            "staff_number": "T0042", "holder_username": holder, "school": "cs", "status": "handed_out",
            "loan": {"id": str(uuid.uuid4()), "mobility_id": str(uuid.uuid4()), "application_id": str(uuid.uuid4()),
                     "title": "Visit to TU Berlin", "handed_out_on": "2031-02-25", "due_on": "2031-03-17",
                     "returned_on": None, "overdue_days": 0, **loan}}


def warning(applicant: str = "wang.fang", **more: Any) -> dict[str, Any]:
    return {"application_id": str(uuid.uuid4()), "applicant": applicant, "title": "Visit to TU Berlin",
            "school": "cs", "passport_id": str(uuid.uuid4()), "holder_name": "Li Wei", "staff_number": "T0042",
            "type": "hk_macao_permit", "expires_on": "2031-06-30", "trip_end": "2031-03-10", **more}


def test_the_notifications_worker_binds_to_the_passport_types_it_notifies(nt: Notifications) -> None:
    notified = {"passport.due_soon", "passport.overdue", "passport.handed_out", "passport.returned",
                "passport.expiry_warning"}
    assert notified <= set(rules.RULES) and notified <= set(nt.handlers)
    assert not {"passport.hold_placed", "passport.hold_cleared"} & set(rules.RULES)  # the overdue notice says it


def test_a_hand_out_and_a_return_give_the_holder_a_receipt(nt: Notifications) -> None:
    data = passport()
    nt.deliver("passport.handed_out", data, SOURCE)
    notices = nt.inbox("passport.handed_out")
    assert set(notices) == {"prof.li"}
    subject, body, link = notices["prof.li"]
    assert subject == "Official passport handed out: Visit to TU Berlin"
    assert body.startswith("The International Cooperation Department handed out the official passport of Li Wei on "
                           "25 Feb 2031 for \"Visit to TU Berlin\". It is due back on 17 Mar 2031.")
    assert link == f"{BASE}/passports/{data['passport_id']}"

    returned = passport("wang.fang", returned_on="2031-03-12")
    nt.deliver("passport.returned", returned | {"status": "in_custody"}, SOURCE)
    subject, body, link = nt.inbox("passport.returned")["wang.fang"]
    assert subject == "因公护照已交回：Visit to TU Berlin"
    assert body.startswith("Li Wei为“Visit to TU Berlin”领取的因公护照已于 2031年3月12日 交回国际合作处保管。")
    assert link == f"{BASE}/passports/{returned['passport_id']}"
    assert set(nt.inbox("passport.returned")) == {"wang.fang"}


def test_a_reminder_tells_the_holder_alone_when_to_bring_it_back(nt: Notifications) -> None:
    data = passport()
    nt.deliver("passport.due_soon", data, SOURCE)
    notices = nt.inbox("passport.due_soon")
    assert set(notices) == {"prof.li"}
    subject, body, link = notices["prof.li"]
    assert subject == "Hand back the official passport by 17 Mar 2031: Visit to TU Berlin"
    assert "is due back at the International Cooperation Department on 17 Mar 2031." in body
    assert link == f"{BASE}/passports/{data['passport_id']}"


def test_overdue_reaches_the_holder_the_schools_coordinators_and_the_icd(nt: Notifications) -> None:
    data = passport(overdue_days=4)
    nt.deliver("passport.overdue", data, SOURCE)
    notices = nt.inbox("passport.overdue")
    assert set(notices) == {"prof.li", "coord.cs", "icd.officer", "icd.two"}  # not another school's coordinator
    subject, body, link = notices["prof.li"]
    assert subject == "Overdue: the official passport of Li Wei (Visit to TU Berlin)"
    assert ("was due back at the International Cooperation Department on 17 Mar 2031 and is 4 day(s) overdue. "
            "Please bring it back as soon as possible; until then, its holder cannot submit a new application."
            ) in body
    assert link == f"{BASE}/passports/{data['passport_id']}"
    subject, body, _ = notices["coord.cs"]
    assert subject == "因公护照逾期未交回：Li Wei（Visit to TU Berlin）"
    assert "应于 2031年3月17日 交回国际合作处，现已逾期 4 天。请尽快交回；交回前，持有人不能提交新的申请。" in body
    assert notices["icd.officer"][0] == subject and notices["icd.two"][0].startswith("Overdue: the official")


def test_a_passport_without_a_known_holder_tells_the_others_and_nobody_waits(nt: Notifications) -> None:
    nt.deliver("passport.overdue", passport(None, overdue_days=1) | {"school": None}, SOURCE)
    assert set(nt.inbox("passport.overdue")) == {"icd.officer", "icd.two"}  # no school: no coordinator
    nt.deliver("passport.due_soon", passport("not.yet.registered"), SOURCE)  # a holder we do not know: no retry
    assert nt.inbox("passport.due_soon") == {}


def test_an_expiry_warning_reaches_the_applicant_and_every_passport_clerk(nt: Notifications) -> None:
    data = warning()
    nt.deliver("passport.expiry_warning", data, SOURCE)
    notices = nt.inbox("passport.expiry_warning")
    assert set(notices) == {"wang.fang", "passport.clerk", "clerk.two"}
    subject, body, link = notices["wang.fang"]
    assert subject == "证件有效期不足：Li Wei（Visit to TU Berlin）"
    assert body.startswith("申请“Visit to TU Berlin”的出行人Li Wei由国际合作处保管的往来港澳通行证将于 2031年6月30日 "
                           "到期，不足行程结束（2031年3月10日）后六个月。")
    assert link == f"{BASE}/passports/{data['passport_id']}"
    subject, body, _ = notices["clerk.two"]
    assert subject == "Travel document expires too soon: Li Wei (Visit to TU Berlin)"
    assert ("The Hong Kong and Macao travel permit of Li Wei, a traveller of \"Visit to TU Berlin\", kept by the "
            "International Cooperation Department, expires on 30 Jun 2031: less than six months after the trip ends "
            "(10 Mar 2031).") in body
    with pytest.raises(rules.RecipientUnknown):  # the applicant applied: known soon, so retried until then
        nt.deliver("passport.expiry_warning", warning("newcomer"), SOURCE)


def test_no_passport_text_is_left_with_a_gap_or_a_code_in_either_language() -> None:
    from services.notifications import templates

    events = [("passport.due_soon", passport()), ("passport.overdue", passport(overdue_days=2)),
              ("passport.handed_out", passport()), ("passport.returned", passport(returned_on="2031-03-12")),
              ("passport.expiry_warning", warning(trip_end=None)), ("passport.expiry_warning", warning())]
    for event_type, data in events:
        for kind in ("official_passport", "service_passport", "hk_macao_permit", "taiwan_permit"):
            for locale in ("zh", "en"):
                rendered = templates.render(event_type, locale, data | {"type": kind}, BASE)
                for part in (rendered.subject, rendered.body):
                    assert "{" not in part and "  " not in part.strip() and "“”" not in part and '""' not in part
                    assert "()" not in part and "（）" not in part, part
                    assert "_" not in part.split("\n\n")[0], part  # no code such as hk_macao_permit shows
                assert rendered.link == f"{BASE}/passports/{data['passport_id']}"


# (c) the schemas ----------------------------------------------------------------------------------------------------


def test_there_is_one_private_schema_per_passport_event_of_the_design() -> None:
    assert PASSPORT_TYPES == [f"passport.{t}" for t in sorted(
        ("handed_out", "returned", "due_soon", "overdue", "hold_placed", "hold_cleared", "expiry_warning"))]
    for event_type in PASSPORT_TYPES:
        assert not catalog.is_public(event_type)
        assert catalog.schema(event_type)["x-producer"] == "passports"


@pytest.mark.parametrize("event_type", PASSPORT_TYPES)
def test_a_sample_of_each_type_is_valid_and_a_number_in_it_is_refused(event_type: str) -> None:
    samples = {"passport.expiry_warning": warning(), "passport.hold_placed": _passport_hold(),
               "passport.hold_cleared": _passport_hold()}
    sample = samples.get(event_type) or passport()
    catalog.validate(event_type, sample)
    catalog.validate(event_type, _example(event_type))
    catalog.validate(event_type, sample | {"added_later": 1})  # open, as every type is, to what may come
    for field in ("number", "number_last4", "number_masked"):
        with pytest.raises(catalog.SchemaError, match=field):
            catalog.validate(event_type, sample | {field: "E12345678"})
    if "loan" in sample:  # nor in the loan
        with pytest.raises(catalog.SchemaError, match="loan/number"):
            catalog.validate(event_type, sample | {"loan": sample["loan"] | {"number": "E12345678"}})


def test_the_holds_have_the_data_shape_of_mobilities_holds() -> None:
    for verb in ("placed", "cleared"):
        ours, theirs = catalog.schema(f"passport.hold_{verb}"), catalog.schema(f"mobility.hold_{verb}")
        assert ours["required"] == theirs["required"]
        assert set(ours["properties"]) - set(theirs["properties"]) == {"number", "number_last4", "number_masked"}
        catalog.validate(f"mobility.hold_{verb}", _passport_hold())  # what mobilities' consumers take, ours is


def test_a_passport_event_without_its_common_fields_is_refused() -> None:
    for field in ("passport_id", "type", "holder_name", "staff_number", "holder_username", "school", "status"):
        data = passport()
        del data[field]
        with pytest.raises(catalog.SchemaError, match=f"'{field}' is a required property"):
            catalog.validate("passport.overdue", data)
    with pytest.raises(catalog.SchemaError, match="type"):
        catalog.validate("passport.handed_out", passport() | {"type": "diplomatic_passport"})


@pytest.mark.parametrize(("kind", "direction"), [("faculty_exchange", "outbound"), ("student_exchange", "outbound"),
                                                 ("foreign_expert", "inbound"), ("hosted_event", "inbound")])
def test_a_mobility_event_says_whether_its_trip_goes_abroad_and_its_schema_takes_it(kind: str, direction: str) -> None:
    """Custody lends passports for travel abroad only: mobilities says which way a record goes (its kind's journey);
    the property is optional, as news from before it was named lacks it, and takes only the two words."""
    from services.mobilities.events import record_data
    from services.mobilities.models import Mobility

    record = Mobility(id=str(uuid.uuid4()), application_id=str(uuid.uuid4()), kind=kind, category=None, school="cs",
                      owner="prof.li", person_name="Li Wei", staff_number="19990012", role="leader", title="A stay",
                      status="planned", planned_start=date(2027, 3, 10), planned_end=date(2027, 3, 14))
    data = record_data(record)
    assert data["direction"] == direction
    catalog.validate("mobility.planned", data)
    catalog.validate("mobility.planned", {k: v for k, v in data.items() if k != "direction"})
    with pytest.raises(catalog.SchemaError, match="direction"):
        catalog.validate("mobility.planned", data | {"direction": "sideways"})
