"""Message texts per event type in zh and en; links are built from the configured public base URL only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "application.submitted": {
        "zh": ("申请已提交：{title}", "您的申请“{title}”已提交，正在等待审核。"),
        "en": ("Application submitted: {title}", "Your application \"{title}\" was submitted and awaits review."),
    },
    "application.resubmitted": {
        "zh": ("申请已重新提交：{title}", "您修改后的申请“{title}”已重新提交，正在等待审核。"),
        "en": ("Application resubmitted: {title}", "Your revised application \"{title}\" was resubmitted."),
    },
    "application.changes_requested": {
        "zh": ("申请需要修改：{title}", "审核人要求修改您的申请“{title}”：{comment}"),
        "en": ("Changes requested: {title}", "The reviewers ask you to change \"{title}\": {comment}"),
    },
    "application.approved": {
        "zh": ("申请已批准：{title}", "您的申请“{title}”已获批准。{comment}"),
        "en": ("Application approved: {title}", "Your application \"{title}\" was approved. {comment}"),
    },
    "application.rejected": {
        "zh": ("申请未获批准：{title}", "您的申请“{title}”未获批准：{comment}"),
        "en": ("Application not approved: {title}", "Your application \"{title}\" was not approved: {comment}"),
    },
    "application.withdrawn": {
        "zh": ("申请已撤回：{title}", "您已撤回申请“{title}”。"),
        "en": ("Application withdrawn: {title}", "You withdrew the application \"{title}\"."),
    },
    "application.cancelled": {
        "zh": ("已批准的申请已取消：{title}",
               "已批准的申请“{title}”已取消，其任务批件（如有）随之作废。原因：{reason}"),
        "en": ("Approved application cancelled: {title}", "The approved application \"{title}\" was cancelled, and "
               "its approval document, where it has one, with it. Reason: {reason}"),
    },
    "application.changed": {
        "zh": ("变更已批准：{title}", "申请“{title}”的变更已获批准，任务批件已随之更新为新版本。{comment}"),
        "en": ("Change approved: {title}", "The change of \"{title}\" was approved; its approval document has a new "
               "revision. {comment}"),
    },
    "application.change_rejected": {
        "zh": ("变更未获批准：{title}", "申请“{title}”的变更未获批准，已批准的内容继续有效：{comment}"),
        "en": ("Change not approved: {title}", "The change of \"{title}\" was not approved; the approved trip "
               "stands: {comment}"),
    },
    "publicity.objection_decided": {
        "zh": ("公示异议已处理：{title}", "对“{title}”公示提出的异议已由国际合作处处理，处理结果见申请页面。"),
        "en": ("Objection decided: {title}", "The office decided the objection to the publicity of \"{title}\"; the "
               "application's page shows what follows."),
    },
    "review.task_overdue": {
        "zh": ("审核任务逾期：{title}", "第 {level} 级审核任务“{title}”已逾期 {days_overdue} 天（截止 {due_at}）。"),
        "en": ("Overdue review: {title}", "The level {level} review of \"{title}\" is {days_overdue} day(s) overdue."),
    },
    "review.task_escalated": {
        "zh": ("审核任务已上报：{title}", "第 {level} 级审核任务“{title}”长期逾期，已上报主管。"),
        "en": ("Review escalated: {title}", "The level {level} review of \"{title}\" is long overdue and escalated."),
    },
    "webhook.disabled": {
        "zh": ("Webhook 已停用：{url}",
               "订阅 {subscription_id}（{url}）连续失败 {failures} 次，已停用。请修复接收方后重新启用。"),
        "en": ("Webhook disabled: {url}", "The subscription {subscription_id} to {url} failed {failures} times in a "
               "row and has been disabled. Fix the receiver, then re-enable it (PATCH active=true)."),
    },
    "publicity.opened": {
        "zh": ("出访公示开始：{title}",
               "您的出访“{title}”已开始公示：{opened_on} 起 {working_days} 个工作日，至 {ends_on} 止。"),
        "en": ("Publicity period begun: {title}",
               "The trip \"{title}\" is publicised from {opened_on} for {working_days} working days, until {ends_on}."),
    },
    "publicity.objection_lodged": {
        "zh": ("公示收到异议：{title}",
               "“{title}”的公示收到一条异议，公示已暂停，请处理（剩余 {remaining_working_days} 个工作日）。"),
        "en": ("Objection to a publicised trip: {title}", "An objection to the publicised trip \"{title}\" was lodged; "
               "the period is paused until it is decided ({remaining_working_days} working days left)."),
    },
    "publicity.ended": {
        "zh": ("出访公示结束：{title}", "您的出访“{title}”的公示已结束，结果请见申请页面。"),
        "en": ("Publicity period ended: {title}", "The publicity period of the trip \"{title}\" has ended; the "
               "application's page shows what follows."),
    },
    "review.task_created": {
        "zh": ("新的审核任务：{title}", "{applicant} 的申请“{title}”等待您审核（第 {level} 级），截止 {due_at}。"),
        "en": (
            "New review task: {title}",
            "The application \"{title}\" by {applicant} awaits your review (level {level}), due {due_at}.",
        ),
    },
}


FOR_THE_APPLICANT = ("publicity.opened", "publicity.ended")


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


OFFICE_ZONE = "Asia/Shanghai"
# What the office calls its own zone in Chinese (CLDR says 中国时间): the name people write on a deadline.
ZONE_NAMES = {("Asia/Shanghai", "zh"): "北京时间"}
TIME_FORMATS = {"zh": ("y年M月d日 HH:mm", "{time}（{zone}）"), "en": ("d MMM y, HH:mm", "{time} ({zone})")}
TIMES = ("due_at",)  # the instants the texts show: in the office's time zone, named, as the reader writes dates


def when(value: str, locale: str, timezone: str = OFFICE_ZONE) -> str:
    """An ISO instant as "2026年12月11日 13:14（北京时间）" or "11 Dec 2026, 13:14 (China Time)"; as given if it is
    not one."""
    from babel.dates import format_datetime, get_timezone_name

    try:
        instant = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    language = locale if locale in TIME_FORMATS else "zh"
    pattern, labelled = TIME_FORMATS[language]
    zone = ZoneInfo(timezone)
    name = ZONE_NAMES.get((timezone, language)) or get_timezone_name(
        zone, "long", locale="zh_CN" if language == "zh" else "en")
    return labelled.format(time=format_datetime(instant, pattern, tzinfo=zone, locale=language), zone=name)


def link_for(data: dict[str, Any], public_base_url: str) -> str:
    """Where the reader acts: a reviewer on the task's page, an applicant on the application's. A task's link
    still ends with its application's id (a query the page ignores), so whoever matched a notice to its
    application by its link still can."""
    if data.get("task_id") and data.get("application_id"):
        return f"{public_base_url}/tasks/{data['task_id']}?application={data['application_id']}"
    if data.get("task_id"):
        return f"{public_base_url}/tasks/{data['task_id']}"
    if data.get("application_id"):
        return f"{public_base_url}/applications/{data['application_id']}"
    return public_base_url


def render(event_type: str, locale: str, data: dict[str, Any], public_base_url: str,
           timezone: str = OFFICE_ZONE) -> Rendered:
    texts = TEXTS[event_type]
    subject, body = texts.get(locale) or texts["zh"]
    values = {k: "" if v is None else v for k, v in data.items()}
    values["title"] = data.get("title") or data.get("application_id", "")
    for key in TIMES:
        if data.get(key):
            values[key] = when(data[key], locale, timezone)
    # News for the applicant about a task's level leads to the application, not to the reviewers' task page.
    link = link_for({**data, "task_id": None} if event_type in FOR_THE_APPLICANT else data, public_base_url)
    text = body.format_map(_Default(values))
    return Rendered(subject=subject.format_map(_Default(values)), body=f"{text}\n\n{link}\n", link=link)


def html(subject: str, body: str, link: str | None) -> str:
    """The HTML alternative of a mail: the same text, escaped, with the link as a link."""
    paragraphs = "".join(
        f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n") if p.strip() and p.strip() != link
    )
    button = f'<p><a href="{escape(link, quote=True)}">{escape(link)}</a></p>' if link else ""
    return (f'<!doctype html><html><head><meta charset="utf-8"><title>{escape(subject)}</title></head>'
            f"<body>{paragraphs}{button}</body></html>")


class _Default(dict):  # type: ignore[type-arg]
    def __missing__(self, key: str) -> str:
        return ""
