"""The kinds registry and each kind's own rules, titles and facts (pure: no database, no app)."""

from __future__ import annotations

import re
import sys
import threading
import time
from datetime import date
from pathlib import Path

import pytest
from marshmallow import Schema
from marshmallow import fields as ma_fields

from eventbus import catalog
from services.applications import domain, kinds
from services.applications.facts import mobility_facts
from services.applications.kinds import Field, Kind, labels
from services.applications.kinds.fields import END_DATE, START_DATE
from services.applications.kinds_api import describe
from services.applications.models import Partner, Program

TODAY = date(2030, 11, 28)
TU = Partner(id="p-tu", name="TU Berlin", country="DE", region="europe")
PROGRAM = Program(id="prog", name="Europe 2031", partners=[TU])


def test_the_four_kinds_are_found_in_the_package_by_name() -> None:
    assert kinds.names() == ["faculty_exchange", "foreign_expert", "hosted_event", "student_exchange"]
    assert kinds.get("student_exchange").required_documents == ("transcript", "language_certificate")
    assert kinds.get("hosted_event").document_types == ("other",)
    with pytest.raises(kinds.UnknownKind, match="Unknown kind 'moon_trip'; known kinds: faculty_exchange"):
        kinds.get("moon_trip")


def test_default_chains_are_data_for_the_reviews_service() -> None:
    chains = kinds.default_chains()
    assert [level["role"] for level in chains["foreign_expert"]] == ["school_dean", "icd_officer", "vice_president"]
    assert chains["faculty_exchange"][-1]["condition"] == {
        "any": [{"duration_days_over": 30}, {"budget_over": "50000.00"}]}
    chains["hosted_event"].clear()  # a copy: the kind's own chain is untouched
    assert len(kinds.default_chains()["hosted_event"]) == 2


class _Form(Schema):
    pass


def _kind(name: str, **changes: object) -> Kind:
    base = {"name": name, "labels": labels("Summer school", "暑期学校"), "form": _Form, "fields": (),
            "filed_by": frozenset({"student"}), "needs_program": False, "documents": (),
            "title": lambda form, program: labels("Summer school", "暑期学校"),
            "facts": lambda form, program: {}, "default_chain": ()}
    return Kind(**{**base, **changes})  # type: ignore[arg-type]


def test_a_kind_registered_at_run_time_is_served_and_can_be_removed() -> None:
    kinds.register(_kind("zz_test_kind"))
    try:
        assert kinds.names()[-1] == "zz_test_kind"
        with pytest.raises(ValueError, match="registered already"):
            kinds.register(_kind("zz_test_kind"))
    finally:
        kinds.unregister("zz_test_kind")
    assert "zz_test_kind" not in kinds.names()


@pytest.mark.parametrize(("changes", "problem"), [
    ({"labels": {"en": "Only English"}}, "labels"),
    ({"fields": (Field("ghost", "line", labels("Ghost", "幽灵")),)}, "do not match the form"),
    ({"counts": {"outbound_students": "heads"}}, "unknown count"),
])
def test_a_kind_the_pages_could_not_show_is_refused(changes: dict[str, object], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        kinds.register(_kind("zz_broken", **changes))
    assert "zz_broken" not in kinds.names()


def test_every_field_has_a_known_widget_and_words_in_both_languages() -> None:
    for kind in kinds.all_kinds():
        described = describe(kind)
        assert described["labels"].keys() == {"en", "zh"}
        assert described["documents"][-1]["type"] == "other" and not described["documents"][-1]["required"]
        for field in described["fields"]:
            assert field["widget"] in kinds.WIDGETS and field["labels"]["zh"] and field["labels"]["en"]
            assert field["labels"]["en"] != field["name"]  # words, not internal names


def test_field_constraints_come_from_the_form_schema() -> None:
    fields = {f["name"]: f for f in describe(kinds.get("student_exchange"))["fields"]}
    assert list(fields) == ["partner_choices", "term", "gpa", "language_certificate", "motivation"]
    assert (fields["partner_choices"]["max_items"], fields["gpa"]["min"], fields["gpa"]["max"]) == (3, 0, 4)
    assert fields["motivation"]["max_length"] == 5000 and fields["term"]["widget"] == "term"
    certificate = {f["name"]: f for f in fields["language_certificate"]["fields"]}
    assert certificate["type"]["widget"] == "choice" and certificate["type"]["choices"][-1] == {
        "value": "other", "labels": {"en": "Other", "zh": "其他"}}
    purpose = next(f for f in describe(kinds.get("faculty_exchange"))["fields"] if f["name"] == "purpose")
    assert [c["labels"]["en"] for c in purpose["choices"]] == [
        "Conference", "Joint research", "Visiting scholar", "Teaching"]


def test_student_exchange_rules_term_and_partners_of_the_program() -> None:
    kind = kinds.get("student_exchange")
    started = {"term": "2030-fall", "partner_choices": ["p-other"]}
    assert set(domain.rule_errors(kind, started, PROGRAM, TODAY)) == {"term", "partner_choices"}
    assert domain.rule_errors(kind, {"term": "2031-spring", "partner_choices": ["p-tu"]}, PROGRAM, TODAY) == {}


def test_the_dated_kinds_keep_their_longest_period() -> None:
    for name, days in (("faculty_exchange", 365), ("foreign_expert", 730), ("hosted_event", 30)):
        kind = kinds.get(name)
        start = date(2031, 1, 1)
        fits = {"start_date": start, "end_date": date.fromordinal(start.toordinal() + days - 1)}
        longer = {**fits, "end_date": date.fromordinal(start.toordinal() + days)}
        assert domain.rule_errors(kind, fits, None, TODAY) == {}
        assert f"at most {days} days" in domain.rule_errors(kind, longer, None, TODAY)["end_date"]


def test_titles_in_both_languages_the_english_one_as_stored_before() -> None:
    assert domain.titles_of("student_exchange", {"term": "2031-fall"}, PROGRAM) == {
        "en": "Europe 2031 (Fall 2031)", "zh": "Europe 2031（2031年秋季学期）"}
    assert domain.titles_of("student_exchange", {}, None)["en"] == "Student exchange"
    assert domain.titles_of("faculty_exchange", {"purpose": "joint_research", "destination_institution": "MIT"},
                            None) == {"en": "Joint research at MIT", "zh": "赴MIT合作研究"}
    assert domain.title_of("faculty_exchange", {}, None) == "Staff trip abroad (draft)"
    assert domain.titles_of("foreign_expert", {"expert_name": "Ada"}, None) == {
        "en": "Foreign expert: Ada", "zh": "外籍专家：Ada"}
    assert domain.titles_of("hosted_event", {}, None) == {"en": "Hosted event", "zh": "接待来访团组或活动"}


def test_one_duration_for_every_kind_a_students_term_included() -> None:
    """The student's term gives its semester's dates, so review conditions on the duration work for it too."""
    student = mobility_facts("student_exchange", {"term": "2031-fall", "partner_choices": ["p-tu"]}, PROGRAM)
    assert (student["duration_days"], student["region"], student["partner_name"]) == (153, "europe", "TU Berlin")
    expert = mobility_facts("foreign_expert", {"nationality": "SG", "institution": "NUS",
                                               "start_date": "2031-03-01", "end_date": "2031-05-29"}, None)
    assert (expert["direction"], expert["duration_days"], expert["region"]) == ("inbound", 90, "asean")


def test_a_kind_name_the_event_catalog_refuses_is_refused_at_registration() -> None:
    """The catalog's pattern is the one rule for names: a kind it refuses would have every event refused."""
    assert catalog.kind_pattern() == catalog.definitions()["_defs/application.json"]["$defs"]["kind"]["pattern"]
    assert all(re.fullmatch(catalog.kind_pattern(), name) for name in kinds.names())
    for bad in ("Summer", "summer-school", "s", "9lives", "x" * 41):
        with pytest.raises(ValueError, match="kind pattern"):
            kinds.register(_kind(bad))
        assert bad not in kinds.names()


class _Dated(Schema):
    start_date = ma_fields.Date(required=True)
    end_date = ma_fields.Date(required=True)


DATES = (START_DATE, END_DATE)


def test_the_period_rule_reads_max_days_once_for_any_kind_with_dates() -> None:
    week = _kind("zz_week", form=_Dated, fields=DATES, max_days=7)
    start = date(2031, 1, 1)
    assert domain.rule_errors(week, {"start_date": start, "end_date": date(2031, 1, 7)}, None, TODAY) == {}
    too_long = domain.rule_errors(week, {"start_date": start, "end_date": date(2031, 1, 8)}, None, TODAY)
    assert too_long == {"end_date": "The period may last at most 7 days."}
    unlimited = _kind("zz_open", form=_Dated, fields=DATES)  # dates without a limit: future start, order only
    assert set(domain.rule_errors(unlimited, {"start_date": TODAY, "end_date": date(2040, 1, 1)}, None, TODAY)) == {
        "start_date"}
    own = _kind("zz_own", form=_Dated, fields=DATES, max_days=7, rules=lambda form, program, today: {"x": "own"})
    assert set(domain.rule_errors(own, {"start_date": start, "end_date": date(2031, 2, 1)}, None, TODAY)) == {
        "end_date", "x"}
    with pytest.raises(ValueError, match="max_days is set but the form has no start_date"):
        kinds.register(_kind("zz_limitless", max_days=7))


# -- the registry under threads --------------------------------------------------------------------------------

def test_concurrent_loads_of_one_module_register_it_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two processes' threads may load MOBILITY_KIND_MODULES at once: the second finds the first's kind."""
    slow_check = kinds._check

    def _slowly(kind: Kind) -> None:  # widens the gap between looking a name up and inserting it
        time.sleep(0.05)
        slow_check(kind)

    monkeypatch.setattr(kinds, "_check", _slowly)
    start, errors = threading.Barrier(4), []

    def _load() -> None:
        start.wait()
        try:
            kinds.load(["tests.support.summer_school"])
        except Exception as err:  # noqa: BLE001 - the test reports whatever a thread raised
            errors.append(err)

    threads = [threading.Thread(target=_load) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=10)
        assert errors == [] and kinds.names().count("summer_school") == 1
    finally:
        kinds.unregister("summer_school")


def test_readers_get_a_snapshot_while_kinds_come_and_go() -> None:
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so a race shows
    stop, errors = threading.Event(), []
    extra = [_kind(f"zz_churn_{i}") for i in range(20)]

    def _churn() -> None:
        while not stop.is_set():
            for kind in extra:
                kinds.register(kind)
            for kind in extra:
                kinds.unregister(kind.name)

    churner = threading.Thread(target=_churn)
    churner.start()
    try:
        for _ in range(2000):
            try:
                seen = kinds.all_kinds()
                kinds.default_chains()
            except Exception as err:  # noqa: BLE001 - any error here is the race this test is about
                errors.append(err)
                break
            assert 4 <= len(seen) <= 24
    finally:
        stop.set()
        churner.join(timeout=10)
        sys.setswitchinterval(interval)
        for kind in extra:
            kinds.unregister(kind.name)
    assert errors == []


def test_a_kind_module_may_use_the_registry_while_it_is_imported(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Discovery imports the kind modules holding the registry's lock; a module that asks kinds.* at import time
    is in the same thread, so it goes on instead of waiting for itself."""
    (tmp_path / "zz_curious_kind.py").write_text(
        "from services.applications import kinds\nSEEN = kinds.names()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    found = kinds._kind_modules()
    monkeypatch.setattr(kinds, "_kind_modules", lambda: [*found, "zz_curious_kind"])
    monkeypatch.setattr(kinds, "_registry", {})  # a fresh process's registry: nothing discovered yet
    monkeypatch.setattr(kinds, "_discovered", False)
    monkeypatch.delitem(sys.modules, "zz_curious_kind", raising=False)
    done: list[list[str]] = []
    discovering = threading.Thread(target=lambda: done.append(kinds.names()), daemon=True)
    discovering.start()
    discovering.join(timeout=10)
    assert done == [["faculty_exchange", "foreign_expert", "hosted_event", "student_exchange"]], "deadlocked"
    assert sys.modules["zz_curious_kind"].SEEN == done[0]
