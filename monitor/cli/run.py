"""`repmon demo`, `run`, `worker`, `poll` and `dashboard`: the monitor's long-running processes, one pass,
and the Streamlit dashboard beside them."""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err
from monitor.errors import ConfigError
from monitor.records import MAX_ITEM_ID
from monitor.text_safety import json_for_terminal
from monitor.vocabulary import Role

if TYPE_CHECKING:
    from monitor.outbox import OutboxReport
    from monitor.pipeline import Predictor
    from monitor.sources import Source
    from monitor.storage import Store

_ = common.tr  # the CLI's language; a function with its own `_` shadows it


def add_demo(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("demo", help=_("run the monitor on the built-in demo stream (no credentials needed)"))
    p.add_argument("--once", action="store_true", help=_("run one pass, show the queue and exit"))
    p.add_argument("--no-dashboard", action="store_true", help=_("do not start the dashboard"))
    p.add_argument("--interval", type=float, help=_("seconds between passes (default REPMON_POLL_INTERVAL)"))
    p.add_argument(
        "--limit",
        type=common.whole_number(1, MAX_ITEM_ID),
        default=20,
        help=_("queue rows to show (default 20)"),
    )
    p.add_argument(
        "--port", type=common.port_number, help=_("dashboard port (default REPMON_DASHBOARD_PORT)")
    )
    p.set_defaults(func=cmd_demo)


def add_run(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser(
        "run", help=_("the long-running monitor: polling, alerts, digest, queued replies; and the dashboard")
    )
    p.add_argument(
        "--once", action="store_true", help=_("one pass over the sources and the outbox, then exit")
    )
    p.add_argument("--no-dashboard", action="store_true", help=_("do not start the dashboard"))
    p.add_argument(
        "--port", type=common.port_number, help=_("dashboard port (default REPMON_DASHBOARD_PORT)")
    )
    p.set_defaults(func=cmd_run)


def add_worker(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("worker", help=_("classify and triage queued work beside other workers (PostgreSQL)"))
    p.add_argument("--exit-when-idle", action="store_true", help=_("exit when no work is left"))
    p.add_argument(
        "--batch",
        type=common.whole_number(1, 100_000),
        default=256,
        help=_("mentions claimed per transaction (default 256)"),
    )
    p.add_argument("--no-poll", action="store_true", help=_("only process stored work; poll no source"))
    p.set_defaults(func=cmd_worker)


def add_dashboard(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser(
        "dashboard", help=_("start the Streamlit dashboard (sign in with `repmon user add` users)")
    )
    p.add_argument("--port", type=common.port_number, help=_("port (default REPMON_DASHBOARD_PORT, 8501)"))
    p.set_defaults(func=cmd_dashboard)


def add_poll(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser("poll", help=_("one pass over the configured sources: poll, store, classify, triage"))
    p.add_argument("--once", action="store_true", required=True, help=_("run one pass and exit"))
    p.set_defaults(func=cmd_poll)


DEMO_USERS = (("demo-manager", Role.MANAGER), ("demo-legal", Role.LEGAL), ("demo-owner", Role.OWNER))
DEMO_PASSWORD = "repmon-demo"


def _demo_users(store: Store) -> None:
    """The demo's sign-ins (demo mode only: a real install has no default password)."""
    from monitor.actions import add_user

    existing = {u.name for u in store.users()}
    for name, role in DEMO_USERS:
        if name not in existing:
            add_user(store, name, role, DEMO_PASSWORD, common.now())


def _dashboard_process(port: int | None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(dashboard_command(port))


def _end_dashboard(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop the dashboard's Streamlit process: SIGTERM, then SIGKILL if it is not gone in ``timeout`` s."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        err(
            _("repmon: the dashboard (pid {pid}) did not stop within {seconds} s: killed").format(
                pid=proc.pid, seconds=f"{timeout:g}"
            )
        )
        proc.kill()
        proc.wait(timeout=timeout)


def dashboard_command(port: int | None) -> list[str]:
    """Streamlit on the dashboard, through ``dashboard.serve`` (which refuses ``/_stcore/metrics``)."""
    from monitor.settings import current

    app = Path(__file__).resolve().parents[2] / "dashboard" / "app.py"
    port_value = str(port if port is not None else current().dashboard_port)
    if not port_value.isdigit() or not 0 < int(port_value) < 65536:
        raise ConfigError(f"dashboard port {port_value!r} is not a port number (1-65535)")
    return [
        sys.executable, "-m", "dashboard.serve", str(app),
        "--server.port", port_value,
        "--server.address", current().dashboard_address,
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
        "--client.toolbarMode", "minimal",
    ]  # fmt: skip


def cmd_dashboard(args: argparse.Namespace) -> int:
    import signal
    import threading

    from monitor.settings import current

    store = common.open_store()  # migrate before the app opens the database
    _ = common.gettext()
    if not store.users():
        err(_("repmon: no dashboard users yet: add one with `repmon user add NAME --role manager`"))
    port = args.port if args.port is not None else current().dashboard_port
    err(_("dashboard: {url}").format(url=f"http://{current().dashboard_address}:{port}"))
    proc = _dashboard_process(port)
    stopping = threading.Event()

    def stop(signum: int, _frame: object) -> None:
        # SIGTERM would otherwise end repmon at once and leave Streamlit serving on its own.
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        while proc.poll() is None and not stopping.is_set():
            stopping.wait(0.5)
    finally:
        _end_dashboard(proc)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 0 if stopping.is_set() else proc.returncode


def _interval(args: argparse.Namespace) -> float:
    from monitor.settings import current

    raw_interval = args.interval if getattr(args, "interval", None) is not None else current().poll_interval
    try:
        interval = float(raw_interval)
    except ValueError:
        raise ConfigError(f"REPMON_POLL_INTERVAL={raw_interval!r} is not a number of seconds") from None
    if interval <= 0:
        raise ConfigError(f"the poll interval must be more than 0 seconds, not {raw_interval}")
    return interval


def _run_loop(
    store: Store, sources: Sequence[Source], clf: Predictor, args: argparse.Namespace, banner: str = ""
) -> int:
    """The scheduled monitor (and the dashboard beside it) until SIGTERM or Ctrl-C."""
    import signal

    from monitor.email.mailer import send, smtp_config
    from monitor.runner import RunConfig, Runner
    from monitor.settings import current

    config = RunConfig.from_settings()
    smtp = smtp_config()
    transport = (lambda msg: send(msg, smtp)) if smtp else None
    runner = Runner(store, sources, clf, config, transport=transport, holder=common.playbooks())
    _ = common.gettext()
    dashboard = None
    if not args.no_dashboard:
        port = args.port if args.port is not None else current().dashboard_port
        dashboard = _dashboard_process(port)
        err(_("dashboard: {url}").format(url=f"http://{current().dashboard_address}:{port}"))
    if banner:
        err(banner)
    if smtp is None:
        err(_("e-mail is off: set REPMON_SMTP_HOST (and the digest settings) for the digest and alerts"))

    def stop(signum: int, _frame: object) -> None:
        err(_("repmon: {signal}: stopping after the current job").format(signal=signal.Signals(signum).name))
        runner.stop.set()
        if dashboard is not None and dashboard.poll() is None:
            dashboard.terminate()  # the dashboard goes now; _end_dashboard kills it if it lingers

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err(_("running; `repmon status` shows each job; Ctrl-C stops"))
    try:
        runner.run_forever()
    finally:
        if dashboard is not None:
            _end_dashboard(dashboard)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from datetime import timedelta

    from monitor.cli.queue import render_queue
    from monitor.sources.demo import DemoSource

    store = common.open_store()
    clf = common.classifier()
    source = DemoSource()
    source.min_interval = timedelta(seconds=_interval(args))
    report = common.run_pass(store, [source], clf)
    _ = common.gettext()
    err(
        _(
            "pass: {new} new mentions, {snapshots} metric snapshots, {classified} classified, "
            "{triaged} triaged"
        ).format(
            new=report.new_mentions,
            snapshots=report.new_snapshots,
            classified=report.classified,
            triaged=report.triaged,
        )
    )
    print(render_queue(store.queue(limit=args.limit)))
    _demo_users(store)
    if args.once:
        return 0
    logins = _("sign in as {users} with password {password}").format(
        users=", ".join(f"{n} ({r})" for n, r in DEMO_USERS), password=DEMO_PASSWORD
    )
    return _run_loop(store, [source], clf, args, banner=logins if not args.no_dashboard else "")


def cmd_run(args: argparse.Namespace) -> int:
    from monitor.wiring import build_sources

    store = common.open_store()
    sources = build_sources(store, common.playbooks())
    clf = common.classifier()
    if args.once:
        report = common.run_pass(store, sources, clf)
        print(json_for_terminal(report.as_dict()))
        replies = _post_replies(store)
        return 0 if not report.errors and not replies.errors else 1
    return _run_loop(store, sources, clf, args)


def _post_replies(store: Store) -> OutboxReport:
    """The monitor's outbox step: post the replies people queued (``monitor/outbox.py``)."""
    from monitor.outbox import post_queued

    report = post_queued(store, common.now())
    for error in report.errors:
        err(f"repmon: reply: {error}")  # the outbox's own message (English, like the product's errors)
    return report


def cmd_worker(args: argparse.Namespace) -> int:
    import signal

    from monitor.wiring import build_sources
    from monitor.worker import Worker

    store = common.open_store()
    sources = [] if args.no_poll else build_sources(store, common.playbooks())
    worker = Worker(store, common.classifier(), sources=sources, batch=args.batch, holder=common.playbooks())

    def stop(signum: int, _frame: object) -> None:
        err(
            _("repmon worker: {signal}: stopping after the current batch").format(
                signal=signal.Signals(signum).name
            )
        )
        worker.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    processed = worker.run(exit_when_idle=args.exit_when_idle)
    print(_("processed {n} items").format(n=processed))
    return 0


def cmd_poll(args: argparse.Namespace) -> int:
    store = common.open_store()
    from monitor.wiring import build_sources

    report = common.run_pass(store, build_sources(store, common.playbooks()), common.classifier())
    print(json_for_terminal(report.as_dict()))
    return 0 if not report.errors else 1
