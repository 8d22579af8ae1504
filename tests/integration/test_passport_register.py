"""The passports register on PostgreSQL: entering a passport (normalised, checked, never twice for a type), the row
as the database holds it (no number in clear anywhere), the clerk's audited look at a number and the masked form
everyone else sees, the list's filters, the clerk's changes, key rotation through the `mobility passports` commands,
the all-or-nothing CSV import, the audit log and its CSV export, the settings' permissions, and the database itself
refusing to change or delete the audit log and handovers."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from typing import Any

import psycopg
import pytest
import sqlalchemy.exc
import time_machine
from click.testing import CliRunner
from cryptography.exceptions import InvalidTag
from sqlalchemy import text

from mobility.cli import main
from services.passports import crypto
from tests.support.passports import CSV_HEADER, Passports, passport, passports_fixture  # noqa: F401

NUMBER = "E12345678"


def row_text(p: Passports, passport_id: str) -> str:
    """Every column of the row as PostgreSQL renders it, bytea in hex and as text."""
    (row,) = p.rows("SELECT p::text, encode(number_cipher, 'escape') FROM passports p WHERE id = :id", id=passport_id)
    return " ".join(row)


def test_a_passport_is_entered_once_and_its_number_is_not_in_the_row(passports: Passports) -> None:
    p = passports
    created = p.create("e 1234-5678")  # the clerk's typing, normalised
    assert created["number_masked"] == "••••5678" and created["number_last4"] == "5678"
    assert created["status"] == "in_custody" and created["version"] == 1 and "number" not in created
    again = p.call("passport.clerk", "POST", "/passports", json=passport("E1234 5678"))
    assert again.status_code == 409 and "already in the register" in again.json["detail"]
    assert p.call("passport.clerk", "POST", "/passports", json=passport(NUMBER, type="hk_macao_permit")
                  ).status_code == 201  # another type may carry the same number
    for bad in ("AB12", "E1234567890123456789X", "E123$5678"):
        refused = p.call("passport.clerk", "POST", "/passports", json=passport(bad))
        assert refused.status_code == 422 and "number" in refused.json["errors"], bad
    dates = p.call("passport.clerk", "POST", "/passports", json=passport("G7654321", expires_on="2021-01-01"))
    assert dates.status_code == 422 and "expires_on" in dates.json["errors"]
    assert p.scalar("SELECT count(*) FROM passports") == 2

    cipher, key, last4 = p.rows("SELECT number_cipher, number_key, number_last4 FROM passports WHERE id = :id",
                                id=created["id"])[0]
    assert NUMBER.encode() not in bytes(cipher) and b"12345678" not in bytes(cipher)
    assert key == crypto.load(p.keys_file).current and last4 == "5678"
    assert NUMBER not in row_text(p, created["id"]) and "12345678" not in row_text(p, created["id"])
    audit = p.rows("SELECT actor, action, passport_id, detail::text FROM audit_log ORDER BY id")
    assert [(a, b, c) for a, b, c, _ in audit][0] == ("passport.clerk", "created", created["id"])
    assert not any("12345678" in detail for *_, detail in audit)
    # the cipher is bound to its row: moved to another row, it does not open
    other = p.create("K87654321")
    with p.engine.begin() as c:
        c.execute(text("UPDATE passports SET number_cipher = :c WHERE id = :id"), {"c": bytes(cipher),
                                                                                     "id": other["id"]})
    with pytest.raises(InvalidTag):
        crypto.load(p.keys_file).decrypt(key, bytes(cipher), other["id"])
    # and the clerk is told it cannot be read (a refusal in words, not a server error)
    unopened = p.call("passport.clerk", "POST", f"/passports/{other['id']}/number-views")
    assert unopened.status_code == 409 and "cannot be opened" in unopened.json["detail"]
    assert p.scalar("SELECT count(*) FROM audit_log WHERE action = 'viewed_number'") == 0


def test_only_the_clerk_sees_a_number_and_each_look_is_audited(passports: Passports) -> None:
    p = passports
    created = p.create(NUMBER)
    path = f"/passports/{created['id']}/number-views"
    shown = p.call("passport.clerk", "POST", path)
    assert shown.status_code == 200 and shown.json == {"number": NUMBER}
    assert "no-store" in shown.headers["Cache-Control"]
    assert p.call("admin", "POST", path).status_code == 403
    assert p.call("prof.li", "POST", path).status_code == 403  # the holder reads it masked only
    assert p.call("alice", "POST", path).status_code == 404
    views = p.rows("SELECT actor, passport_id, detail::text FROM audit_log WHERE action = 'viewed_number'")
    assert [(a, b) for a, b, _ in views] == [("passport.clerk", created["id"])] and NUMBER not in views[0][2]
    for user in ("passport.clerk", "admin", "icd.officer", "vp.fa", "coord.cs", "prof.li"):
        one = p.call(user, "GET", f"/passports/{created['id']}")
        listed = p.call(user, "GET", "/passports")
        assert one.status_code == 200 and one.json["number_masked"] == "••••5678", user
        assert [i["number_masked"] for i in listed.json["items"]] == ["••••5678"], user
        assert NUMBER not in one.get_data(as_text=True) and NUMBER not in listed.get_data(as_text=True)
    assert p.call("coord.me", "GET", f"/passports/{created['id']}").status_code == 404
    assert p.call("alice", "GET", "/passports").json["items"] == []


@time_machine.travel("2027-03-20T03:00:00Z", tick=False)  # the office's day: 2027-03-20 in Shanghai
def test_the_list_filters_by_status_school_name_expiry_and_overdue(passports: Passports) -> None:
    p = passports
    today = date(2027, 3, 20)
    li = p.create(NUMBER)
    soon = p.create("E20000001", holder_name="Zhao Min", staff_number="20100345", holder_username=None,
                    expires_on=(today + timedelta(days=60)).isoformat())
    me = p.create("E30000001", holder_name="Chen Jing", staff_number="20200001", holder_username="chen", school="me",
                  type="service_passport")
    with p.engine.begin() as c:  # a loan three days past its due date, for a trip the service has heard of
        c.execute(text("INSERT INTO trips VALUES ('m1', 'a1', 'faculty_exchange', 'cs', 'prof.li', 'Li Wei', "
                       "'19990012', 'Milan visit', 'departed', :s, :e, NULL, NULL, 1)"),
                  {"s": today - timedelta(days=20), "e": today - timedelta(days=10)})
        c.execute(text("INSERT INTO loans (id, passport_id, mobility_id, handed_out_on, handed_out_at, handed_out_by, "
                       "handed_to, due_on) VALUES ('l1', :p, 'm1', :o, now(), 'passport.clerk', 'Li Wei', :d)"),
                  {"p": li["id"], "o": today - timedelta(days=21), "d": today - timedelta(days=3)})
        c.execute(text("UPDATE passports SET status = 'handed_out' WHERE id = :p"), {"p": li["id"]})

    def ids(query: str, user: str = "passport.clerk") -> set[str]:
        response = p.call(user, "GET", f"/passports{query}")
        assert response.status_code == 200, response.json
        return {i["id"] for i in response.json["items"]}

    assert ids("") == {li["id"], soon["id"], me["id"]}
    assert ids("?status=handed_out") == {li["id"]} and ids("?school=me") == {me["id"]}
    assert ids("?q=zhao") == {soon["id"]} and ids("?q=20200001") == {me["id"]}
    assert ids("?expiring_within=90") == {soon["id"]}
    assert ids("?overdue=true") == {li["id"]} and ids("?overdue=false") == {soon["id"], me["id"]}
    assert ids("", "coord.cs") == {li["id"], soon["id"]} and ids("", "coord.me") == {me["id"]}
    assert ids("", "chen") == {me["id"]} and ids("?school=me", "coord.cs") == set()
    assert p.call("passport.clerk", "GET", "/passports?status=gone").status_code == 422
    item = next(i for i in p.call("coord.cs", "GET", "/passports?overdue=true").json["items"])
    assert item["loan"] == {"id": "l1", "mobility_id": "m1", "title": "Milan visit",
                            "handed_out_on": (today - timedelta(days=21)).isoformat(),
                            "due_on": (today - timedelta(days=3)).isoformat(), "overdue_days": 3}
    detail = p.call("prof.li", "GET", f"/passports/{li['id']}").json
    assert [loan["id"] for loan in detail["loans"]] == ["l1"] and detail["handovers"] == []
    assert detail["trips"] == []  # the clerk's choice only
    clerk = p.call("passport.clerk", "GET", f"/passports/{li['id']}").json
    assert [t["mobility_id"] for t in clerk["trips"]] == ["m1"]


def test_the_clerk_changes_a_passport_naming_the_version_seen(passports: Passports) -> None:
    p = passports
    created = p.create(NUMBER)
    path = f"/passports/{created['id']}"
    assert p.call("passport.clerk", "PATCH", path, json={"kept_at": "Safe 1"}).status_code == 409  # no version
    moved = p.call("passport.clerk", "PATCH", path, json={"kept_at": "Safe 1", "note": "Renewal due", "version": 1})
    assert moved.status_code == 200 and moved.json["kept_at"] == "Safe 1" and moved.json["version"] == 2
    assert moved.headers["ETag"] == '"2"'
    stale = p.call("passport.clerk", "PATCH", path, json={"kept_at": "Safe 9"}, headers={"If-Match": '"1"'})
    assert stale.status_code == 409 and "version 2" in stale.json["detail"]
    assert p.call("passport.clerk", "PATCH", path, json={"status": "handed_out", "version": 2}).status_code == 422
    assert p.call("passport.clerk", "PATCH", path, json={"number": "X1234567", "version": 2}).status_code == 422
    assert p.call("passport.clerk", "PATCH", path, json={"expires_on": "2020-01-01", "version": 2}
                  ).status_code == 422
    assert p.call("passport.clerk", "PATCH", path, json={"status": "expired"}, headers={"If-Match": '"2"'}
                  ).json["status"] == "expired"
    updates = p.rows("SELECT detail FROM audit_log WHERE action = 'updated' ORDER BY id")
    assert [d for (d,) in updates] == [{"fields": ["kept_at", "note"]},
                                       {"fields": ["status"], "status": {"from": "in_custody", "to": "expired"}}]
    with p.engine.begin() as c:  # out on loan: only "lost" (the return puts it back in custody)
        c.execute(text("UPDATE passports SET status = 'handed_out' WHERE id = :p"), {"p": created["id"]})
        c.execute(text("INSERT INTO loans (id, passport_id, mobility_id, handed_out_on, handed_out_at, handed_out_by, "
                       "handed_to, due_on) VALUES ('l1', :p, 'm1', :o, now(), 'passport.clerk', 'Li Wei', :o)"),
                  {"p": created["id"], "o": date(2027, 3, 1)})
    out = p.call("passport.clerk", "PATCH", path, json={"status": "in_custody", "version": 3})
    assert out.status_code == 409 and "out on loan" in out.json["detail"]
    assert p.call("passport.clerk", "PATCH", path, json={"status": "lost", "version": 3}).json["status"] == "lost"


def cli(p: Passports, *args: str) -> Any:
    env = {"MOBILITY_VAR_DIR": str(p.keys_file.parent), "MOBILITY_PASSPORT_KEYS_FILE": str(p.keys_file),
           "MOBILITY_PASSPORTS_DATABASE_URL": p.settings.database_url("passports")}
    return CliRunner().invoke(main, ["passports", *args], env=env)


def test_key_rotation_re_encrypts_every_row_and_keeps_it_readable(passports: Passports) -> None:
    p = passports
    numbers = [NUMBER, "E22222222", "G33333333", "PA4444444"]
    made = [p.create(n) for n in numbers]
    old = crypto.load(p.keys_file).current
    added = cli(p, "new-key")
    assert added.exit_code == 0, added.output
    ring = crypto.load(p.keys_file)
    assert ring.current != old and list(ring.keys) == [ring.current, old]
    assert p.keys_file.stat().st_mode & 0o777 == 0o600
    newer = p.create("E55555555")  # the running API seals with the new key at once
    assert p.scalar("SELECT number_key FROM passports WHERE id = :id", id=newer["id"]) == ring.current
    before = {i: bytes(c) for i, c in p.rows("SELECT id, number_cipher FROM passports")}

    rotated = cli(p, "rotate", "--batch", "3")  # two batches
    assert rotated.exit_code == 0, rotated.output
    assert "4 re-encrypted, 5 under the current key, 0 unreadable" in rotated.output
    assert f"({old}) may be removed" in rotated.output
    rows = p.rows("SELECT id, number_key, number_cipher FROM passports")
    assert {k for _, k, _ in rows} == {ring.current}
    assert all(bytes(c) != before[i] for i, _, c in rows if i != newer["id"])
    (entry,) = p.rows("SELECT detail FROM audit_log WHERE action = 'key_rotated'")
    assert entry[0] == {"key": ring.current, "rotated": 4, "unreadable": 0, "under_current_key": 5}
    # the old line removed: every number still opens, in the API and by the keyring alone
    p.keys_file.write_text(p.keys_file.read_text().splitlines()[0] + "\n")
    for passport_id, number in [*((m["id"], n) for m, n in zip(made, numbers, strict=True)),
                                (newer["id"], "E55555555")]:
        shown = p.call("passport.clerk", "POST", f"/passports/{passport_id}/number-views")
        assert shown.status_code == 200 and shown.json["number"] == number
    assert cli(p, "rotate").output.startswith(f"current key {ring.current}: 0 re-encrypted, 5 under")

    # a row under a key the keyring no longer has is reported, and left as it is
    gone = crypto.Keyring({"gone": b"\x01" * 32}, "gone")
    key_id, cipher = gone.encrypt("E66666666", made[0]["id"])
    with p.engine.begin() as c:
        c.execute(text("UPDATE passports SET number_key = :k, number_cipher = :c WHERE id = :id"),
                  {"k": key_id, "c": cipher, "id": made[0]["id"]})
    lost = cli(p, "rotate")
    assert lost.exit_code == 3 and "0 re-encrypted, 4 under the current key, 1 unreadable" in lost.output
    assert f"passport {made[0]['id']} is under key 'gone'" in lost.output
    assert p.scalar("SELECT number_key FROM passports WHERE id = :id", id=made[0]["id"]) == "gone"
    unread = p.call("passport.clerk", "POST", f"/passports/{made[0]['id']}/number-views")
    assert unread.status_code == 409 and "keyring" in unread.json["detail"]


def test_a_bad_csv_saves_nothing_and_names_each_bad_line_a_good_one_saves_all(passports: Passports) -> None:
    p = passports
    p.create(NUMBER)
    bad = "\n".join([
        CSV_HEADER,
        "Zhao Min,20100345,,cs,official_passport,E20000001,2021-01-01,2031-01-01,Safe 1",   # 2: fine
        "Sun Hao,20150678,,cs,official_passport,AB1,2021-01-01,2031-01-01,Safe 1",          # 3: bad number
        "Wang Fang,20160001,,cs,diplomatic,E20000003,2021-01-01,2031-01-01,Safe 1",        # 4: unknown type
        "",                                                                                 # blank: skipped
        "Liu Yang,20160002,,cs,official_passport,E20000004,2021-01-01,,Safe 1",             # 6: no expiry
        "Li Wei,19990012,prof.li,cs,official_passport,e1234 5678,,2032-04-30,Safe 2",       # 7: in the register
        "Zhao Min,20100345,,cs,因公护照,E2000-0001,2021-01-01,2031-01-01,Safe 1",            # 8: line 2's number
        "Only,three,cells",                                                                 # 9: too few values
        "Gao Lin,20160003,,CS!,official_passport,E20000009,2021-13-01,2031-01-01,Safe 1",   # 10: school, date
    ])
    refused = p.upload("passport.clerk", bad)
    assert refused.status_code == 422 and "nothing was imported" in refused.json["detail"]
    assert [(e["line"], e["field"]) for e in refused.json["errors"]] == [
        (3, "number"), (4, "type"), (6, "expires_on"), (7, "number"), (8, "number"), (9, "line"), (10, "issued_on"),
        (10, "school")]
    assert "line 2" in refused.json["errors"][4]["message"]
    assert "E2000" not in refused.get_data(as_text=True)
    assert p.scalar("SELECT count(*) FROM passports") == 1
    assert p.scalar("SELECT count(*) FROM audit_log WHERE action = 'imported'") == 0

    header = p.upload("passport.clerk", "name,number\nLi,E1")
    assert header.status_code == 422 and header.json["errors"][0]["field"] == "header"
    assert "unknown: column 1)" in header.json["errors"][0]["message"]
    # a file without its header: line 1 is a passport, and its number is not said back
    headless = p.upload("passport.clerk", "Zhao Min,20100345,,cs,official_passport,E20000001,2021-01-01,2031-01-01,"
                                          "Safe 1\n")
    assert headless.status_code == 422 and headless.json["errors"][0]["field"] == "header"
    assert "20000001" not in headless.get_data(as_text=True).upper()
    binary = p.upload("passport.clerk", b"\xff\xfe\x00x")
    assert binary.status_code == 422 and binary.json["errors"][0]["field"] == "file"

    good = "\ufeff" + "\r\n".join([
        CSV_HEADER.replace("type,number", "number,type"),  # columns in any order
        "Zhao Min,20100345,,cs,E20000001,因公护照,2021/1/1,2031/1/1,Safe 1",
        'Sun Hao,20150678,sun.hao,cs,G 2000 0002,Hong Kong and Macao travel permit,,2030-06-30,"Safe 1, drawer 2"',
        "Chen Jing,20200001,chen,me,E20000003,official_passport,2020-01-01,2030-01-01,",
    ]) + "\r\n"
    saved = p.upload("passport.clerk", good.encode("utf-8"))
    assert saved.status_code == 201 and saved.json == {"created": 3, "expired": 0}
    rows = p.rows("SELECT holder_name, type, number_last4, issued_on, kept_at, holder_username FROM passports "
                  "WHERE holder_name <> 'Li Wei' ORDER BY holder_name")
    assert [tuple(r) for r in rows] == [
        ("Chen Jing", "official_passport", "0003", date(2020, 1, 1), "", "chen"),
        ("Sun Hao", "hk_macao_permit", "0002", None, "Safe 1, drawer 2", "sun.hao"),
        ("Zhao Min", "official_passport", "0001", date(2021, 1, 1), "Safe 1", None)]
    sun = next(i for i in p.call("passport.clerk", "GET", "/passports?q=Sun").json["items"])
    assert p.call("passport.clerk", "POST", f"/passports/{sun['id']}/number-views").json["number"] == "G20000002"
    (entry,) = p.rows("SELECT actor, passport_id, detail FROM audit_log WHERE action = 'imported'")
    assert tuple(entry) == ("passport.clerk", None, {"count": 3})
    assert p.upload("passport.clerk", good).status_code == 422  # the same file twice: every line a duplicate


def test_an_import_names_every_fault_of_a_line_and_enters_an_expired_passport_as_expired(passports: Passports) -> None:
    p = passports
    p.create(NUMBER)
    bad = "\n".join([
        CSV_HEADER,
        # 2: a school that is no school's code, a date of issue after the expiry, a number in the register
        "Li Wei,19990012,prof.li,Computer Science,official_passport,E12345678,2033-01-01,2032-04-30,Safe 2",
        # 3: an unknown type and no expiry date, a bad number and a bad school: all four said
        "Sun Hao,20150678,,CS!,diplomatic,AB1,,,Safe 1",
    ])
    refused = p.upload("passport.clerk", bad)
    assert refused.status_code == 422
    assert [(e["line"], e["field"]) for e in refused.json["errors"]] == [
        (2, "expires_on"), (2, "number"), (2, "school"), (3, "expires_on"), (3, "number"), (3, "school"), (3, "type")]
    assert p.scalar("SELECT count(*) FROM passports") == 1

    # a passport already past its expiry date is entered, as `expired`: the answer says how many
    today = date.today()
    old = "\n".join([CSV_HEADER, f"Zhao Min,20100345,,cs,official_passport,E20000001,2015-01-01,"
                                  f"{today - timedelta(days=1)},Safe 1",
                      f"Sun Hao,20150678,,cs,official_passport,E20000002,2020-01-01,{today + timedelta(days=1)},"])
    saved = p.upload("passport.clerk", old)
    assert saved.status_code == 201 and saved.json == {"created": 2, "expired": 1}
    assert dict(p.rows("SELECT holder_name, status FROM passports WHERE holder_name <> 'Li Wei'")) == {
        "Zhao Min": "expired", "Sun Hao": "in_custody"}
    # entered one by one, the same
    one = p.call("passport.clerk", "POST", "/passports", json=passport(
        "E20000003", holder_name="Chen Jing", staff_number="20200001", issued_on="2014-01-01",
        expires_on=str(today - timedelta(days=30))))
    assert one.status_code == 201 and one.json["status"] == "expired"


def test_the_audit_log_reads_newest_first_and_exports_as_csv(passports: Passports) -> None:
    p = passports
    first = p.create(NUMBER)
    p.create("E22222222", holder_name="=HYPERLINK(\"x\")")
    p.call("passport.clerk", "POST", f"/passports/{first['id']}/number-views")
    items = p.call("admin", "GET", "/passport-audit").json["items"]
    assert [i["action"] for i in items] == ["viewed_number", "created", "created"]
    only = p.call("passport.clerk", "GET", f"/passport-audit?passport_id={first['id']}&action=created").json
    assert [(i["action"], i["passport_id"]) for i in only["items"]] == [("created", first["id"])]
    assert p.call("icd.officer", "GET", "/passport-audit").status_code == 403

    export = p.call("passport.clerk", "GET", "/passport-audit?format=csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.headers["Content-Disposition"].startswith("attachment; filename=\"passport-audit-")
    table = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert table[0] == ["id", "time (Asia/Shanghai)", "actor", "actor name", "action", "action in words",
                        "passport_id", "detail"]
    assert [r[4] for r in table[1:]] == ["viewed_number", "created", "created"]
    assert NUMBER not in export.get_data(as_text=True)
    exported = p.rows("SELECT actor, detail FROM audit_log WHERE action = 'exported'")
    assert [tuple(e) for e in exported] == [("passport.clerk", {"count": 3})]
    assert p.call("admin", "GET", "/passport-audit?format=csv").status_code == 200
    assert p.call("coord.cs", "GET", "/passport-audit?format=csv").status_code == 403
    assert p.scalar("SELECT count(*) FROM audit_log WHERE action = 'exported'") == 2
    one = p.call("passport.clerk", "GET", f"/passport-audit?format=csv&passport_id={first['id']}")
    assert [r[6] for r in list(csv.reader(io.StringIO(one.get_data().decode("utf-8-sig"))))[1:]] == [first["id"]] * 2
    assert p.rows("SELECT detail FROM audit_log WHERE action = 'exported' ORDER BY id DESC LIMIT 1")[0][0] == {
        "count": 2, "filters": {"passport_id": first["id"]}}


def test_the_audit_export_reads_as_words_in_the_offices_time(passports: Passports) -> None:
    """A spreadsheet reader's file: times in the office's zone (named in the header), actions in words beside their
    codes, the actor's name, the detail as text and not JSON."""
    p = passports
    assert p.settings.timezone == "Asia/Shanghai"
    with time_machine.travel("2027-03-06T17:30:00Z", tick=False):  # already the 7th in Shanghai
        made = p.create(NUMBER)
        p.call("passport.clerk", "POST", f"/passports/{made['id']}/number-views")
        p.call("passport.clerk", "PATCH", f"/passports/{made['id']}",
               json={"status": "lost", "kept_at": "Safe 9", "version": made["version"]})
        export = p.call("passport.clerk", "GET", "/passport-audit?format=csv")
    header, *rows = list(csv.reader(io.StringIO(export.get_data().decode("utf-8-sig"))))
    assert header[1] == "time (Asia/Shanghai)"
    assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in rows] == [
        ("2027-03-07 01:30:00", "passport.clerk", "Passport Clerk", "updated", "changed",
         "changed: kept at, status; status: in custody → lost"),
        ("2027-03-07 01:30:00", "passport.clerk", "Passport Clerk", "viewed_number", "viewed whole number", ""),
        ("2027-03-07 01:30:00", "passport.clerk", "Passport Clerk", "created", "entered", "type: Official passport")]
    assert "{" not in export.get_data(as_text=True)


def test_the_rules_are_read_by_the_office_and_set_by_the_clerk_and_admins(passports: Passports) -> None:
    p = passports
    defaults = p.call("icd.officer", "GET", "/passport-settings")
    assert defaults.status_code == 200 and {k: v for k, v in defaults.json.items() if k[:7] != "updated"} == {
        "handout_days_before": 5, "return_days": 7, "remind_days_before": 3, "school_hold_after_days": 30,
        "school_hold": False}
    rules = {**{k: v for k, v in defaults.json.items() if k[:7] != "updated"}, "return_days": 10,
             "school_hold": True}
    assert p.call("coord.cs", "GET", "/passport-settings").status_code == 403
    assert p.call("icd.officer", "PUT", "/passport-settings", json=rules).status_code == 403
    assert p.call("passport.clerk", "PUT", "/passport-settings", json={**rules, "return_days": -1}).status_code == 422
    assert p.call("passport.clerk", "PUT", "/passport-settings", json={"return_days": 3}).status_code == 422
    saved = p.call("admin", "PUT", "/passport-settings", json=rules)
    assert saved.status_code == 200 and saved.json["return_days"] == 10 and saved.json["updated_by"] == "admin"
    assert p.call("passport.clerk", "PUT", "/passport-settings", json={**rules, "handout_days_before": 7}
                  ).status_code == 200
    assert p.rows("SELECT handout_days_before, return_days, school_hold, updated_by FROM passport_settings")[0] == (
        7, 10, True, "passport.clerk")


@pytest.mark.parametrize("table", ["audit_log", "handovers"])
def test_the_database_refuses_to_change_or_delete_the_append_only_records(passports: Passports, table: str) -> None:
    p = passports
    created = p.create(NUMBER)
    if table == "handovers":
        with p.engine.begin() as c:
            c.execute(text("INSERT INTO handovers VALUES (:id, :p, 'l1', 'handed_out', now(), current_date, "
                           "'passport.clerk', 'Li Wei', 'm1')"), {"id": str(uuid.uuid4()), "p": created["id"]})
    for sql in (f"UPDATE {table} SET passport_id = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(sqlalchemy.exc.DBAPIError) as refused, p.engine.begin() as c:
            c.execute(text(sql))
        assert isinstance(refused.value.orig, psycopg.errors.RaiseException)
        assert f"{table} is append-only" in str(refused.value)
    assert p.scalar(f"SELECT count(*) FROM {table}") == 1
