"""End to end: the dashboard served by ``streamlit run`` and driven in headless Chromium.

One walk through a manager's day on the small fixed database of ``support.dashboard_data``: sign in,
filter and search the queue, open an item, start it, save a reply draft, and open the hostile post to see
that it stays inert text. A full-page screenshot of each step goes to ``$E2E_ARTIFACTS_DIR/e2e`` (default
``test-artifacts/e2e`` in the repository), with the browser console log; a failure adds ``failure.png``.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import open_store
from support.dashboard_data import PASSWORD, build
from support.e2e import VIEWPORT, chromium_page, free_port, require_browser, streamlit_server, wait_for_app

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboard" / "app.py"
WAIT_MS = 30_000  # generous: the first page load compiles and connects the websocket


def artifacts_dir() -> Path:
    base = Path(os.environ.get("E2E_ARTIFACTS_DIR", "test-artifacts"))
    return (base if base.is_absolute() else ROOT / base) / "e2e"


def test_a_manager_works_an_item_in_a_real_browser(tmp_path, monkeypatch):
    require_browser()
    from playwright.sync_api import Locator, Page, expect

    expect.set_options(timeout=WAIT_MS)
    ids = build(tmp_path / "data")
    out = artifacts_dir()
    # Not a repmon setting: the app refuses unknown REPMON_* variables, so the server must not inherit it.
    monkeypatch.delenv("E2E_ARTIFACTS_DIR", raising=False)
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.png"):  # a failure.png from an earlier run would mislead
        old.unlink()
    config = tmp_path / "repmon.toml"  # empty: a repmon.toml in the working copy must not leak in
    config.write_text("", encoding="utf-8")
    env = {
        "REPMON_DATA_DIR": str(tmp_path / "data"),
        "REPMON_CONFIG": str(config),
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
        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
        page.set_viewport_size(VIEWPORT)

    def heading(page: Page, text: str) -> Locator:
        return page.locator("h1").filter(has_text=re.compile(f"^{re.escape(text)}$"))

    with (
        streamlit_server(APP, free_port(), env, ROOT) as url,
        chromium_page(out) as page,
    ):
        page.on("dialog", lambda d: (dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        page.set_default_timeout(WAIT_MS)

        # Sign in as a manager: the queue is the landing page.
        page.goto(url)
        expect(page.get_by_label("User name", exact=True)).to_be_visible()
        shot(page, "01-sign-in")
        page.get_by_label("User name", exact=True).fill("maya")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(heading(page, "Queue")).to_be_visible()
        expect(page.get_by_text("maya · manager")).to_be_visible()
        expect(page.get_by_text(re.compile(r"^5 items match"))).to_be_visible()
        shot(page, "02-queue", grids=1)

        # Filter by label, then search within it.
        page.get_by_test_id("stMultiSelect").filter(has=page.get_by_text("Label", exact=True)).click()
        page.get_by_role("option", name="complaint", exact=True).click()
        page.keyboard.press("Escape")
        expect(page.get_by_text(re.compile(r"^2 items match"))).to_be_visible()
        search = page.get_by_label("Search posts and authors", exact=True)
        search.fill("cold coffee")
        search.press("Enter")
        expect(page.get_by_text(re.compile(r"^1 item match"))).to_be_visible()
        shot(page, "03-queue-filtered", grids=1)

        # Open the complaint from the queue.
        page.get_by_role("button", name=f"Open item #{ids['p3']}", exact=True).click()
        expect(heading(page, f"#{ids['p3']} · 💬 complaint")).to_be_visible()
        expect(page.get_by_text("new", exact=True)).to_be_visible()  # the status badge
        shot(page, "04-item", grids=0)

        # Start working on it.
        page.get_by_role("button", name="Start", exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text("Start: done.")
        expect(page.get_by_text("in progress", exact=True)).to_be_visible()
        expect(page.get_by_text("assignee maya", exact=True)).to_be_visible()  # starting it made it hers
        shot(page, "05-item-started", grids=1)

        # Draft a reply and save it.
        reply = page.get_by_label("Reply (public)", exact=True)
        expect(reply).to_have_value(re.compile(r"^Hi user p3"))  # the playbook's template
        text = "Hi, we're sorry about the coffee: please DM us the branch and the time."
        reply.fill(text)
        reply.press("Control+Enter")
        wait_for_app(page)
        page.get_by_role("button", name="Save draft", exact=True).click()
        expect(page.get_by_test_id("stAlertContentSuccess")).to_have_text("Draft saved.")
        expect(page.get_by_test_id("stCaptionContainer").filter(has_text="last edit by maya")).to_be_visible()
        expect(page.get_by_label("Reply (public)", exact=True)).to_have_value(text)
        shot(page, "06-item-draft-saved", grids=1)

        # The hostile post: markup shows as text, nothing runs, the bidi override is pointed out.
        pick = page.get_by_label("Item #", exact=True)
        pick.fill(str(ids["p5"]))
        pick.press("Enter")
        expect(heading(page, f"#{ids['p5']} · 💬 complaint")).to_be_visible()
        wait_for_app(page)  # the previous item's post lingers until the rerun is done
        post = page.locator(".repmon-post")
        expect(post).to_have_count(1)
        expect(post).to_contain_text("<script>alert('x')</script>")
        expect(post).to_contain_text("<img src=x onerror=alert(1)>")
        expect(page.get_by_text("invisible characters")).to_contain_text("RLO")
        assert page.locator("img[src=x]").count() == 0
        assert page.locator('img[src*="evil.example"]').count() == 0
        expect(post).to_contain_text("**bold** ![img](https://evil.example/x.png)")  # not markdown either
        assert post.locator("*").count() == 0  # the post is one text node: no element came from it
        shot(page, "07-hostile-post", grids=0)  # nothing done on it yet: no audit table
        assert dialogs == []

    store = open_store(tmp_path / "data")  # what the browser did is in the database
    assert store.queue_item(ids["p3"]).status == "in_progress"
    assert store.reply(ids["p3"])["text"] == text
    assert [(e["actor"], e["action"]) for e in store.item(ids["p3"])["audit"]] == [
        ("maya", "start"),
        ("maya", "assign"),
        ("maya", "draft"),
    ]
