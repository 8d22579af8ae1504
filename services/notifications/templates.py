"""Message texts per event type in zh and en; links are built from the configured public base URL only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
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
    "application.changed:extension": {
        "zh": ("延期已批准：{title}", "“{title}”的延期申请已获批准，新的结束日期见出访记录。{comment}"),
        "en": ("Extension approved: {title}", "The extension of \"{title}\" was approved; the record of the stay "
               "shows its new end. {comment}"),
    },
    "application.change_rejected:extension": {
        "zh": ("延期未获批准：{title}", "“{title}”的延期申请未获批准，请按原批准的日期返回：{comment}"),
        "en": ("Extension not approved: {title}", "The extension of \"{title}\" was not approved; come back by "
               "the approved date: {comment}"),
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
    # After approval. {what}, {todo}, {who}, the days and the notes are words made from the event (mobility_values);
    # a type whose data says different things has variants, "<type>:<variant>" (VARIANTS).
    "mobility.due_soon": {
        "zh": ("即将到期：{what}（{title}）",
               "“{title}”{who}的{what}将于 {due_on} 到期。请在此之前{todo}。"),
        "en": ("Due soon: the {what} for {title}",
               "The {what} for \"{title}\"{who} is due on {due_on}. Before then, please {todo}."),
    },
    "mobility.overdue": {
        "zh": ("已逾期：{what}（{title}）",
               "“{title}”{who}的{what}已于 {due_on} 到期，现已逾期 {days_overdue} 天。需要尽快{todo}。{hold_note}"),
        "en": ("Overdue: the {what} for {title}",
               "The {what} for \"{title}\"{who} was due on {due_on} and is {days_overdue} day(s) overdue. Still to "
               "do, as soon as possible: {todo}.{hold_note}"),
    },
    "mobility.report_decided": {
        "zh": ("{what}被退回：{title}",
               "“{title}”{who}的{what}被{stage}退回{due_note}。请按意见修改后在系统中重新提交。{comment_note}"),
        "en": ("{What} returned: {title}",
               "{stage_cap} returned the {what} for \"{title}\"{who}{due_note}. Please revise it as the comment "
               "asks and submit it again in Mobility.{comment_note}"),
    },
    "mobility.report_submitted": {
        "zh": ("待审核的{what}：{title}",
               "“{title}”{who}的{what}已提交，请在系统中审核（接受或退回并说明意见）。"),
        "en": ("{What} to review: {title}",
               "The {what} for \"{title}\"{who} was handed in. Please review it in Mobility: accept it, or return "
               "it with a comment."),
    },
    "mobility.report_decided:school": {
        "zh": ("{what}已通过学院审核：{title}",
               "“{title}”{who}的{what}已通过学院审核，现转国际合作处审核，您无需操作。{comment_note}"),
        "en": ("{What} accepted by the school: {title}",
               "Your school accepted the {what} for \"{title}\"{who}; it now goes to the International Cooperation "
               "Department. Nothing to do for now.{comment_note}"),
    },
    "mobility.report_decided:icd": {
        "zh": ("{what}已被接受：{title}",
               "国际合作处已接受“{title}”{who}的{what}，将按规定在公示页面公布。因其逾期而暂停的新申请（如有）"
               "已自动恢复，您无需操作。{comment_note}"),
        "en": ("{What} accepted: {title}",
               "The International Cooperation Department accepted the {what} for \"{title}\"{who}; it will be "
               "published on the publicity page. Any hold it caused on new applications is lifted. Nothing to "
               "do.{comment_note}"),
    },
    "mobility.hold_placed": {
        "zh": ("新申请已暂停：{what}逾期（{title}）",
               "“{title}”的{what}已于 {due_on} 到期仍未完成，您暂时不能提交新的申请。请尽快{todo}；"
               "{clears}，暂停将自动解除。"),
        "en": ("New applications on hold: the {what} for {title} is overdue",
               "The {what} for \"{title}\" was due on {due_on} and is not done, so you cannot submit a new "
               "application for now. Please {todo}; the hold is lifted by itself {clears}."),
    },
    "mobility.hold_placed:school": {
        "zh": ("学院新申请已暂停：{what}逾期（{title}）",
               "“{title}”的{what}已于 {due_on} 到期仍未完成。按国际合作处的设置，您所在学院暂时不能提交新的申请。"
               "请督促尽快{todo}；{clears}，暂停将自动解除。"),
        "en": ("Your school's new applications on hold: the {what} for {title} is overdue",
               "The {what} for \"{title}\" was due on {due_on} and is not done. As the International Cooperation "
               "Department has set it, your school cannot submit new applications for now. Please see that it is "
               "done ({todo}); the hold is lifted by itself {clears}."),
    },
    "mobility.changed": {
        "zh": ("行程已延长：{title}",
               "“{title}”{who}的结束日期已由 {previous_end} 延至 {planned_end}。请按新的日期返回，"
               "返回后在系统中确认返回日期。{reason_note}"),
        "en": ("Stay extended: {title}",
               "The end of \"{title}\"{who} moved from {previous_end} to {planned_end}. Come back by the new date, "
               "and confirm your return in Mobility once you are back.{reason_note}"),
    },
    "mobility.changed:shortened": {
        "zh": ("行程已缩短：{title}",
               "“{title}”{who}的结束日期已由 {previous_end} 提前至 {planned_end}。返回后请在系统中确认返回日期，"
               "需提交的报告从实际返回之日起计算期限。{reason_note}"),
        "en": ("Stay shortened: {title}",
               "The end of \"{title}\"{who} moved from {previous_end} to {planned_end}. Confirm your return in "
               "Mobility once you are back; any report is due counting from the day you return.{reason_note}"),
    },
    "mobility.no_show": {
        "zh": ("未成行：{title}",
               "“{title}”{who}已登记为未成行，该记录随之结束，无需再提交报告或其他材料。{reason_note}"
               "如有误，请联系国际合作处。"),
        "en": ("Did not travel: {title}",
               "\"{title}\"{who} was recorded as not travelled (a no-show), and its record is closed: no report "
               "or other paper is due.{reason_note} If this is a mistake, contact the International Cooperation "
               "Department."),
    },
    # Passports in the office's custody. {type} is the document in words (PASSPORT_TYPES), {title} the trip's and
    # the days as the reader writes them (passport_values); never a number: the events carry none.
    "passport.due_soon": {
        "zh": ("请按时交回{type}：{title}",
               "{holder_name}为“{title}”领取的{type}应于 {due_on} 交回国际合作处，请按时交回。"),
        "en": ("Hand back the {type} by {due_on}: {title}",
               "The {type} of {holder_name}, handed out for \"{title}\", is due back at the International Cooperation "
               "Department on {due_on}. Please bring it back in time."),
    },
    "passport.overdue": {
        "zh": ("{type}逾期未交回：{holder_name}（{title}）",
               "{holder_name}为“{title}”领取的{type}应于 {due_on} 交回国际合作处，现已逾期 {overdue_days} 天。"
               "请尽快交回；交回前，持有人不能提交新的申请。"),
        "en": ("Overdue: the {type} of {holder_name} ({title})",
               "The {type} of {holder_name}, handed out for \"{title}\", was due back at the International "
               "Cooperation Department on {due_on} and is {overdue_days} day(s) overdue. Please bring it back as soon "
               "as possible; until then, its holder cannot submit a new application."),
    },
    "passport.handed_out": {
        "zh": ("{type}已领取：{title}",
               "国际合作处已于 {handed_out_on} 将{holder_name}的{type}交出，用于“{title}”。请于 {due_on} 前交回。"),
        "en": ("{Type} handed out: {title}",
               "The International Cooperation Department handed out the {type} of {holder_name} on {handed_out_on} "
               "for \"{title}\". It is due back on {due_on}."),
    },
    "passport.returned": {
        "zh": ("{type}已交回：{title}",
               "{holder_name}为“{title}”领取的{type}已于 {returned_on} 交回国际合作处保管。"
               "因其逾期而暂停的新申请（如有）已自动恢复。"),
        "en": ("{Type} handed back: {title}",
               "The {type} of {holder_name}, handed out for \"{title}\", was handed back to the International "
               "Cooperation Department on {returned_on} and is in its custody again. Any hold it caused on new "
               "applications is lifted."),
    },
    # Selection for a student exchange (placements): an offer of a place, answered before its deadline.
    "offer.made": {
        "zh": ("交换名额录取：{partner_name}（{program_name}）",
               "您在“{program_name}”的选拔中获得 {partner_name} 的交换名额。请在 {deadline} 前在系统中接受或放弃；"
               "逾期未答复视为放弃，名额将依次递补给候补同学。"),
        "en": ("A place offered: {partner_name} ({program_name})",
               "The selection of \"{program_name}\" offers you a place at {partner_name}. Please accept or decline it "
               "in Mobility before {deadline}; an offer not answered by then lapses and the place goes to the next "
               "student on the waiting list."),
    },
    "offer.lapsed": {
        "zh": ("交换名额已失效：{partner_name}（{program_name}）",
               "您在“{program_name}”中获得的 {partner_name} 交换名额未在 {deadline} 前答复，已失效，名额已递补给"
               "候补同学。如有疑问，请联系国际合作处。"),
        "en": ("Offer lapsed: {partner_name} ({program_name})",
               "The place at {partner_name} offered to you in \"{program_name}\" was not answered before {deadline} "
               "and has lapsed; it goes to the next student on the waiting list. Please contact the International "
               "Cooperation Department with any question."),
    },
    "offer.superseded": {
        "zh": ("交换名额变更：{partner_name}（{program_name}）",
               "“{program_name}”的名额分配已重新计算，此前向您提供的 {partner_name} 交换名额不再有效，无需答复。"
               "如有新的名额，您会另行收到通知；否则您仍在候补名单上。"),
        "en": ("Offer no longer valid: {partner_name} ({program_name})",
               "The allocation of \"{program_name}\" ran again and the place at {partner_name} offered to you no "
               "longer holds; there is nothing to answer. If another place is offered you will be told; otherwise "
               "you stay on the waiting list."),
    },
    "offer.withdrawn": {
        "zh": ("交换名额已撤销：{partner_name}（{program_name}）",
               "您在“{program_name}”中的 {partner_name} 交换名额已被撤销（申请已撤回、名单公示异议成立或对方院校"
               "未接收）。如有疑问，请联系国际合作处。"),
        "en": ("Offer withdrawn: {partner_name} ({program_name})",
               "Your place at {partner_name} in \"{program_name}\" was withdrawn (the application was withdrawn, an "
               "objection to the candidate list was upheld, or the partner did not accept the nomination). Please "
               "contact the International Cooperation Department with any question."),
    },
    # Nomination to a partner (placements): the partner's contact answers by the signed link; the student hears.
    "nomination.link_issued": {
        "zh": ("交换学生提名：{applicant_name}（{program_name}）",
               "{contact_name}您好：我校国际合作处提名 {applicant_name} 于 {term} 赴 {partner_name} 交换学习"
               "（{program_name}）。请通过以下链接答复是否接受，并可上传接收函（PDF）。链接无需登录，仅可使用一次，"
               "有效期至 {link_expires_at}。"),
        "en": ("Nomination of an exchange student: {applicant_name} ({program_name})",
               "Dear {contact_name},\n\nour International Cooperation Department nominates {applicant_name} for an "
               "exchange at {partner_name} in {term} ({program_name}). Please tell us whether you accept the "
               "nomination through the link below, where you may also upload an acceptance letter (PDF). The link "
               "needs no account, can be used once and works until {link_expires_at}."),
    },
    "nomination.approved": {
        "zh": ("{partner_name} 已接受您的提名", "{partner_name} 已接受国际合作处对您的提名（{program_name}）。"),
        "en": ("{partner_name} accepted your nomination",
               "{partner_name} accepted the International Cooperation Department's nomination of you "
               "({program_name})."),
    },
    "nomination.rejected": {
        "zh": ("{partner_name} 未接受您的提名",
               "{partner_name} 未接受国际合作处对您的提名（{program_name}），该名额已递补给候补同学。"
               "国际合作处将与您联系后续安排。"),
        "en": ("{partner_name} did not accept your nomination",
               "{partner_name} did not accept the International Cooperation Department's nomination of you "
               "({program_name}); the place goes to the next student on the waiting list. The department will "
               "contact you about what comes next."),
    },
    "passport.expiry_warning": {
        "zh": ("证件有效期不足：{holder_name}（{title}）",
               "申请“{title}”的出行人{holder_name}由国际合作处保管的{type}将于 {expires_on} 到期，"
               "不足行程结束{trip_end_note}后六个月。请尽快办理换发手续。"),
        "en": ("Travel document expires too soon: {holder_name} ({title})",
               "The {type} of {holder_name}, a traveller of \"{title}\", kept by the International Cooperation "
               "Department, expires on {expires_on}: less than six months after the trip ends{trip_end_note}. "
               "Please have it renewed in good time."),
    },
    # Agreements with partners (placements' sweep): {valid_to} as the reader writes dates (render).
    "agreement.expiring": {
        "zh": ("合作协议即将到期：{partner_name}",
               "与{partner_name}的合作协议将于 {valid_to} 到期（还有 {days_left} 天）。"
               "请在到期前办理续签，或确认到期后不再续签。"),
        "en": ("Agreement ends soon: {partner_name}",
               "The agreement with {partner_name} ends on {valid_to} ({days_left} day(s) from now). Please renew "
               "it before then, or confirm that it is to end."),
    },
    # The 差额公示 of a round's candidate list (placements): the ICD decides each objection.
    "selection.list_objection_lodged": {
        "zh": ("候选名单公示收到异议：{program_name}",
               "“{program_name}”选拔候选名单公示期间收到一条异议，公示已暂停（剩余 {remaining_working_days} 个"
               "工作日）。请在系统中查看异议内容并作出处理决定。"),
        "en": ("Objection to a candidate list: {program_name}",
               "Someone objected to the published candidate list of \"{program_name}\". Its publicity period is "
               "paused ({remaining_working_days} working day(s) left). Please read the objection in Mobility and "
               "decide it."),
    },
}


FOR_THE_APPLICANT = ("publicity.opened", "publicity.ended")

PASSPORT_TYPES = {  # a passport's type (_defs/passport.json) in words
    "official_passport": {"zh": "因公护照", "en": "official passport"},
    "service_passport": {"zh": "公务护照", "en": "service passport"},
    "hk_macao_permit": {"zh": "往来港澳通行证", "en": "Hong Kong and Macao travel permit"},
    "taiwan_permit": {"zh": "大陆居民往来台湾通行证", "en": "Taiwan travel permit"},
}

# What a mobility notice speaks of (due.what, a hold's reason), and what to do about it, in words.
WHAT = {
    "report": {"zh": "出访报告", "en": "trip report"},
    "summary": {"zh": "活动总结", "en": "event summary"},
    "residence_permit": {"zh": "居留许可", "en": "residence permit"},
    "transcript": {"zh": "成绩单", "en": "transcript of records"},
    "passport": {"zh": "护照", "en": "passport"},
}
TODO = {
    "report": {"zh": "在系统中填写并提交出访报告（达到规定字数并附照片）",
               "en": "write the trip report in Mobility and submit it, with the length and photos required"},
    "summary": {"zh": "在系统中提交活动总结，并上传参会名单和照片",
                "en": "submit the event's summary in Mobility, with the attendee list and photos"},
    "residence_permit": {"zh": "办理居留许可，并在系统中登记办理日期",
                         "en": "obtain the residence permit and record its date in Mobility"},
    "transcript": {"zh": "在系统中上传外方学校出具的成绩单",
                   "en": "upload the host university's transcript of records in Mobility"},
    "passport": {"zh": "将护照交回国际合作处",
                 "en": "hand the passport back to the International Cooperation Department"},
}
HELD = ("report", "summary", "residence_permit", "passport")  # what holds new applications while overdue
HOLD_NOTE = {"zh": "完成前，申请人不能提交新的申请。",
             "en": " Until it is done, the applicant cannot submit a new application."}
CLEARS = {  # a hold's `clears`: when it ends by itself
    "report_accepted": {"zh": "报告被接受后", "en": "once the report is accepted"},
    "summary_accepted": {"zh": "总结被接受后", "en": "once the summary is accepted"},
    "residence_permit_recorded": {"zh": "登记居留许可后", "en": "once the residence permit is recorded"},
}
STAGES = {"school": {"zh": "学院", "en": "your school"},
          "icd": {"zh": "国际合作处", "en": "the International Cooperation Department"}}
NOTES = {  # optional sentences, only where the event has something to say
    "comment_note": {"zh": "意见：{}", "en": " Comment: {}"},  # English: a sentence after another
    "reason_note": {"zh": "原因：{}", "en": " Reason: {}"},
    "due_note": {"zh": "（截止 {}）", "en": " (due {})"},
}
ENDS = (".", "!", "?", "。", "！", "？")
DATE_FORMATS = {"zh": "y年M月d日", "en": "d MMM y"}
# Which text of a type an event's data picks: "<type>:<variant>" where TEXTS has one, else the type's own.
VARIANTS = {
    "mobility.report_decided": lambda d: (d.get("report") or {}).get("stage")
    if (d.get("report") or {}).get("outcome") == "accepted" else "returned",
    "mobility.hold_placed": lambda d: d.get("scope"),
    "mobility.changed": lambda d: (d.get("change") or {}).get("change"),
    # a change that came from a traveller's extension: no new 任务批件 to speak of, the stay's end instead
    "application.changed": lambda d: "extension" if (d.get("change") or {}).get("extension_id") else None,
    "application.change_rejected": lambda d: "extension" if (d.get("change") or {}).get("extension_id") else None,
}


@dataclass(frozen=True)
class Rendered:
    subject: str
    body: str
    link: str


OFFICE_ZONE = "Asia/Shanghai"
# What the office calls its own zone in Chinese (CLDR says 中国时间): the name people write on a deadline.
ZONE_NAMES = {("Asia/Shanghai", "zh"): "北京时间"}
TIME_FORMATS = {"zh": ("y年M月d日 HH:mm", "{time}（{zone}）"), "en": ("d MMM y, HH:mm", "{time} ({zone})")}
# the instants the texts show: in the office's time zone, named, as the reader writes dates (`deadline`: an offer
# of a place, answered before it; `link_expires_at`: a partner's link to answer a nomination)
TIMES = ("due_at", "deadline", "link_expires_at")


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


def day(value: str | None, locale: str) -> str:
    """An ISO date as "2026年12月20日" or "20 Dec 2026"; as given if it is not one."""
    from babel.dates import format_date

    if not value:
        return ""
    try:
        parsed = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    language = locale if locale in DATE_FORMATS else "zh"
    return format_date(parsed, DATE_FORMATS[language], locale=language)


def mobility_values(data: dict[str, Any], locale: str) -> dict[str, Any]:
    """The words a mobility.* text is made of: what is due and what to do, the person's name where the title
    does not say it already (one record per member of a group), days as the reader writes them, and the notes
    the event has something for."""
    language = "en" if locale == "en" else "zh"
    due = data.get("due") or {}
    report = data.get("report") or {}
    change = data.get("change") or {}
    reason = data.get("reason") or ""
    what = due.get("what") or (reason.removesuffix("_overdue") if reason.endswith("_overdue") else "") or (
        "summary" if data.get("kind") == "hosted_event" else "report")
    words = {
        "what": WHAT.get(what, WHAT["report"])[language],
        "todo": TODO.get(what, TODO["report"])[language],
        "clears": CLEARS.get(data.get("clears") or "", {"zh": "完成后", "en": "once it is done"})[language],
        "stage": STAGES.get(report.get("stage") or "", STAGES["school"])[language],
        "due_on": day(due.get("due_on") or report.get("due_on") or data.get("due_on"), language),
        "days_overdue": due.get("days_overdue", ""),
        "planned_end": day(data.get("planned_end"), language),
        "previous_end": day(change.get("previous_end"), language),
    }
    words["hold_note"] = HOLD_NOTE[language] if what in HELD else ""
    words["What"] = words["what"][:1].upper() + words["what"][1:]
    words["stage_cap"] = words["stage"][:1].upper() + words["stage"][1:]
    person = data.get("person") or {}
    name = person.get("name") or ""
    shown = name and person.get("role") != "event" and name != data.get("title")
    words["who"] = ("（{}）" if language == "zh" else " ({})").format(name) if shown else ""
    notes = {"comment_note": report.get("comment"), "reason_note": change.get("reason") or (
        reason if not reason.endswith("_overdue") else ""), "due_note": words["due_on"]}
    for key, value in notes.items():
        words[key] = NOTES[key][language].format(value) if value else ""
    if words["reason_note"] and not words["reason_note"].endswith(ENDS):  # a sentence, ended once
        words["reason_note"] += "。" if language == "zh" else "."
    return words


def passport_values(data: dict[str, Any], locale: str) -> dict[str, Any]:
    """The words a passport.* text is made of: the document's type, the trip's title and the loan's days (from the
    event's `loan`, where it has one) as the reader writes them."""
    language = "en" if locale == "en" else "zh"
    loan = data.get("loan") or {}
    kind = data.get("type") or ""
    words: dict[str, Any] = {
        "type": PASSPORT_TYPES.get(kind, {}).get(language) or ("证件" if language == "zh" else "travel document"),
        "title": loan.get("title") or data.get("title") or "",
        "overdue_days": loan.get("overdue_days", ""),
        "trip_end_note": ("（{}）" if language == "zh" else " ({})").format(day(data["trip_end"], language))
        if data.get("trip_end") else "",
    }
    for key in ("handed_out_on", "due_on", "returned_on"):
        words[key] = day(loan.get(key), language)
    words["expires_on"] = day(data.get("expires_on"), language)
    words["Type"] = words["type"][:1].upper() + words["type"][1:]
    return words


def link_for(data: dict[str, Any], public_base_url: str) -> str:
    """Where the reader acts: a reviewer on the task's page, a traveller on the record's, an applicant on the
    application's. A task's link
    still ends with its application's id (a query the page ignores), so whoever matched a notice to its
    application by its link still can."""
    if str(data.get("link_url") or "").startswith(f"{public_base_url}/partner/"):  # a partner's signed link
        return str(data["link_url"])
    if data.get("task_id") and data.get("application_id"):
        return f"{public_base_url}/tasks/{data['task_id']}?application={data['application_id']}"
    if data.get("task_id"):
        return f"{public_base_url}/tasks/{data['task_id']}"
    if data.get("passport_id"):  # a passport in the office's custody: its page (the register's)
        return f"{public_base_url}/passports/{data['passport_id']}"
    if data.get("agreement_id"):  # an agreement with a partner: its page in the register (placements)
        return f"{public_base_url}/agreements/{data['agreement_id']}"
    if data.get("round_id") and data.get("objection_id"):  # an objection to a round's published list
        return f"{public_base_url}/selection/rounds/{data['round_id']}/publicity"
    if data.get("mobility_id"):  # a trip or stay after approval (a hold names the record that placed it)
        return f"{public_base_url}/mobilities/{data['mobility_id']}"
    if data.get("application_id"):
        return f"{public_base_url}/applications/{data['application_id']}"
    return public_base_url


def render(event_type: str, locale: str, data: dict[str, Any], public_base_url: str,
           timezone: str = OFFICE_ZONE) -> Rendered:
    variant = VARIANTS[event_type](data) if event_type in VARIANTS else None
    texts = TEXTS.get(f"{event_type}:{variant}") or TEXTS[event_type]
    subject, body = texts.get(locale) or texts["zh"]
    values = {k: "" if v is None else v for k, v in data.items()}
    values["title"] = data.get("title") or data.get("application_id", "")
    if event_type.startswith("mobility."):
        values.update(mobility_values(data, locale))
    if event_type.startswith("passport."):
        values.update(passport_values(data, locale))
    if event_type.startswith("agreement."):
        values["valid_to"] = day(data.get("valid_to"), locale)
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
