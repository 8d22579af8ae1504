"""Words, not codes: times in the office's zone with the zone named in the reader's format, dates in the
reader's format, and the services' refusals that carry data translated with their codes in words."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from flask_babel import Babel, refresh

from gateway.web import i18n, messages

TRANSLATIONS = Path(__file__).resolve().parents[2] / "gateway" / "translations"


@contextmanager
def reading(lang: str, zone: str = "Asia/Shanghai") -> Iterator[None]:
    app = Flask(__name__)
    Babel(app, locale_selector=lambda: lang, default_translation_directories=str(TRANSLATIONS),
          default_timezone=zone)
    with app.test_request_context():
        refresh()
        yield


@pytest.mark.parametrize(("lang", "shown"), [
    ("zh", "2026年12月11日 13:14（北京时间）"),
    ("en", "Dec 11, 2026, 13:14 (China Standard Time)"),
])
def test_a_time_is_shown_in_the_offices_zone_with_the_zone_named(lang: str, shown: str) -> None:
    with reading(lang):
        assert i18n.when("2026-12-11T05:14:24.196194+00:00") == shown
        assert i18n.when("2026-12-11T05:14:24Z") == shown
        assert i18n.when("not a time") == "not a time" and i18n.when(None) == ""


def test_another_zone_is_named_as_it_stands_that_day() -> None:
    with reading("en", "Europe/Berlin"):
        assert i18n.when("2026-07-01T10:00:00+00:00") == "Jul 1, 2026, 12:00 (Central European Summer Time)"


@pytest.mark.parametrize(("lang", "day"), [("zh", "2026年12月11日"), ("en", "December 11, 2026")])
def test_a_date_is_in_the_readers_format_and_a_timestamps_day_is_the_offices(lang: str, day: str) -> None:
    with reading(lang):
        assert i18n.day("2026-12-11") == day
        assert i18n.day("2026-12-10T17:00:00+00:00") == day  # already the 11th in Beijing


@pytest.mark.parametrize(("message", "zh"), [
    ("An application in status 'draft' cannot be withdrawn.", "状态为“草稿”的申请不能撤回。"),
    ("An application in status 'in_review' cannot get new documents.", "状态为“审核中”的申请不能再添加材料。"),
    ("The task is claimed by coord.cs.", "该任务已由 coord.cs 处理，状态为“已认领”。"),
    ("One of: approve, reject, return.", "请选择：批准、拒绝、退回修改。"),
    ("Applications for 'Exchange 50% off' closed on 2026-12-11 05:14 UTC.",
     "“Exchange 50% off”已于 2026年12月11日 13:14（北京时间） 截止申请。"),
    ("This task has been decided already.", "该任务已经有了决定。"),
    ("Something no pattern knows.", "Something no pattern knows."),
])
def test_service_messages_reach_a_chinese_reader_in_chinese_with_codes_in_words(message: str, zh: str) -> None:
    with reading("zh"):
        assert messages.translated(message) == zh


def test_in_english_a_message_with_data_says_it_in_words_too() -> None:
    with reading("en"):
        assert messages.translated("An application in status 'changes_requested' cannot be submitted.") == \
            "An application with the status “changes requested” cannot be submitted."
