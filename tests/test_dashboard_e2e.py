"""End to end: the dashboard served by ``streamlit run`` and driven in headless Chromium.

One walk through a manager's day on the small fixed database of ``support.dashboard_data``, once in English
and once in Hebrew (the users' language, and ``REPMON_UI_LANGUAGE`` for the sign-in page): sign in, filter and
search the queue, open an item, start it, save a reply draft, open the hostile post to see that it stays
inert text, then sign in as legal and export the evidence. In Hebrew the page is right to left and the
names and numbers inside Hebrew text are isolated. A full-page screenshot of each step goes to
``$E2E_ARTIFACTS_DIR/e2e`` (default ``test-artifacts/e2e`` in the repository), named ``<lang>-NN-step.png``,
with the browser console log; a failure adds ``failure.png``.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from conftest import open_store
from support.dashboard_data import PASSWORD, build
from support.e2e import VIEWPORT, chromium_page, free_port, require_browser, streamlit_server, wait_for_app

from monitor.i18n import gettext_for, label_name, ngettext_for

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
WAIT_MS = 30_000  # generous: the first page load compiles and connects the websocket


def artifacts_dir() -> Path:
    base = Path(os.environ.get("E2E_ARTIFACTS_DIR", "test-artifacts"))
    return (base if base.is_absolute() else ROOT / base) / "e2e"


@pytest.mark.parametrize("lang", ["en", "he"])
def test_a_manager_works_an_item_in_a_real_browser(tmp_path, monkeypatch, lang):
    require_browser()
    from playwright.sync_api import Locator, Page, expect

    _, n_ = gettext_for(lang), ngettext_for(lang)
    expect.set_options(timeout=WAIT_MS)
    ids = build(tmp_path / "data", language=lang)
    out = artifacts_dir()
    # Not a repmon setting: the app refuses unknown REPMON_* variables, so the server must not inherit it.
    monkeypatch.delenv("E2E_ARTIFACTS_DIR", raising=False)
    out.mkdir(parents=True, exist_ok=True)
    for old in [*out.glob(f"{lang}-*.png"), out / "failure.png"]:  # an earlier run's shots would mislead
        old.unlink(missing_ok=True)
    config = tmp_path / "repmon.toml"  # empty: a repmon.toml in the working copy must not leak in
    config.write_text("", encoding="utf-8")
    env = {
        "REPMON_DATA_DIR": str(tmp_path / "data"),
        "REPMON_CONFIG": str(config),
        "REPMON_UI_LANGUAGE": lang,
    }
    dialogs: list[str] = []

    def shot(page: Page, name: str, grids: int = 0) -> None:
        """A screenshot of the whole page once its ``grids`` tables have painted. Streamlit scrolls inside
        its main pane, not the document, so the viewport is stretched to the pane's height for the shot."""
        wait_for_app(page)
        # A table mounts and paints its canvas a moment after the run ends; its rows for screen readers
        # (hidden, hence CSS rather than get_by_role) appear once it has.
        expect(page.get_by_test_id("stDataFrame")).to_have_count(grids)
        for grid in page.get_by_test_id("stDataFrame").all():
            expect(grid.locator('[role="row"]').first).to_be_attached()
        height = page.evaluate("() => document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0")
        page.set_viewport_size(
            {"width": VIEWPORT["width"], "height": max(VIEWPORT["height"], min(height, 8000))}
        )
        page.mouse.move(1, 1)  # no hover effects (heading links, tooltips) in the shot
        page.wait_for_timeout(500)  # tables and charts repaint at the new size
        page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
        page.set_viewport_size(VIEWPORT)

    def heading(page: Page, text: str) -> Locator:
        return page.locator("h1").filter(has_text=re.compile(f"^{re.escape(text)}$"))

    def sign_in(page: Page, name: str) -> None:
        page.get_by_label(_("User name"), exact=True).fill(name)
        page.get_by_label(_("Password"), exact=True).fill(PASSWORD)
        page.get_by_role("button", name=_("Sign in"), exact=True).click()

    def matches(n: int) -> re.Pattern[str]:
        """The queue's count line ("5 items match"; in Hebrew the number is isolated)."""
        one, many = (
            "**{n}** item matches · highest priority first",
            "**{n}** items match · highest priority first",
        )
        before, after = n_(one, many, n).replace("**", "").split(" · ")[0].split("{n}")
        return re.compile(f"^{re.escape(before)}\u2068?{n}\u2069?{re.escape(after)}")

    complaint = f"💬 {label_name('complaint', lang)}"
    with (
        streamlit_server(APP, free_port(), env, ROOT) as url,
        chromium_page(out) as page,
    ):
        page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        page.set_default_timeout(WAIT_MS)

        # Sign in as a manager: the queue is the landing page.
        page.goto(url)
        expect(page.get_by_label(_("User name"), exact=True)).to_be_visible()
        expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "he" else "ltr")
        shot(page, "01-sign-in")
        sign_in(page, "maya")
        expect(heading(page, _("Queue"))).to_be_visible()
        expect(page.get_by_text(f"maya · {_('manager')}")).to_be_visible()
        expect(page.get_by_text(matches(5))).to_be_visible()
        # The page's direction: the document, the main pane and the sidebar (on the right in Hebrew).
        direction = "rtl" if lang == "he" else "ltr"
        expect(page.locator("html")).to_have_attribute("dir", direction)
        main = page.get_by_test_id("stMain")
        assert main.evaluate("e => getComputedStyle(e).direction") == direction
        sidebar, pane = page.get_by_test_id("stSidebar").bounding_box(), main.bounding_box()
        assert sidebar and pane and (sidebar["x"] > pane["x"]) == (lang == "he")
        shot(page, "02-queue", grids=1)

        # The queue as a CSV file: made on the server when clicked, every matching item, whole posts.
        label = n_("Download {n} item as CSV", "Download {n} items as CSV", 5).format(n=5)
        with page.expect_download() as download:
            page.get_by_role("button", name=label, exact=True).click()
        assert re.fullmatch(r"repmon-queue-\d{4}-\d\d-\d\d\.csv", download.value.suggested_filename)
        data = Path(download.value.path()).read_bytes()
        assert data.startswith("\ufeff".encode())  # the byte-order mark Excel needs for Hebrew
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
        assert rows[0][:2] == ["#", _("posted")] and rows[0][-2] == _("post")
        assert rows[0][-1] == _("post as edited (label and triage follow it)")
        assert sorted(int(r[0]) for r in rows[1:]) == sorted(ids[p] for p in ("p1", "p2", "p3", "p4", "p5"))
        hostile = next(r[-2] for r in rows[1:] if int(r[0]) == ids["p5"])
        assert hostile.startswith("<script>alert('x')</script>") and "⟨U+202E⟩" in hostile  # text, as stored

        # Filter by label, then search within it.
        page.get_by_test_id("stMultiSelect").filter(has=page.get_by_text(_("Label"), exact=True)).click()
        page.get_by_role("option", name=label_name("complaint", lang), exact=True).click()
        page.keyboard.press("Escape")
        expect(page.get_by_text(matches(2))).to_be_visible()
        search = page.get_by_label(_("Search posts and authors"), exact=True)
        search.fill("cold coffee")
        search.press("Enter")
        expect(page.get_by_text(matches(1))).to_be_visible()
        shot(page, "03-queue-filtered", grids=1)

        # Open the complaint from the queue.
        page.get_by_role("button", name=_("Open item #{id}").format(id=ids["p3"]), exact=True).click()
        expect(heading(page, f"#{ids['p3']} · {complaint}")).to_be_visible()
        expect(page.get_by_text(_("new"), exact=True)).to_be_visible()  # the status badge
        # The author's handle and the follower count, inside the line's own words, are isolated.
        author = page.locator(".repmon-author")
        expect(author.locator("bdi").first).to_have_text("@user_p3")
        if lang == "he":
            expect(author).to_have_attribute("dir", "rtl")
            expect(author.locator("bdi").nth(1)).to_have_text(re.compile(r"^\d"))  # the count
        shot(page, "04-item", grids=0)

        # Start working on it.
        page.get_by_role("button", name=_("Start"), exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(
            _("{action}: done.").format(action=_("Start"))
        )
        expect(page.get_by_text(_("in progress"), exact=True)).to_be_visible()
        expect(page.get_by_text(_("assignee {name}").format(name="maya"), exact=True)).to_be_visible()
        shot(page, "05-item-started", grids=1)

        # Draft a reply and save it.
        reply = page.get_by_label(_("Reply (public)"), exact=True)
        expect(reply).to_have_value(
            re.compile(r"^Hi user p3")
        )  # the playbook's template, the post's language
        text = "Hi, we're sorry about the coffee: please DM us the branch and the time."
        reply.fill(text)
        reply.press("Control+Enter")
        wait_for_app(page)
        page.get_by_role("button", name=_("Save draft"), exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text(_("Draft saved."))
        edited = _("{status} · last edit by {name}").format(status=_("draft"), name="maya")
        expect(page.get_by_test_id("stCaptionContainer").filter(has_text=edited)).to_be_visible()
        expect(page.get_by_label(_("Reply (public)"), exact=True)).to_have_value(text)
        shot(page, "06-item-draft-saved", grids=1)

        # The hostile post: markup shows as text, nothing runs, the bidi override is pointed out.
        pick = page.get_by_label(_("Item #"), exact=True)
        pick.fill(str(ids["p5"]))
        pick.press("Enter")
        expect(heading(page, f"#{ids['p5']} · {complaint}")).to_be_visible()
        wait_for_app(page)  # the previous item's post lingers until the rerun is done
        post = page.locator(".repmon-post")
        expect(post).to_have_count(1)
        expect(post).to_contain_text("<script>alert('x')</script>")
        expect(post).to_contain_text("<img src=x onerror=alert(1)>")
        expect(page.get_by_test_id("stAlertContentWarning").filter(has_text="RLO")).to_be_visible()
        assert page.locator("img[src=x]").count() == 0
        assert page.locator('img[src*="evil.example"]').count() == 0
        expect(post).to_contain_text("**bold** ![img](https://evil.example/x.png)")  # not markdown either
        assert post.locator("*").count() == 0  # the post is one text node: no element came from it
        expect(post).to_have_attribute("dir", "ltr")  # an English post stays left to right in Hebrew too
        shot(page, "07-hostile-post", grids=0)  # nothing done on it yet: no audit table

        # Legal exports the evidence of the accusation.
        page.get_by_role("button", name=_("Sign out"), exact=True).click()
        sign_in(page, "lea")
        expect(heading(page, _("Legal review"))).to_be_visible()
        page.get_by_role("button", name=_("Prepare evidence bundle"), exact=True).click()
        with page.expect_download() as download:
            page.get_by_role("button", name=_("Download evidence ZIP"), exact=True).click()
        assert download.value.suggested_filename.endswith(".zip")
        shot(page, "08-legal-evidence", grids=1)
        assert dialogs == []

    store = open_store(tmp_path / "data")  # what the browser did is in the database
    assert store.queue_item(ids["p3"]).status == "in_progress"
    assert store.reply(ids["p3"]).text == text
    assert [(e.actor, e.action) for e in store.item(ids["p3"]).audit] == [
        ("maya", "start"),
        ("maya", "assign"),
        ("maya", "draft"),
    ]
    exported = [
        e.actor for p in ("p1", "p2") for e in store.item(ids[p]).audit if e.action == "export_evidence"
    ]
    assert exported == ["lea"]
