"""Helpers for end-to-end browser tests of the Streamlit dashboard.

Not a test module: tests import it (with ``tests/`` on the path, as pytest puts it:
``from support.e2e import ...``). A test typically does::

    require_browser()
    with streamlit_server(APP, free_port(), env, cwd) as url, chromium_page(tmp_path) as page:
        page.goto(url)
        wait_for_app(page)
        ...

The browser is Debian's Chromium (``/usr/bin/chromium``, installed by ``scripts/setup.sh --dev``), driven by
the ``playwright`` Python package; ``playwright install`` is never needed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")

# --disable-background-networking and friends keep Chromium from dialling out: on a closed network those
# connections are refused and can stall start-up.
CHROMIUM_ARGS: tuple[str, ...] = (
    "--headless",
    "--no-sandbox",  # we run as root in CI and containers
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

VIEWPORT = {"width": 1440, "height": 900}


def require_browser() -> None:
    """Skip the calling test unless Chromium and the ``playwright`` package are both available."""
    import pytest

    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(
            f"e2e: {CHROMIUM} not found; install Debian's chromium (bash scripts/setup.sh --dev, "
            "or apt-get install chromium chromium-driver)"
        )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("e2e: the playwright package is not installed; pip install -e '.[dev]'")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(log: IO[bytes], limit: int = 4000) -> str:
    """The last ``limit`` characters written to a server log file."""
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-limit:]


def _healthy(url: str) -> bool:
    """Whether Streamlit's health endpoint at ``url`` answers ``ok``."""
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200 and response.read().strip() == b"ok"
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the server, killing it if it does not exit within a few seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def streamlit_server(
    script: Path, port: int, env: dict[str, str], cwd: Path, timeout: float = 60
) -> Iterator[str]:
    """Run ``streamlit run script`` on 127.0.0.1:``port`` and yield its base URL once it is healthy.

    ``env`` is laid over the current environment. The server's stdout and stderr go to one temporary
    file; if the server exits or is not healthy within ``timeout`` seconds, ``RuntimeError`` is raised
    with the tail of that output. On leaving the block the server is terminated (killed if need be).
    """
    base = f"http://127.0.0.1:{port}"
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(script),
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.address",
        "127.0.0.1",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
        "--client.toolbarMode",
        "minimal",  # as `repmon dashboard` serves it: no Deploy button
    ]
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
    with tempfile.TemporaryFile(prefix="streamlit-e2e-") as log:
        proc = subprocess.Popen(command, cwd=cwd, env=full_env, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not _healthy(f"{base}/_stcore/health"):
                if proc.poll() is not None:
                    raise RuntimeError(
                        f"streamlit exited with code {proc.returncode} before it was healthy:\n{_tail(log)}"
                    )
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit was not healthy after {timeout:.0f}s:\n{_tail(log)}")
                time.sleep(0.2)
            yield base
        finally:
            _stop(proc)


@contextmanager
def chromium_page(artifacts_dir: Path) -> Iterator[Page]:
    """Launch headless Chromium (1440x900) and yield a fresh page.

    Browser console messages and page errors are written to ``artifacts_dir/console.log``; if the block
    raises, a full-page screenshot is saved to ``artifacts_dir/failure.png`` before the browser closes.
    """
    from playwright.sync_api import sync_playwright

    artifacts_dir.mkdir(parents=True, exist_ok=True)
    with (
        (artifacts_dir / "console.log").open("w", encoding="utf-8") as console,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        try:
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            page.on("console", lambda msg: console.write(f"[{msg.type}] {msg.text}\n"))
            page.on("pageerror", lambda err: console.write(f"[pageerror] {err}\n"))
            try:
                yield page
            except BaseException:
                try:
                    page.screenshot(path=str(artifacts_dir / "failure.png"), full_page=True)
                except Exception as exc:  # the page may be gone; keep the original error
                    console.write(f"[e2e] failure screenshot not taken: {exc}\n")
                raise
        finally:
            browser.close()


def wait_for_app(page: Page, timeout: float = 30, settle_ms: int = 250) -> None:
    """Wait until the Streamlit app is connected and its script run has finished.

    The app root ``[data-testid="stApp"]`` carries ``data-test-connection-state`` (``CONNECTED`` once the
    websocket is up) and ``data-test-script-state`` (``initial`` before the first run, then ``running``,
    ``rerunRequested``, ``notRunning``...). A click only *requests* a rerun, so the state can still read
    ``notRunning`` for a moment after it; ``settle_ms`` is waited first to let the rerun begin. Prefer
    ``expect(locator).to_be_visible()`` on the output you expect (it retries); use this before asserting
    that something is *absent*, or before a screenshot.
    """
    page.wait_for_timeout(settle_ms)
    ms = timeout * 1000
    page.locator('[data-testid="stApp"][data-test-connection-state="CONNECTED"]').wait_for(timeout=ms)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=ms)
