"""Staff trip abroad (因公出国（境）): a group (团组) of one or more members of staff, one of them the leader, on an
itinerary of stops abroad, in a category with its own limits (一般, 教学科研, 赴港澳, 赴台), with an invitation, a
funding source and budget lines per person. The office's rules for the category (days, countries, members, lead
time, allowances: trip_rules.py) are checked at filing; a stated exception lets a breach through and adds a review
level; the group's public notice (公示) goes out with the submission.

The API name stays `faculty_exchange`. The single-destination shorthand of earlier clients (destination_institution
and destination_country, no category) is still accepted: one stop, the applicant travelling alone, judged by the
period rules only (the category's limits need a category; the pages always ask for one).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates_schema

from services.applications import trip_rules
from services.applications.kinds import Choice, Document, Field, Kind, labels
from services.applications.kinds.fields import BUDGET, country, line, stored_date, stored_period, text

if TYPE_CHECKING:
    from services.applications.models import Program

MAX_DAYS = 365
MAX_MEMBERS = 50  # what one filing holds; the category's limit (6 for general trips) is the office's rule
MAX_STOPS = 20
PURPOSES = (
    Choice("conference", labels("Conference", "参加学术会议")),
    Choice("joint_research", labels("Joint research", "合作研究")),
    Choice("visiting_scholar", labels("Visiting scholar", "访问学者")),
    Choice("teaching", labels("Teaching", "授课")),
)
CATEGORIES = tuple(Choice(name, words) for name, words in trip_rules.CATEGORIES.items())
ABROAD = (
    Choice("none", labels("Neither", "无")),
    Choice("foreign_nationality", labels("Holds a foreign nationality", "持有外国国籍")),
    Choice("permanent_residence", labels("Holds permanent residence abroad", "持有境外永久居留权")),
)
PASSPORTS = (
    Choice("official_passport", labels("Official passport", "因公护照")),
    Choice("hk_macao_permit", labels("Hong Kong and Macao permit", "往来港澳通行证")),
    Choice("taiwan_permit", labels("Taiwan permit", "大陆居民往来台湾通行证")),
)
YES_NO = (Choice("yes", labels("Yes", "是")), Choice("no", labels("No", "否")))
BUDGET_LINES = (
    ("international_travel", labels("International travel", "国际旅费")),
    ("lodging", labels("Lodging", "住宿费")),
    ("meals_incidentals", labels("Meals and incidentals", "伙食费和公杂费")),
    ("other", labels("Other", "其他费用")),
)
NEW_SHAPE = ("members", "itinerary", "tasks", "inviter_institution", "budget_lines")
SHORTHAND = ("destination_institution", "destination_country")


def _one_of(choices: tuple[Choice, ...], **kwargs: Any) -> fields.String:
    return fields.String(validate=validate.OneOf([c.value for c in choices]), **kwargs)


def _amount() -> fields.Decimal:
    return fields.Decimal(required=True, places=2, as_string=True,
                          validate=validate.Range(min=0, error="Must not be negative."))


class MemberForm(Schema):
    name = line(max_length=80, required=True)
    staff_number = line(max_length=40, required=True)
    school = line(max_length=120, required=True)
    post = line(max_length=120, required=True)
    title = line(max_length=120, required=True)
    leader = _one_of(YES_NO, required=True)
    abroad_status = _one_of(ABROAD, required=True)
    declared = fields.Boolean(required=True, validate=validate.Equal(
        True, error="Each member confirms the declaration."))
    passport_type = _one_of(PASSPORTS, required=True)


class StopForm(Schema):
    country = country(required=True)
    city = line(max_length=120, required=True)
    institution = line(required=True)
    arrival = fields.Date(required=True)
    departure = fields.Date(required=True)


class BudgetLinesForm(Schema):
    international_travel = _amount()
    lodging = _amount()
    meals_incidentals = _amount()
    other = _amount()


class FacultyExchangeForm(Schema):
    category = _one_of(CATEGORIES, metadata={"needed": True})
    purpose = _one_of(PURPOSES, required=True)
    tasks = text(metadata={"needed": True})
    start_date = fields.Date(required=True)
    end_date = fields.Date(required=True)
    members = fields.List(fields.Nested(MemberForm), metadata={"needed": True},
                          validate=validate.Length(min=1, max=MAX_MEMBERS))
    itinerary = fields.List(fields.Nested(StopForm), metadata={"needed": True},
                            validate=validate.Length(min=1, max=MAX_STOPS))
    inviter_institution = line(metadata={"needed": True})
    inviter_description = text(max_length=2000, metadata={"needed": True})
    funding_source = line(required=True)
    budget_lines = fields.Nested(BudgetLinesForm, metadata={"needed": True})
    budget = fields.Decimal(places=2, as_string=True, validate=validate.Range(min=0, error="Must not be negative."),
                            metadata={"offered": False})  # the shorthand's; a group's is worked out
    exception_reason = text(max_length=2000)
    destination_institution = line(metadata={"offered": False})
    destination_country = country(metadata={"offered": False})

    @validates_schema(skip_on_field_errors=False)
    def _shape(self, data: dict[str, Any], *, partial: Any = None, **_: object) -> None:
        """A group trip (with a category) needs its members, stops, tasks, inviter and budget lines; the shorthand
        of earlier clients (no category) its destination. Drafts may be incomplete."""
        errors: dict[str, list[str]] = {}
        if "category" in data and any(name in data for name in SHORTHAND):
            errors.update({name: ["Give the itinerary's stops instead."] for name in SHORTHAND if name in data})
        if not partial:
            shorthand = "category" not in data and "itinerary" not in data and any(n in data for n in SHORTHAND)
            needed = (*SHORTHAND, "budget") if shorthand else ("category", *NEW_SHAPE)
            errors.update({name: ["Missing data for required field."] for name in needed if name not in data})
        if errors:
            raise ValidationError(errors)

    @post_load
    def _total(self, data: dict[str, Any], **_: object) -> dict[str, Any]:
        """With budget lines, the total is theirs times the members: the service states it, never the client."""
        lines, members = data.get("budget_lines"), data.get("members")
        if lines and members:
            data["budget"] = sum(lines.values(), Decimal(0)) * len(members)
        return data


def _fields(schema: type[Schema], words: dict[str, dict[str, str]], widgets: dict[str, str],
            choices: dict[str, tuple[Choice, ...]]) -> tuple[Field, ...]:
    return tuple(Field(name, widgets.get(name, "line"), words[name], choices=choices.get(name))
                 for name in schema._declared_fields)


MEMBER_FIELDS = _fields(MemberForm, {
    "name": labels("Name", "姓名"), "staff_number": labels("Staff number", "工号"),
    "school": labels("School or unit", "所在单位"), "post": labels("Post", "职务"), "title": labels("Title", "职称"),
    "leader": labels("Leads the group", "是否团长"),
    "abroad_status": labels("Foreign nationality or permanent residence abroad", "是否持有外国国籍或境外永久居留权"),
    "declared": labels("I confirm this member's answers are true", "本人确认以上信息属实"),
    "passport_type": labels("Passport or permit", "证照类型"),
}, {"leader": "choice", "abroad_status": "choice", "declared": "boolean", "passport_type": "choice"},
    {"leader": YES_NO, "abroad_status": ABROAD, "passport_type": PASSPORTS})
STOP_FIELDS = _fields(StopForm, {
    "country": labels("Country or region", "国家（地区）"), "city": labels("City", "城市"),
    "institution": labels("Host institution", "接待单位"), "arrival": labels("Arrival", "抵达日期"),
    "departure": labels("Departure", "离开日期"),
}, {"country": "country", "arrival": "date", "departure": "date"}, {})
BUDGET_FIELDS = tuple(Field(name, "decimal", words, help=labels("Yuan per person.", "每人，单位：元。"))
                      for name, words in BUDGET_LINES)

FIELDS = (
    Field("category", "choice", labels("Category", "出访类别"), choices=CATEGORIES),
    Field("purpose", "choice", labels("Purpose", "出访目的"), choices=PURPOSES),
    Field("tasks", "text", labels("Purpose and tasks", "出访任务"),
          help=labels("What the group will do at each stop.", "说明在各地的具体任务。")),
    Field("start_date", "date", labels("Leaving China", "出境日期"),
          help=labels("The day the group leaves China.", "离开中国（境）的日期。")),
    Field("end_date", "date", labels("Back in China", "入境日期"),
          help=labels("The day the group is back; counted in the trip's days.",
                      "回到中国（境）的日期，计入在外天数。")),
    Field("members", "items", labels("Members", "团组成员"), fields=MEMBER_FIELDS,
          help=labels("Everyone travelling, one of them the leader.", "全部出访人员，其中一人为团长。")),
    Field("itinerary", "items", labels("Itinerary", "行程"), fields=STOP_FIELDS,
          help=labels("Each stop abroad, in order.", "按顺序填写境外各站。")),
    Field("inviter_institution", "line", labels("Inviting institution", "邀请单位")),
    Field("inviter_description", "text", labels("About the inviter", "邀请方情况"),
          help=labels("Who invites the group and how the institution relates to us.",
                      "邀请人及邀请单位与我校的关系。")),
    Field("funding_source", "line", labels("Funding source", "经费来源")),
    Field("budget_lines", "group", labels("Budget per person", "人均预算"), fields=BUDGET_FIELDS),
    Field(BUDGET.name, BUDGET.widget, labels("Total budget (CNY)", "预算总额（元）"),
          help=labels("Worked out from the budget per person and the members.", "按人均预算和人数计算。")),
    Field("exception_reason", "text", labels("Exception asked for", "申请例外的理由"),
          help=labels("Only if the trip needs an exception to the office's rules; it adds a review level.",
                      "仅当出访超出规定时填写，将增加一级审批。")),
    Field("destination_institution", "line", labels("Host institution", "接收单位")),
    Field("destination_country", "country", labels("Country or region", "国家（地区）")),
)


def stops(form: dict[str, Any]) -> list[dict[str, Any]]:
    """The itinerary, or the shorthand's one stop."""
    if form.get("itinerary"):
        return list(form["itinerary"])
    if form.get("destination_country") or form.get("destination_institution"):
        return [{"country": form.get("destination_country"), "city": None,
                 "institution": form.get("destination_institution"),
                 "arrival": form.get("start_date"), "departure": form.get("end_date")}]
    return []


def title(form: dict[str, Any], program: Program | None) -> dict[str, str]:
    places = [s["institution"] for s in stops(form) if s.get("institution")]
    purpose = next((p.labels for p in PURPOSES if p.value == form.get("purpose")), None)
    if purpose is None and not places:  # an empty draft: a neutral name until the form says more
        return labels("Staff trip abroad (draft)", "因公出国（境）（草稿）")
    purpose = purpose or labels("Trip", "出访")
    if not places:
        return labels(f"{purpose['en']} abroad (draft)", f"赴境外{purpose['zh']}（草稿）")
    more_en = f" and {len(places) - 1} more" if len(places) > 1 else ""
    more_zh = "等地" if len(places) > 1 else ""
    return labels(f"{purpose['en']} at {places[0]}{more_en}", f"赴{places[0]}{more_zh}{purpose['zh']}")


def facts(form: dict[str, Any], program: Program | None) -> dict[str, Any]:
    start, end = stored_period(form)
    first = (stops(form) or [{}])[0]
    return {"direction": "outbound", "people": len(form.get("members") or ()) or 1, "partner_id": None,
            "partner_name": first.get("institution"), "country": first.get("country"),
            "start_date": start, "end_date": end}


def checks(form: dict[str, Any], reference: Any, today: date) -> dict[str, str]:
    """The group as such (one leader; each stop inside the trip, in order), then the office's limits for its
    category, unless a stated exception lets a breach through."""
    errors = trip_rules.consistency(form)
    if isinstance(reference, trip_rules.Reference) and form.get("category"):
        for breach in trip_rules.breaches(form, reference, today):
            if not (breach.waivable and form.get("exception_reason")):
                errors.setdefault(breach.field, breach.message)
    return errors


def assess(form: dict[str, Any], reference: Any) -> dict[str, Any]:
    """What the chain's conditions read: the rules the stated exception lets through, and the school's plan."""
    if not isinstance(reference, trip_rules.Reference) or not form.get("category"):
        return {"rule_exceptions": [], "outside_plan": None}
    breaches = trip_rules.breaches(form, reference, None)
    return {"rule_exceptions": sorted({b.rule for b in breaches if b.waivable}),
            "outside_plan": trip_rules.outside_plan(form, reference)}


def notice(form: dict[str, Any]) -> dict[str, Any]:
    """The 公示: members' names, schools and posts; countries; tasks; schedule; inviter; funding; budget."""
    schedule = [{key: stop.get(key) for key in ("country", "city", "institution", "arrival", "departure")}
                for stop in stops(form)]
    return {
        "members": [{key: m.get(key) for key in ("name", "school", "post")} for m in form.get("members") or ()],
        "countries": list(dict.fromkeys(s["country"] for s in schedule if s.get("country"))),
        "tasks": form.get("tasks"), "schedule": schedule,
        "start_date": form.get("start_date"), "end_date": form.get("end_date"),
        "inviter": {"institution": form.get("inviter_institution"), "description": form.get("inviter_description")},
        "funding_source": form.get("funding_source"), "budget": form.get("budget"),
    }


def with_end(form: dict[str, Any], end: date) -> dict[str, Any]:
    """The trip coming back to China on `end`: the last stop is left as many days later (or earlier) as the return
    moves, so it stays inside the trip; the shorthand's one stop is its dates."""
    moved = {**form, "end_date": end.isoformat()}
    before = stored_date(form.get("end_date"))
    if form.get("itinerary") and before is not None:
        last = dict(form["itinerary"][-1])
        departure = stored_date(last.get("departure"))
        if departure is not None:
            last["departure"] = min(departure + (end - before), end).isoformat()
        moved["itinerary"] = [*form["itinerary"][:-1], last]
    return moved


def travellers(form: dict[str, Any], applicant_name: str) -> list[dict[str, Any]]:
    """Each member, the one marked as leader as `leader`; the shorthand's applicant travels alone and leads."""
    members = [m for m in form.get("members") or () if isinstance(m, dict)]
    if not members:
        return [{"name": applicant_name, "staff_number": None, "role": "leader"}]
    return [{"name": m.get("name") or "", "staff_number": m.get("staff_number") or None,
             "role": "leader" if m.get("leader") == "yes" else "member"} for m in members]


KIND = Kind(
    name="faculty_exchange",
    labels=labels("Staff trip abroad", "因公出国（境）"),
    form=FacultyExchangeForm,
    fields=FIELDS,
    filed_by=frozenset({"teacher", "staff"}),
    needs_program=False,
    documents=(Document("invitation_letter", labels("Invitation letter", "邀请函")),),
    title=title,
    facts=facts,
    reference=trip_rules.load,
    checks=checks,
    assess=assess,
    notice=notice,
    max_days=MAX_DAYS,
    default_chain=(
        {"role": "school_coordinator", "scope": "school", "days": 5},
        {"role": "school_dean", "scope": "school", "days": 5},
        {"role": "icd_officer", "scope": "university", "days": 7},
        {"role": "vice_president", "scope": "university", "days": 7,
         "condition": {"any": [{"duration_days_over": 30}, {"budget_over": "50000.00"}]}},
    ),
    counts={"outbound_staff": "people"},  # people are counted from members
    approval_document=True,
    with_end=with_end,
    travellers=travellers,
)
