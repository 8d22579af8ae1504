"""The pages build a kind's form from the kinds API's metadata alone: one field per metadata field in order,
values to and from the API's form JSON, the service's 422 errors next to the right field, stored values in
words. The fixture is the API's contract, plus a kind the gateway has never heard of."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask, g, render_template_string
from flask_babel import Babel
from werkzeug.datastructures import MultiDict

from gateway.web import kinds, services
from gateway.web.forms import application_form, show_errors
from gateway.web.services import Reply
from gateway.web.widgets import WIDGETS, Context


def _l(en: str, zh: str) -> dict[str, str]:
    return {"en": en, "zh": zh}


def _field(name: str, widget: str, en: str, zh: str, **more: Any) -> dict[str, Any]:
    return {"name": name, "widget": widget, "required": True, "labels": _l(en, zh), "help": None, "choices": None,
            "min": None, "max": None, "max_length": None, "max_items": None, "fields": None, **more}


STUDENT_EXCHANGE = {
    "name": "student_exchange", "labels": _l("Student exchange", "学生交流"), "filed_by": ["student"],
    "needs_program": True, "max_days": None,
    "documents": [{"type": "transcript", "required": True, "labels": _l("Transcript", "成绩单")},
                  {"type": "language_certificate", "required": True, "labels": _l("Language certificate", "语言成绩")},
                  {"type": "other", "required": False, "labels": _l("Other", "其他")}],
    "fields": [
        _field("partner_choices", "partner_choices", "Partner choices", "志愿学校", max_items=3),
        _field("term", "term", "Term", "学期"),
        _field("gpa", "decimal", "GPA (0–4)", "GPA（0–4）", min=0, max=4),
        _field("language_certificate", "group", "Language certificate", "语言成绩", fields=[
            _field("type", "choice", "Certificate", "证书", choices=[
                {"value": "IELTS", "labels": _l("IELTS", "雅思")}, {"value": "TOEFL", "labels": _l("TOEFL", "托福")}]),
            _field("score", "decimal", "Score", "分数", min=0)]),
        _field("motivation", "text", "Motivation", "申请理由", max_length=5000,
               help=_l("Why this exchange?", "为什么申请？")),
    ],
}
SUMMER_SCHOOL = {  # a kind the gateway has no code for
    "name": "summer_school", "labels": _l("Summer school", "暑期学校"), "filed_by": ["student", "teacher"],
    "needs_program": False, "max_days": 60,
    "documents": [{"type": "poster", "required": True, "labels": _l("Poster", "海报")}],
    "fields": [
        _field("host", "line", "Host", "主办方", max_length=200),
        _field("country", "country", "Country", "国家"),
        _field("countries", "countries", "Countries", "国家列表"),
        _field("starts", "date", "Starts", "开始日期"),
        _field("seats", "integer", "Seats", "名额", min=1),
        _field("purpose", "choice", "Purpose", "目的", required=False, choices=[
            {"value": "teaching", "labels": _l("Teaching", "授课")}]),
    ],
}
CONTRACT = {"items": [STUDENT_EXCHANGE, SUMMER_SCHOOL]}
PARTNERS = {"p-1": "TU Munich (DE)", "p-2": "NUS (SG)", "p-3": "Lyon (FR)"}


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    app = Flask("gateway", root_path=str(Path(__file__).resolve().parents[2] / "gateway"))
    app.config.update(SECRET_KEY="test", WTF_CSRF_ENABLED=False)
    Babel(app, locale_selector=lambda: g.get("lang", "en"), default_translation_directories="translations")
    kinds.install(app)
    app.jinja_env.filters.update(t=services.translated, when=str)  # what _macros.html needs of the real app
    calls: list[str] = []

    def fake_get(path: str, **params: Any) -> Reply:
        calls.append(path)
        return Reply(200, copy.deepcopy(CONTRACT), {}, b"")

    monkeypatch.setattr(services, "get", fake_get)
    app.extensions["calls"] = calls
    yield app


@contextmanager
def _page(app: Flask, lang: str = "en", data: dict[str, Any] | None = None) -> Iterator[None]:
    with app.test_request_context("/", method="POST" if data else "GET", data=data):
        g.lang = lang
        g.user = SimpleNamespace(has_role=lambda role: role == "student")
        yield


def _form(kind: str, data: dict[str, Any] | None = None, lang: str = "en") -> Any:
    found = kinds.get(kind)
    assert found is not None
    ctx = Context(lang, PARTNERS, date(2026, 12, 6))
    return application_form(found, ctx, MultiDict(data) if data is not None else None)


def test_every_widget_of_the_contract_has_an_entry() -> None:
    assert set(WIDGETS) == {"line", "text", "date", "decimal", "integer", "choice", "country", "countries",
                            "partner_choices", "term", "group", "items", "boolean"}


def test_one_field_per_metadata_field_in_form_order_labelled_in_the_readers_language(app: Flask) -> None:
    with _page(app, "zh"):
        form = _form("student_exchange", lang="zh")
        names = [f.name for f in form if f.name != "csrf_token"]
        assert names == ["partner_choices", "term", "gpa", "language_certificate", "motivation"]
        assert form.gpa.label.text == "GPA（0–4）" and form.motivation.description == "为什么申请？"
        assert [e.name for e in form.partner_choices] == ["partner_choices-0", "partner_choices-1", "partner_choices-2"]
        assert [e.label.text for e in form.partner_choices][:3] == ["第一志愿", "第二志愿", "第三志愿"]
        assert ("p-2", "NUS (SG)") in form.partner_choices.entries[0].choices
        assert ("2031-fall", "2031 秋季学期") in form.term.choices
        assert [f.name for f in form.language_certificate] == ["language_certificate-type",
                                                               "language_certificate-score"]
        assert ("IELTS", "雅思") in form.language_certificate.form.type.choices
        assert 'maxlength="5000"' in form.motivation() and 'inputmode="decimal"' in form.gpa()
    with _page(app, "en"):
        assert ("2031-fall", "Fall 2031") in _form("student_exchange").term.choices


def test_a_posted_page_becomes_the_apis_form_json_and_back(app: Flask) -> None:
    posted = {"partner_choices-0": "p-2", "partner_choices-1": "", "partner_choices-2": "p-1", "term": "2031-fall",
              "gpa": " 3.72 ", "language_certificate-type": "IELTS", "language_certificate-score": "7.5",
              "motivation": "Distributed systems."}
    with _page(app, data=posted):
        form = _form("student_exchange", posted)
        sent = form.to_api()
        assert sent == {"partner_choices": ["p-2", "p-1"], "term": "2031-fall", "gpa": "3.72",
                        "language_certificate": {"type": "IELTS", "score": "7.5"}, "motivation": "Distributed systems."}
        assert list(sent) == ["partner_choices", "term", "gpa", "language_certificate", "motivation"]
        again = _form("student_exchange")
        again.from_api(sent)
        assert again.to_api() == sent
        second = again.partner_choices.entries[1]  # the blank choice in between was dropped: p-1 is second now
        selected = [re.search(r'value="([^"]*)"', attrs)[1]  # type: ignore[index]
                    for attrs in re.findall(r"<option([^>]*)>", str(second)) if re.search(r"\bselected\b", attrs)]
        assert second.data == "p-1" and selected == ["p-1"]  # held, and shown selected on the page
    with _page(app, data={"term": ""}):
        assert _form("student_exchange", {"term": ""}).to_api() == {}  # an empty draft sends nothing


def test_a_kind_the_gateway_never_heard_of_gets_its_form(app: Flask) -> None:
    posted = {"host": " Summer Lab ", "country": "de", "countries": "de, fr,,sg", "starts": "2031-07-01",
              "seats": "12", "purpose": ""}
    with _page(app, data=posted):
        form = _form("summer_school", posted)
        assert form.to_api() == {"host": "Summer Lab", "country": "DE", "countries": ["DE", "FR", "SG"],
                                 "starts": "2031-07-01", "seats": 12}
        assert 'type="date"' in form.starts()
        assert _form("summer_school", {"seats": "many"}).to_api() == {"seats": "many"}  # the service says why
        stored = _form("summer_school")
        stored.from_api({"countries": ["DE", "FR"], "seats": 12})
        assert stored.countries.data == "DE, FR" and stored.seats.data == "12"


def test_the_services_422_errors_land_next_to_their_fields_in_words(app: Flask) -> None:
    reply = Reply(422, {"title": "Unprocessable Entity", "errors": {"form": {
        "gpa": ["Must be greater than or equal to 0 and less than or equal to 4."],
        "language_certificate": {"score": ["Not a valid number."]},
        "partner_choices": {"1": ["Not a valid id."]},
        "motivation": ["Must not be blank."],
        "surprise": ["Unknown field."]}, "program_id": ["Not a valid id."]}}, {}, b"")
    with _page(app, data={"gpa": "5"}):
        form = _form("student_exchange", {"gpa": "5"})
        show_errors(form, reply)
        assert form.gpa.errors == ["Must be greater than or equal to 0 and less than or equal to 4."]
        assert form.language_certificate.form.score.errors == ["Not a valid number."]
        assert form.partner_choices.entries[1].errors == ["Not a valid id."]
        assert form.motivation.errors == ["Must not be blank."]
        assert "surprise: Unknown field." in form.form_errors and "program_id: Not a valid id." in form.form_errors
    whole = Reply(422, {"errors": {"form": {"partner_choices": ["Choose between 1 and 3 partners."],
                                            "language_certificate": ["Missing data for required field."]}}}, {}, b"")
    with _page(app):
        form = _form("student_exchange")
        show_errors(form, whole)
        assert form.partner_choices.own_errors == ["Choose between 1 and 3 partners."]
        assert form.language_certificate.own_errors == ["Missing data for required field."]


def test_submit_errors_read_in_words_documents_by_their_label(app: Flask) -> None:
    with _page(app, "zh"):
        kind = kinds.get("summer_school")
        assert kind is not None
        assert kind.explain("documents", "Upload a document of type 'poster'.") == "请上传此材料：海报。"
        assert kind.explain("form.host", "Must not be blank.").startswith("主办方: ")
    with _page(app, "en"):
        kind = kinds.get("student_exchange")
        assert kind is not None
        assert kind.field_label("form.language_certificate.score") == "Language certificate › Score"
        assert kind.explain("form.nothing", "x") == "nothing: x"


def test_stored_values_show_in_form_order_and_in_words(app: Flask) -> None:
    stored = {"motivation": "Why not.", "gpa": "3.50", "term": "2031-fall", "legacy": "kept",
              "partner_choices": ["p-3", "p-1"], "language_certificate": {"score": "7.5", "type": "IELTS"}}
    with _page(app, "zh"):
        kind = kinds.get("student_exchange")
        assert kind is not None
        values = kind.values(stored, Context("zh", PARTNERS))
        assert [v.label for v in values] == ["志愿学校", "学期", "GPA（0–4）", "语言成绩", "申请理由", "legacy"]
        assert values[0].items == ("Lyon (FR)", "TU Munich (DE)") and values[1].text == "2031 秋季学期"
        assert [(p.label, p.text) for p in values[3].parts] == [("证书", "雅思"), ("分数", "7.5")]
        html = render_template_string('{% from "_macros.html" import form_values %}{{ form_values(v) }}', v=values)
        assert html.index("志愿学校") < html.index("申请理由") and "<ol><li>Lyon (FR)</li>" in html
    with _page(app, "en"):
        summer = kinds.get("summer_school")
        assert summer is not None
        shown = summer.values({"country": "DE", "countries": ["FR", "SG"]}, Context("en"))
        assert [v.text for v in shown] == ["Germany (DE)", "France (FR), Singapore (SG)"]


def test_labels_for_filters_macros_and_the_cache(app: Flask) -> None:
    with _page(app, "zh"):
        assert kinds.labels() == {"student_exchange": "学生交流", "summer_school": "暑期学校"}
        assert render_template_string('{% from "_macros.html" import kind %}{{ kind("summer_school") }}') == "暑期学校"
        assert kinds.kind_name("no_such_kind") == "no_such_kind"
        assert kinds.document_name("summer_school", "poster") == "海报"
        assert kinds.title_of({"title": "Plain", "titles": _l("English", "中文")}) == "中文"
        assert kinds.title_of({"title": "Plain"}) == "Plain"
        student = kinds.get("student_exchange")
        assert student is not None and student.may_be_filed_by(g.user) and student.needs_program
        assert [t for t, _ in student.document_choices()] == ["transcript", "language_certificate", "other"]
    with _page(app, "en"):
        assert kinds.labels()["summer_school"] == "Summer school"
    assert app.extensions["calls"] == ["kinds"]  # the second page read the kept copy
    kinds.forget(app)
    with _page(app):
        kinds.catalog()
    assert app.extensions["calls"] == ["kinds", "kinds"]
