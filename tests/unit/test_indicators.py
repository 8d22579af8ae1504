"""The counting rules, pure: facts from forms, the academic year, duration bands, regions, the review times,
the SVG charts, and docs/indicators.md saying word for word what the code counts."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pypdf
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from gateway.web.charts import bar_chart
from gateway.web.exports import Percent, Report, Table, to_csv, to_pdf, to_xlsx
from services.applications import indicators
from services.applications.facts import academic_year, duration_band, mobility_facts, term_period
from services.applications.models import Base, MobilityFact, Partner, Program, ReviewStep
from services.applications.regions import region_of

DOC = Path(__file__).resolve().parents[2] / "docs" / "indicators.md"


def test_the_academic_year_starts_on_the_first_of_september() -> None:
    assert academic_year(date(2031, 8, 31)) == 2030
    assert academic_year(date(2031, 9, 1)) == 2031
    assert term_period("2031-fall") == (date(2031, 9, 1), date(2032, 1, 31))
    assert term_period("2032-spring") == (date(2032, 2, 1), date(2032, 7, 31))


def test_duration_bands_include_their_last_day() -> None:
    assert [duration_band(d) for d in (1, 14, 15, 92, 93, 184, 185, None)] == [
        "two_weeks_or_less", "two_weeks_or_less", "up_to_three_months", "up_to_three_months",
        "up_to_six_months", "up_to_six_months", "over_six_months", None]


def test_regions_by_precedence_asean_first_then_belt_and_road() -> None:
    assert [region_of(c) for c in ("SG", "KZ", "PL", "DE", "CA", "BR", "JP", None)] == [
        "asean", "belt_and_road", "belt_and_road", "europe", "americas", "americas", "other", "other"]


def test_the_facts_of_each_kind() -> None:
    kmutt = Partner(id="p-kmutt", name="KMUTT", country="TH", region="belt_and_road")  # the office's choice wins
    program = Program(id="prog", partners=[kmutt])
    student = mobility_facts("student_exchange", {"partner_choices": ["p-kmutt"], "term": "2032-spring"}, program)
    assert student == {"direction": "outbound", "people": 1, "partner_id": "p-kmutt", "partner_name": "KMUTT",
                       "country": "TH", "region": "belt_and_road", "start_date": "2032-02-01",
                       "end_date": "2032-07-31", "duration_days": 182, "duration_band": "up_to_six_months",
                       "academic_year": 2031}
    trip = mobility_facts("faculty_exchange", {"destination_institution": "MIT", "destination_country": "US",
                                               "start_date": "2031-03-01", "end_date": "2031-03-14"}, None)
    assert (trip["direction"], trip["partner_name"], trip["region"], trip["duration_band"], trip["academic_year"]) \
        == ("outbound", "MIT", "americas", "two_weeks_or_less", 2030)
    event = mobility_facts("hosted_event", {"countries": ["VN", "DE"], "delegation_size": 9,
                                            "start_date": "2031-10-01", "end_date": "2031-10-03"}, None)
    assert (event["direction"], event["people"], event["country"], event["region"]) == ("inbound", 9, "VN", "asean")
    draft = mobility_facts("foreign_expert", {}, None)  # a draft withdrawn before it had dates
    assert draft["academic_year"] is None and draft["region"] is None and draft["direction"] == "inbound"


def test_review_times_and_return_rate_per_level() -> None:
    engine = create_engine("sqlite://")  # the queries run where the embedded system runs them
    Base.metadata.create_all(engine)
    opened = datetime(2031, 10, 1, tzinfo=UTC)
    steps = [(1, "approve", 2), (1, "return", 4), (1, "approve", 9), (1, None, None), (2, "reject", 1),
             (2, "approve", None)]  # an undecided task, and a decision whose opening was never seen
    with Session(engine) as session, session.begin():
        session.add(MobilityFact(application_id="a", version=2, kind="faculty_exchange", school="cs",
                                 status="submitted", direction="outbound", people=1))
        for i, (level, outcome, hours) in enumerate(steps):
            session.add(ReviewStep(task_id=str(i), application_id="a", level=level, outcome=outcome,
                                   created_at=opened if hours is not None or outcome is None else None,
                                   decided_at=opened + timedelta(hours=hours or 0) if outcome else None))
    with Session(engine) as session:
        decisions = session.execute(indicators.decisions_query([])).all()
        durations = session.execute(indicators.hours_query([], "sqlite")).all()
        other_school = session.execute(indicators.decisions_query([MobilityFact.school == "me"])).all()
    assert indicators.review_levels(decisions, durations) == [
        {"level": 1, "decisions": 3, "approve": 2, "return": 1, "reject": 0, "return_rate": 0.3333,
         "median_hours": 4.0, "mean_hours": 5.0},
        {"level": 2, "decisions": 2, "approve": 1, "return": 0, "reject": 1, "return_rate": 0.0,
         "median_hours": 1.0, "mean_hours": 1.0},
    ]
    assert indicators.review_levels(decisions, [])[0]["median_hours"] is None
    assert indicators.review_levels(other_school, []) == []


def test_completed_means_the_last_day_is_before_the_reporting_date() -> None:
    engine = create_engine("sqlite://")  # the queries run where the embedded system runs them
    Base.metadata.create_all(engine)
    with Session(engine) as session, session.begin():
        for end, status in ((date(2031, 3, 28), "approved"), (date(2031, 3, 29), "approved"),
                            (date(2031, 3, 1), "rejected")):
            session.add(MobilityFact(application_id=str(end) + status, version=4, kind="faculty_exchange",
                                     school="cs", status=status, direction="outbound", people=1, region="europe",
                                     end_date=end, academic_year=2030))
    with Session(engine) as session:
        counts = session.execute(indicators.summary_query(date(2031, 3, 29), [])).one()._mapping
        assert (counts["completed"], counts["approved"], counts["rejected"]) == (1, 2, 1)
        rows = session.execute(indicators.table_query("region", date(2031, 3, 30), []))
        assert indicators.table("region", rows) == [{"key": "europe", "approved": 2, "completed": 2, "people": 2,
                                                     "people_outbound": 2, "people_inbound": 0}]


def test_tables_put_the_largest_first_and_the_group_without_a_key_last() -> None:
    def row(key: object, approved: int) -> SimpleNamespace:
        return SimpleNamespace(key=key, approved=approved, completed=0, people_outbound=approved, people_inbound=0)

    rows = [row("École Polytechnique", 1), row(None, 3), row("MIT", 1), row("NUS", 2)]
    assert [g["key"] for g in indicators.table("partner", rows)] == [None, "NUS", "MIT", "École Polytechnique"]
    tied = [r for r in rows if r.approved < 3] + [row(None, 1)]
    assert [g["key"] for g in indicators.table("partner", tied)] == ["NUS", "MIT", "École Polytechnique", None]
    years = [row(k, 1) for k in (2031, None, 2029)]
    assert [g["key"] for g in indicators.table("academic_year", years)] == [2029, 2031, None]


def test_charts_escape_their_labels_and_scale_to_the_largest_bar() -> None:
    svg = str(bar_chart("By <school>", [("<script>alert(1)</script>", 4), ("B & C", 2)]))
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "B &amp; C" in svg
    assert 'data-value="4"' in svg and 'width="400.0"' in svg and 'width="200.0"' in svg
    assert "style=" not in svg  # the page's CSP allows no inline style


def test_docs_say_word_for_word_what_each_indicator_counts() -> None:
    doc = DOC.read_text(encoding="utf-8")
    for definition in (*indicators.DEFINITIONS, *indicators.TABLE_DEFINITIONS):
        assert f"`{definition.key}`" in doc, definition.key
        assert definition.title in doc and definition.definition in doc, definition.key


def test_exported_cells_are_text_that_never_runs_as_a_formula() -> None:
    table = Table("partner", "By partner", ["Partner", "Approved"], [
        ['=HYPERLINK("http://evil.example","x")', 1], ["+1-2", 2], ["@SUM(A1)", 3], ["Bell\x07 Labs", 4],
        ["-", 5], ["Politecnico di Milano", 6]])
    expected = ["'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1-2", "'@SUM(A1)", "Bell Labs", "'-",
                "Politecnico di Milano"]
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == expected and [r[1] for r in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == expected and {c.data_type for c in cells} == {"s"}
    assert [row[1].value for row in sheet.iter_rows(min_row=2)] == [1, 2, 3, 4, 5, 6]


def test_full_width_formula_signs_are_neutralised_too() -> None:
    """Applicants type in Chinese input methods: ＝ ＋ － ＠ start formulas in some spreadsheets as well."""
    table = Table("partner", "By partner", ["Partner", "Approved"], [["＝1+1", 1], ["＠x", 2], ["\n=1", 3]])
    rows = list(csv.reader(io.StringIO(to_csv(table).decode("utf-8-sig"))))
    assert all(r[0].startswith("'") for r in rows[1:])


def test_the_pdf_prints_western_and_chinese_names_in_their_fonts() -> None:
    table = Table("partner", "按合作院校", ["合作院校", "已批准"], [["Technische Universität Berlin", 1],
                                                                   ["Łódź University of Technology", 2],
                                                                   ["上海交通大学", Percent(0.5)], ["<b>x</b>", None]])
    pdf = to_pdf(Report("国际交流统计报告", "2031–2032 学年", "ICD Officer", [table], "口径", [("甲", "乙")], "无"),
                 chinese=True)
    words = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for shown in ("Technische Universität Berlin", "Lódz University", "上海交通大学", "50.0%", "<b>x</b>", "—",
                  "2031–2032"):
        assert shown in words, shown
