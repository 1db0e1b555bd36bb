"""`repmon digest`: write the daily digest to files (--dry-run) or send today's (--send)."""

from __future__ import annotations

import argparse
from pathlib import Path

from monitor.cli import common
from monitor.cli.common import Gettext, Subparsers, err
from monitor.errors import ConfigError, InputError


def add_digest(sub: Subparsers, _: Gettext) -> None:
    p = sub.add_parser(
        "digest", help=_("the daily digest: --dry-run --out DIR writes it; --send sends today's")
    )
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--dry-run", action="store_true", help=_("write .eml and .html files instead of sending")
    )
    mode.add_argument(
        "--send", action="store_true", help=_("send today's digest now (once per recipient per day)")
    )
    p.add_argument("--out", default="digest", help=_("folder for --dry-run (default ./digest)"))
    p.set_defaults(func=cmd_digest)


def cmd_digest(args: argparse.Namespace) -> int:
    from monitor.email.digest import collect_digest, render_digest
    from monitor.email.mailer import Recipient, digest_recipients, send, smtp_config
    from monitor.runner import RunConfig, Runner

    store = common.open_store()
    config = RunConfig.from_settings()
    now = common.now()
    if args.dry_run:
        problems: list[str] = []
        recipients = digest_recipients(store, problems) or [
            Recipient("owner@example.invalid", lang) for lang in ("he", "en")
        ]
        summary = collect_digest(store, now, config.tz, config.dashboard_url, common.playbooks().library)
        out = Path(args.out)
        try:
            out.mkdir(parents=True, exist_ok=True)
            for r in recipients:
                msg = render_digest(
                    summary, r.language, config.sender or "repmon <repmon@localhost>", r.address
                )
                stem = f"digest-{now.astimezone(config.tz).date().isoformat()}-{r.address}-{r.language}"
                (out / f"{stem}.eml").write_bytes(msg.as_bytes())
                html_part = msg.get_body(("html",))
                if html_part is not None:  # render_digest always writes one
                    (out / f"{stem}.html").write_text(html_part.get_content(), encoding="utf-8")
                print(out / f"{stem}.eml")
        except OSError as exc:
            raise InputError(f"cannot write the digest to {out} ({exc.strerror}): check --out") from None
        for problem in problems:
            err(f"repmon: {problem}")  # the mailer's words (see README, Languages)
        return 1 if problems else 0
    smtp = smtp_config()
    if smtp is None:
        raise ConfigError(
            "e-mail is off: set REPMON_SMTP_HOST, REPMON_DIGEST_FROM and REPMON_DIGEST_RECIPIENTS"
        )
    runner = Runner(store, [], None, config, transport=lambda msg: send(msg, smtp), clock=common.now)
    print(runner.digest(force=True))  # a failed delivery is a MailError, an unusable address a ConfigError
    return 0
