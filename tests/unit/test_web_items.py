"""A list of items on a kind's form (widget "items": a trip's members, its stops) and a tick box (widget
"boolean"): the posted page to the API's JSON list and back, "Add another" and "Remove" without script, the
service's nested 422 errors next to the right item's input and in the error summary, stored items in words.
The fixture is the kinds API's contract for such a kind; the pages on the running system are tested in
tests/integration/test_group_trip_pages.py and tests/browser/test_group_trip.py."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, g, render_template_string
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from gateway.web import kinds, services
from gateway.web.forms import application_form, error_links, show_errors
from gateway.web.services import Reply, translated
from gateway.web.widgets import Context, add_blank, list_change


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _field(name: str, widget: str, en: str, zh: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "widget": widget, "required": True, "labels": _l(en, zh), "help": None, "choices": None,
            "min": None, "max": None, "max_length": None, "max_items": None, "fields": None, **more}


YES_NO = [{"value": "yes", "labels": _l("Yes", "是")}, {"value": "no", "labels": _l("No", "否")}]
TRIP = {
    "name": "group_trip", "labels": _l("Group trip", "团组出访"), "filed_by": ["teacher"], "needs_program": False,
    "max_days": None, "documents": [],
    "fields": [
        _field("category", "choice", "Category", "出访类别", required=False, choices=[
            {"value": "general", "labels": _l("General", "一般")},
            {"value": "hk_macao", "labels": _l("Hong Kong and Macao", "赴港澳")}]),
        _field("purpose", "line", "Purpose", "目的"),
        _field("members", "items", "Members", "团组成员", max_items=3, min_items=1, fields=[
            _field("name", "line", "Name", "姓名"),
            _field("leader", "choice", "Leads the group", "是否团长", choices=YES_NO),
            _field("declared", "boolean", "I confirm the above is true", "本人确认以上信息属实")]),
        _field("itinerary", "items", "Itinerary", "行程", max_items=None, item_labels=_l("Stop", "站点"), fields=[
            _field("country", "country", "Country or region", "国家（地区）"),
            _field("arrival", "date", "Arrival", "抵达日期")]),
    ],
}


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = Flask("gateway", root_path=str(Path(__file__).resolve().parents[2] / "gateway"))
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(app, locale_selector=lambda: g.get("lang", "en"), default_translation_directories="translations")
    kinds.install(app)
    app.jinja_env.filters.update(t=services.translated, when=str)
    monkeypatch.setattr(services, "get", lambda path, **params: Reply(200, {"items": [copy.deepcopy(TRIP)]}, {}, b""))
    yield app


@contextmanager
def _page(app: Flask, lang: str = "en") -> Iterator[None]:
    with app.test_request_context("/"):
        g.lang = lang
        g.user = SimpleNamespace(has_role=lambda role: role == "teacher")
        yield


def _form(data: dict[str, Any] | None = None, lang: str = "en") -> Any:
    found = kinds.get("group_trip")
    assert found is not None
    return application_form(found, Context(lang), MultiDict(data) if data is not None else None)


def _render(form: Any) -> str:
    return render_template_string('{% from "_macros.html" import any_field %}'
                                  '{% for f in form %}{{ any_field(f) }}{% endfor %}', form=form)


POSTED = {"purpose": "Conference",
          "members-0-name": " Li Wei ", "members-0-leader": "yes", "members-0-declared": "y",
          "members-1-name": "", "members-1-leader": "",  # an "Add another" left empty
          "members-2-name": "Zhang Min", "members-2-leader": "no",
          "itinerary-0-country": "de", "itinerary-0-arrival": "2031-05-02",
          "itinerary-1-country": "FR", "itinerary-1-arrival": ""}


def test_items_go_to_the_api_as_a_list_of_objects_and_come_back(app: Flask) -> None:
    with _page(app):
        form = _form(POSTED)
        sent = form.to_api()
        assert sent == {"purpose": "Conference",
                        "members": [{"name": "Li Wei", "leader": "yes", "declared": True},
                                    {"name": "Zhang Min", "leader": "no"}],  # the empty one left out
                        "itinerary": [{"country": "DE", "arrival": "2031-05-02"}, {"country": "FR"}]}
        assert form.members.sent == [0, 2]
        again = _form()
        again.from_api(sent)
        assert [e.form.name.data for e in again.members] == ["Li Wei", "Zhang Min"]
        assert [e.form.declared.data for e in again.members] == [True, False]
        assert again.to_api() == sent
        html = _render(again)
        assert 'id="members-1-name"' in html and 'value="Zhang Min"' in html
        assert re.search(r'<input checked id="members-0-declared" name="members-0-declared" type="checkbox"', html)
        assert re.search(r'<input id="members-1-declared" name="members-1-declared" type="checkbox"', html)
        empty = _form()
        assert len(empty.members.entries) == 1 and len(empty.itinerary.entries) == 1  # one to start typing in
        assert empty.to_api() == {}


def test_items_are_numbered_fieldsets_by_the_items_name_or_the_lists(app: Flask) -> None:
    with _page(app, "zh"):
        form = _form(POSTED, lang="zh")
        assert [e.label.text for e in form.itinerary] == ["站点 1", "站点 2"]
        assert [e.label.text for e in form.members] == ["团组成员：1", "团组成员：2", "团组成员：3"]
        html = _render(form)
        assert '<legend>站点 2</legend>' in html and 'value="remove:itinerary:1"' in html
        assert 'value="add:members"' not in html  # three of at most three: no "Add another"
        assert 'value="add:itinerary"' in html and "再添加一项" in html
    with _page(app, "en"):
        one = _form()
        html = _render(one)
        assert '<legend>Stop 1</legend>' in html and "Members: 1" in html
        assert 'value="remove:' not in html  # a single item is not removed (it is emptied)
        assert 'value="add:members"' in html and ">Add another<" in html


def test_add_another_and_remove_change_the_list_without_script(app: Flask) -> None:
    with _page(app):
        form = _form(POSTED)
        change = list_change(form, "remove:members:0")
        assert change is not None and not change.add and change.name == "members"
        assert form.to_api()["members"] == [{"name": "Zhang Min", "leader": "no"}]
        assert [e.label.text for e in form.members] == ["Members: 1", "Members: 2"]  # renumbered
        assert change.anchor({"members": [{}]}) == "members"
        added = list_change(form, "add:itinerary")
        assert added is not None and added.add and added.anchor({"itinerary": [{}, {}]}) == "itinerary-2"
        assert list_change(form, "save") is None and list_change(form, "add:purpose") is None
        assert list_change(form, "remove:nothing:1") is None and list_change(form, "remove:members:9") is not None
        assert list_change(form, "remove:members:²") is not None  # a digit int() refuses: nothing removed

        stored = _form()
        stored.from_api({"members": [{"name": "Li Wei"}]})
        add_blank(stored, "members")
        assert [e.form.name.data or "" for e in stored.members] == ["Li Wei", ""]
        assert 'id="members-1"' in _render(stored)
        add_blank(stored, "members")  # pressed again with the new one still empty: still one empty
        assert len(stored.members.entries) == 2
        stored.members.entries[1].form.name.data = "Zhang Min"
        add_blank(stored, "members")
        add_blank(stored, "members")  # the fourth would pass max_items
        assert len(stored.members.entries) == 3
        add_blank(stored, "purpose")  # not a list: nothing
        assert added.anchor({"members": [{}, {}, {}]}) == "itinerary-0"
        full = list_change(stored, "add:members")
        assert full is not None and full.anchor({"members": [{}, {}, {}]}) == "members"  # full: to the list


def test_nested_errors_land_on_the_items_inputs_and_link_from_the_summary(app: Flask) -> None:
    reply = Reply(422, {"errors": {"form": {
        "members": {"1": {"name": ["Must not be blank."], "declared": ["Each member confirms the declaration."]},
                    "0": {"_schema": ["Something about the whole item."]}},
        "itinerary": {"0": {"arrival": ["Not a valid date."]}, "7": {"country": ["Gone."]}}}}}, {}, b"")
    with _page(app):
        form = _form(POSTED)
        form.to_api()  # the second member sent is the third on the page (the empty one was left out)
        show_errors(form, reply)
        third = form.members.entries[2].form
        assert third.name.errors == ["Must not be blank."]
        assert third.declared.errors == ["Each member confirms the declaration."]
        assert not form.members.entries[1].form.name.errors
        assert form.members.entries[0].own_errors == ["Something about the whole item."]
        assert form.itinerary.entries[0].form.arrival.errors == ["Not a valid date."]
        assert form.itinerary.own_errors == ["Gone."]  # an item the page does not have: on the list
        links = dict(error_links(form))
        assert links["#members-2-name"] == "Members › Members: 3 › Name: Must not be blank."
        assert links["#members-2-declared"].endswith("Each member confirms the declaration.")
        assert links["#members-0"].endswith("Something about the whole item.")
        assert links["#itinerary-0-arrival"] == "Itinerary › Stop 1 › Arrival: Not a valid date."
        html = _render(form)
        assert 'id="members-2-name-errors"' in html and 'aria-describedby="members-2-name-errors"' in html
        assert 'id="members-2-declared-errors"' in html and 'id="members-0-errors"' in html

    whole = Reply(422, {"errors": {"form": {"members": ["Exactly one member must be the leader."]}}}, {}, b"")
    with _page(app):
        form = _form(POSTED)
        show_errors(form, whole)
        assert form.members.own_errors == ["Exactly one member must be the leader."]
        assert ("#members", "Members: Exactly one member must be the leader.") in error_links(form)


def test_a_refused_submission_names_the_item_in_words(app: Flask) -> None:
    with _page(app, "zh"):
        kind = kinds.get("group_trip")
        assert kind is not None
        assert kind.field_label("form.itinerary.1.arrival") == "行程 › 站点 2 › 抵达日期"
        assert kind.field_label("form.members.0.name") == "团组成员 › 团组成员：1 › 姓名"
        assert kind.field_label("form.members") == "团组成员"


def test_stored_items_show_as_numbered_summaries_in_words(app: Flask) -> None:
    stored = {"members": [{"name": "Li Wei", "leader": "yes", "declared": True},
                          {"name": "Zhang Min", "leader": "no", "declared": False}],
              "itinerary": [{"country": "DE", "arrival": "2031-05-02"}, {"country": "FR"}]}
    with _page(app, "zh"):
        kind = kinds.get("group_trip")
        assert kind is not None
        values = kind.values(stored, Context("zh"))
        members, stops = values
        assert members.label == "团组成员" and [e.label for e in members.entries] == ["团组成员：1", "团组成员：2"]
        assert [(p.label, p.text) for p in members.entries[0].parts] == [
            ("姓名", "Li Wei"), ("是否团长", "是"), ("本人确认以上信息属实", "是")]
        assert members.entries[1].parts[2].text == "否"
        assert [e.label for e in stops.entries] == ["站点 1", "站点 2"]
        assert stops.entries[0].parts[0].text == "德国 (DE)" and stops.entries[0].parts[1].text == "2031年5月2日"
        html = render_template_string('{% from "_macros.html" import form_values %}{{ form_values(v) }}', v=values)
        assert '<ol class="entries">' in html and "站点 2" in html and "法国 (FR)" in html
        assert "yes" not in html and "True" not in html and "2031-05-02" not in html
    with _page(app, "en"):
        kind = kinds.get("group_trip")
        assert kind is not None
        stops = kind.values(stored, Context("en"))[1]
        assert [p.text for p in stops.entries[0].parts] == ["Germany (DE)", "May 2, 2031"]


def test_a_staff_trips_rule_messages_read_in_the_readers_language(app: Flask) -> None:
    with _page(app, "zh"):
        assert translated("At most 5 days on a general trip to 1 country, from leaving to re-entering China (rule: "
                          "days abroad); this trip has 7.") == (
            "“一般”类出访前往 1 个国家（地区），自出境至入境至多 5 天（规则：在外天数）；本次出访 7 天。")
        assert translated("File a hong kong and macao trip at least 45 working days before leaving (rule: lead "
                          "time); filed today, the earliest departure is 2031-05-02.") == (
            "“赴港澳”类出访须至少提前 45 个工作日报批（规则：提前报批时间）；今日报批，最早出境日期为 2031年5月2日。")
        assert translated("Lodging is over the allowance: at most 7,161.00 yuan per person for this itinerary (rule: "
                          "allowances: DE 150 EUR a night, FR 160 EUR a night); asked 9,000.00.") == (
            "住宿费超出开支标准：本行程每人至多 7,161.00 元（规则：开支标准 德国 (DE) 每晚 150 EUR, 法国 (FR) 每晚 160 "
            "EUR）；申报 9,000.00 元。")
        assert translated("Exactly one member leads the group; 0 are marked as leader.") == (
            "团组须有且仅有一名团长；现有 0 人标为团长。")
        assert translated("Must not be before leaving the previous stop.") == "不得早于离开上一站的日期。"
        assert translated("At most 6 members on a general trip (rule: members per group); this group has 7.") == (
            "“一般”类出访每个团组至多 6 人（规则：团组人数）；本团组有 7 人。")
    with _page(app, "en"):
        assert translated("At most 3 countries or regions on a general trip (rule: countries per trip); this "
                          "itinerary has 4.") == ("At most 3 countries or regions on a trip of the category "
                                                  "“General” (rule: countries per trip); this itinerary has 4.")
