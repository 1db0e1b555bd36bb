"""Make the README's dashboard screenshots from the realistic demo data.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--language en|he]

Runs ``repmon demo --once --no-dashboard`` in a temporary data folder (the real classifier on the built-in
demo stream; about a minute the first time, while the encoder is converted), then serves the dashboard
on that folder and drives headless Chromium through it, saving 1440x900 shots:

    queue.png     the queue (demo-manager)
    item.png      the first item in the queue, the top crisis (demo-manager)
    sources.png   the sources' health (demo-manager)
    legal.png     legal review (demo-legal)
    overview.png  the owner's overview (demo-owner)

in the interface language ``--language`` (English by default: the demo's users and the sign-in page get it
through ``REPMON_UI_LANGUAGE``); a language other than English adds its code to each name
(``queue-he.png``).

Needs Debian's Chromium and the ``playwright`` package (``bash scripts/setup.sh --dev``). Emoji need a
colour emoji font (Debian: ``fonts-noto-color-emoji``), or they show as empty boxes. The browser console
log, and ``failure.png`` when a step fails, go to ``test-artifacts/screenshots``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the e2e helpers live with the tests (tests/support/e2e.py)

from support.e2e import CHROMIUM, VIEWPORT, chromium_page, free_port, streamlit_server, wait_for_app  # noqa: E402

from monitor.cli import DEMO_PASSWORD  # noqa: E402 - the demo's users only, never a real install's
from monitor.i18n import LANGUAGES, gettext_for  # noqa: E402

if TYPE_CHECKING:
    from playwright.sync_api import Page

APP = ROOT / "dashboard" / "app.py"
WAIT_MS = 60_000


def repmon_command() -> list[str]:
    """The ``repmon`` console script of the Python running this script (else the one on PATH)."""
    beside = Path(sys.executable).parent / "repmon"
    found = str(beside) if beside.is_file() else shutil.which("repmon")
    if not found:
        sys.exit("screenshots: the repmon command is not installed: pip install -e '.[dev]'")
    return [found]


def make_demo_data(env: dict[str, str]) -> None:
    print("screenshots: running `repmon demo --once --no-dashboard` (about a minute the first time)...")
    done = subprocess.run(
        [*repmon_command(), "demo", "--once", "--no-dashboard"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        sys.exit(f"screenshots: repmon demo failed ({done.returncode}):\n{done.stderr[-4000:]}")
    passes = [line for line in done.stderr.splitlines() if line.startswith("pass:")]
    print(f"screenshots: demo {passes[0] if passes else 'data ready'}")


def settle(page: Page, tables: int = 0) -> None:
    """Wait until the run is over and its tables (at least ``tables``) and charts have painted."""
    from playwright.sync_api import expect

    wait_for_app(page)
    if tables:
        expect(page.get_by_test_id("stDataFrame").nth(tables - 1)).to_be_attached(timeout=WAIT_MS)
    page.wait_for_timeout(500)  # lazily loaded elements (tables, charts) mount after the run ends
    for grid in page.get_by_test_id("stDataFrame").all():
        # the grid's hidden rows for screen readers appear once its canvas has painted
        grid.locator('[role="row"]').first.wait_for(state="attached", timeout=WAIT_MS)
    for chart in page.get_by_test_id("stVegaLiteChart").all():
        chart.locator("canvas, svg").first.wait_for(state="attached", timeout=WAIT_MS)
    page.wait_for_timeout(800)  # the last paint (and any chart transition)


def title(page: Page, text: str) -> None:
    page.locator("h1").filter(has_text=text).first.wait_for(timeout=WAIT_MS)


def sign_in(page: Page, url: str, name: str, lang: str) -> None:
    _ = gettext_for(lang)
    page.goto(url)
    page.get_by_label(_("User name"), exact=True).fill(name)
    page.get_by_label(_("Password"), exact=True).fill(DEMO_PASSWORD)
    page.get_by_role("button", name=_("Sign in"), exact=True).click()
    page.get_by_text(f"{name} · ", exact=False).first.wait_for(timeout=WAIT_MS)


def sign_out(page: Page, lang: str) -> None:
    _ = gettext_for(lang)
    page.get_by_role("button", name=_("Sign out"), exact=True).click()
    page.get_by_label(_("User name"), exact=True).wait_for(timeout=WAIT_MS)


def shoot(page: Page, out: Path, name: str) -> None:
    page.mouse.move(1, VIEWPORT["height"] - 1)  # no hover effects (heading links, tooltips) in the shot
    page.wait_for_timeout(200)
    page.screenshot(path=str(out / name))
    print(f"screenshots: {out / name}")


def take(url: str, out: Path, logs: Path, lang: str) -> None:
    _ = gettext_for(lang)
    suffix = "" if lang == "en" else f"-{lang}"
    open_item = re.compile("^" + re.escape(_("Open item #{id}").split("{id}")[0]))
    with chromium_page(logs) as page:
        page.set_default_timeout(WAIT_MS)

        sign_in(page, url, "demo-manager", lang)
        title(page, _("Queue"))
        settle(page, tables=1)
        shoot(page, out, f"queue{suffix}.png")

        page.get_by_role("button", name=open_item).click()  # the top item of the queue
        page.locator("h1").filter(has_text="#").first.wait_for(timeout=WAIT_MS)
        settle(page, tables=0)  # a fresh demo item: nothing done on it yet, so no audit table
        shoot(page, out, f"item{suffix}.png")

        page.get_by_test_id("stSidebarNav").get_by_role("link", name=_("Sources"), exact=True).click()
        title(page, _("Sources"))
        settle(page, tables=1)
        shoot(page, out, f"sources{suffix}.png")
        sign_out(page, lang)

        sign_in(page, url, "demo-legal", lang)
        title(page, _("Legal review"))
        settle(page, tables=1)
        shoot(page, out, f"legal{suffix}.png")
        sign_out(page, lang)

        sign_in(page, url, "demo-owner", lang)
        title(page, _("Overview"))
        settle(page, tables=3)
        shoot(page, out, f"overview{suffix}.png")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=ROOT / "docs" / "screenshots",
        help="folder for the PNGs (docs/screenshots)",
    )
    parser.add_argument(
        "--language",
        choices=LANGUAGES,
        default="en",
        help="the interface language of the shots (en: queue.png ...; he: queue-he.png ...)",
    )
    args = parser.parse_args(argv)
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        sys.exit(
            f"screenshots: {CHROMIUM} not found: bash scripts/setup.sh --dev (or apt-get install chromium)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        sys.exit("screenshots: the playwright package is not installed: pip install -e '.[dev]'")

    # repmon refuses unknown REPMON_* variables, and the demo and the dashboard inherit this environment.
    os.environ.pop("E2E_ARTIFACTS_DIR", None)
    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    logs = ROOT / "test-artifacts" / "screenshots"
    with tempfile.TemporaryDirectory(prefix="repmon-screenshots-") as tmp:
        config = Path(tmp) / "repmon.toml"  # empty: the shots show the defaults, not this machine's setup
        config.write_text("", encoding="utf-8")
        env = {
            "REPMON_DATA_DIR": str(Path(tmp) / "data"),
            "REPMON_DATABASE_URL": "",  # never a real database named in the environment
            "REPMON_CONFIG": str(config),
            "REPMON_UI_LANGUAGE": args.language,  # the demo's users, and the sign-in page
        }
        make_demo_data(env)
        with streamlit_server(APP, free_port(), env, ROOT) as url:
            take(url, out, logs, args.language)
    print(f"screenshots: done ({VIEWPORT['width']}x{VIEWPORT['height']}) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
