"""What a person does to a queue item, shared by the CLI and the dashboard.

Each function first checks who acts (``authorize``: an existing, active user whose role holds the
permission, from the one table in ``monitor.users``), then what the workflow requires (approval before a
response, a reason for a dismissal, a transition the item's state allows), changes the store in one
audited step, and returns what it did. The CLI (``--by``) and the dashboard (the signed-in user) both
come through here, so they cannot disagree on who may do what.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from datetime import datetime
from pathlib import Path

from monitor import workflow
from monitor.errors import AccessDenied, ConfigError, InputError, Wait
from monitor.i18n import N_
from monitor.records import QueueItem
from monitor.settings import current
from monitor.storage import Store
from monitor.storage.outbox import OutboxEntry
from monitor.stored import Reply
from monitor.users import (
    ADMIN_ACTOR,
    User,
    action_permission,
    after_failure,
    can,
    check_name,
    check_role,
    hash_password,
    look_alike,
    password_matches,
    require_permission,
    retry_at,
)
from monitor.workflow import WorkflowError, next_state
from playbooks.engine import Library

DEMO_BUSINESS = "קפה לימון"
CHANNELS = {"he": "בהודעה פרטית", "en": "a direct message"}


def acting_user(store: Store, name: str | None) -> User:
    """The existing, active (not disabled) user called ``name``; ``AccessDenied`` otherwise."""
    if not name:
        raise AccessDenied(
            N_("no user given: pass --by NAME or set REPMON_CLI_USER (a user made with `repmon user add`)")
        )
    row = store.user(check_name(name))
    if row is None or row.disabled:
        raise AccessDenied(
            N_("no active user {name!r}: add one with `repmon user add`, or pass --by NAME"), name=name
        )
    return User(row.name, row.role)


def authorize(store: Store, actor: str | None, permission: str) -> User:
    """The acting user, if they exist, are active and their role holds ``permission``; otherwise
    ``AccessDenied`` that says which. Every action below starts here."""
    return require_permission(acting_user(store, actor), permission)


def request_poll(store: Store, source: str, actor: str, now: datetime) -> None:
    """Ask the running monitor to poll ``source`` at its next pass ("Poll now"), as ``actor``."""
    actor = authorize(store, actor, "poll_now").name
    store.request_poll(source, actor, now)


def tick_step(store: Store, item_id: int, step: int, done: bool, actor: str, now: datetime) -> None:
    """Record a playbook checklist step ticked (or unticked) on an item, as ``actor``: those who may act
    on the item's workflow or review it for legal."""
    user = acting_user(store, actor)
    if not (can(user.role, "workflow") or can(user.role, "legal_review")):
        require_permission(user, "workflow")  # raises AccessDenied naming the roles that may
    store.record_event(item_id, user.name, "checklist", {"step": step, "done": done}, now)


def set_digest_prefs(
    store: Store, actor: str, email: str | None, language: str, digest: bool, now: datetime
) -> None:
    """An owner's own daily-digest address, language and whether they get it."""
    user = authorize(store, actor, "digest_settings")
    store.set_digest_prefs(user.name, email, language, digest, user.name, now)


def set_language(store: Store, actor: str, language: str, now: datetime) -> None:
    """Any active user's own interface language (the dashboard's, and their e-mails')."""
    from monitor.i18n import LANGUAGES

    user = acting_user(store, actor)
    if language not in LANGUAGES:
        raise InputError(
            N_("unknown language {value!r}: choose one of {languages}"),
            value=language,
            languages=list(LANGUAGES),
        )
    store.set_user_language(user.name, language, user.name, now)


def add_user(
    store: Store,
    name: str,
    role: str,
    password: str,
    now: datetime,
    *,
    replace: bool = False,
    language: str | None = None,
) -> tuple[str, bool]:
    """Add a user (or change one, with ``replace``): the name checked (``check_name``) and refused if
    it looks like another user's name; only the password's argon2id hash is kept. ``language``: their
    interface language; a new user without one gets ``REPMON_UI_LANGUAGE``. (name, created)."""
    from monitor.i18n import LANGUAGES

    name, role = check_name(name), check_role(role)
    if language is not None and language not in LANGUAGES:
        raise InputError(
            N_("unknown language {value!r}: choose one of {languages}"),
            value=language,
            languages=list(LANGUAGES),
        )
    twin = look_alike(name, [u.name for u in store.users()])
    if twin is not None:
        raise InputError(
            N_("user name {name!r} looks like the existing user {twin!r}: choose a distinct name"),
            name=name,
            twin=twin,
        )
    if language is None and store.user(name) is None:
        language = current().ui_language
    created = store.add_user(
        name, role, hash_password(password), now, replace=replace, actor=ADMIN_ACTOR, language=language
    )
    return name, created


def sign_in(store: Store, name: str, password: str, address: str | None, now: datetime) -> User:
    """The user, if ``password`` is theirs and neither their name nor the client ``address`` is
    throttled; ``AccessDenied`` otherwise. Failures count per name and per address in the store (a
    reload or a restart keeps them): after 5, each try waits 2^(n-5) s after the last; 20 lock the name
    for an hour (audited). An unknown name is checked against a dummy hash of the same cost, and
    throttled the same way, so neither the time nor the answer tells whether the user exists."""
    try:
        key, valid = check_name(name), True
    except InputError:
        key, valid = name, False
    keys = [("user", key)] + ([("address", address)] if address else [])
    waits = [t for t in (retry_at(f, now) for f in store.sign_in_failures(keys).values()) if t]
    if waits:
        until = max(waits)
        raise AccessDenied(
            N_(
                "Too many failed sign-ins: try again in {time}, or ask an administrator "
                "(`repmon user enable NAME` lifts a lockout)."
            ),
            retry_at=until,
            time=Wait(seconds=(until - now).total_seconds()),
        )
    row = store.user(key) if valid else None
    if row is not None and row.disabled:
        row = None  # checked against the dummy hash, as an unknown name is
    if not password_matches(row.password_hash if row is not None else None, password) or row is None:
        store.record_sign_in_failure(
            keys, now, lambda f, kind: after_failure(f, now, lockable=kind == "user")
        )
        raise AccessDenied(N_("Wrong user name or password."))
    store.clear_sign_in_failures([("user", key)])
    return User(row.name, row.role)


def approvers() -> list[str]:
    """The names in REPMON_APPROVERS: when any are set, a reply needs approval before it is sent."""
    return list(current().approvers)


def draft_for(item: QueueItem, library: Library) -> tuple[str, str]:
    """The reply draft for a queue item, in the post's language, from its playbook's template."""
    from playbooks.drafts import render_draft

    playbook = library.playbooks.get(item.playbook)
    if playbook is None:
        return "", ""
    settings = current()
    business = settings.business_name or (DEMO_BUSINESS if item.is_demo else "")
    contact = settings.contact or ("*3000" if item.is_demo else "")
    author = None if item.author == "unknown" else item.author
    return render_draft(
        playbook, item.language, author, business, CHANNELS, contact, settings.default_language
    )


def save_draft(
    store: Store, item_id: int, actor: str, now: datetime, library: Library, text: str | None = None
) -> tuple[str, str]:
    """Save the item's reply: ``text`` as given (cleaned), or the playbook's template; (text, language)."""
    from classifiers.text import detect_language
    from playbooks.drafts import clean_reply

    actor = authorize(store, actor, "draft").name
    q = store.queue_item(item_id)
    if q is None:
        raise InputError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=item_id)
    if text is not None:
        text = clean_reply(text)
        if not text:
            raise InputError(N_("the draft is empty: write the reply's text"))
        language = {"he": "he", "en": "en"}.get(detect_language(text), "he")
    else:
        text, language = draft_for(q, library)
        if not text:
            raise InputError(
                N_("playbook {playbook} has no public reply template: write the reply yourself"),
                playbook=q.playbook,
            )
    workflow.save_draft(store, item_id, text, language, actor, now)
    return text, language


def perform(
    store: Store,
    item_id: int,
    action: str,
    actor: str,
    now: datetime,
    *,
    decision: str | None = None,
    reason: str | None = None,
    note: str | None = None,
    reply_id: str | None = None,
) -> str:
    """A workflow action on an item, by a user whose role may take it from the item's state; a response
    needs an approved reply when approvers are set. Returns the new state."""
    q = store.queue_item(item_id)
    actor = authorize(store, actor, action_permission(action, q.status if q else "new")).name
    if action == "respond":
        _require_approval(store, item_id)
    state = workflow.act(store, item_id, action, actor, now, decision=decision, reason=reason, note=note)
    if action == "respond":
        store.mark_reply_sent(item_id, reply_id, now)
    return state


def approve(store: Store, item_id: int, actor: str, now: datetime) -> None:
    """Approve an item's submitted reply: by a user whose role may approve (and, when REPMON_APPROVERS
    is set, one of them), never by the draft's own editor."""
    actor = authorize(store, actor, "approve").name
    workflow.approve(store, item_id, actor, approvers(), now)


def assign(store: Store, item_id: int, assignee: str, actor: str, now: datetime) -> None:
    """Assign an item to an active user who works the queue, by a user whose role may assign."""
    actor = authorize(store, actor, "assign").name
    row = store.user(check_name(assignee))
    if row is None or row.disabled or not can(row.role, "page:queue"):
        raise InputError(
            N_(
                "cannot assign item {item_id} to {name!r}: assign it to an active manager or legal user "
                "(see `repmon user list`)"
            ),
            item_id=item_id,
            name=assignee,
        )
    workflow.assign(store, item_id, row.name, actor, now)


def _require_approval(store: Store, item_id: int) -> None:
    if not approvers():
        return
    reply = store.reply(item_id)
    if reply is None or reply.status not in ("approved", "sent"):
        raise WorkflowError(
            N_(
                "item {item_id}: replies need approval (REPMON_APPROVERS): draft, submit and approve it first"
            ),
            item_id=item_id,
        )


def check_postable(
    store: Store, item_id: int, actor: str, queued_text: str | None = None
) -> tuple[str, QueueItem, Reply]:
    """What posting a reply needs, checked when it is queued and again just before the monitor posts it:
    a user who may respond, an item whose state allows it, the approval REPMON_APPROVERS asks for,
    posting on (REPMON_POST_REPLIES), a reply that exists (and, once queued, was not edited since:
    ``queued_text``), on real data. (the acting user's name, the item, the reply)."""
    actor = authorize(store, actor, action_permission("respond", "in_progress")).name
    q = store.queue_item(item_id)
    if q is None:
        raise WorkflowError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=item_id)
    next_state(q.status, "respond")  # refuse before anything is queued or posted
    _require_approval(store, item_id)
    if not current().post_replies:
        raise ConfigError(
            N_("posting replies is off: set REPMON_POST_REPLIES=true, or post by hand and respond")
        )
    reply = store.reply(item_id)
    if reply is None or not reply.text:
        raise WorkflowError(N_("item {item_id} has no reply to post: write one first"), item_id=item_id)
    if queued_text is not None and reply.text != queued_text:
        raise WorkflowError(
            N_("item {item_id}: the reply was edited after it was queued: post it again"), item_id=item_id
        )
    if q.is_demo:
        raise WorkflowError(
            N_("item {item_id} is demo data: there is nothing real to reply to"), item_id=item_id
        )
    return actor, q, reply


def queue_reply(store: Store, item_id: int, actor: str, now: datetime) -> OutboxEntry:
    """Queue the item's approved reply for the running monitor to post (REPMON_POST_REPLIES=true), with a
    "queue_reply" audit event in the same transaction. Nothing is posted here, and no platform token is
    read: the monitor posts it (``monitor/outbox.py``) and then marks the item responded."""
    actor, q, reply = check_postable(store, item_id, actor)
    return store.outbox.enqueue(item_id, q.platform, q.external_id, reply.text, reply.language, actor, now)


def correct_label(
    store: Store,
    item_id: int,
    label: str,
    reason: str,
    actor: str,
    now: datetime,
    library: Library | None = None,
) -> None:
    """Record a person's label for an item and re-triage it, so its playbook follows the new label."""
    from monitor.pipeline import triage_open

    actor = authorize(store, actor, "correct").name
    workflow.correct(store, item_id, label, reason, actor, now)
    version = store.model_version_of(item_id)
    if version:
        triage_open(store, version, now, library)


def _bundle(store: Store, item_id: int, now: datetime, actor: str) -> tuple[str, bytes, str]:
    """An item's evidence bundle, not yet audited: (file name, ZIP bytes, SHA-256). The name holds the
    bundle's hash prefix, so two bundles made in the same second never share a name. Its summary is in
    the exporting user's language (REPMON_UI_LANGUAGE for a user without one), times in REPMON_TIMEZONE."""
    from monitor.evidence import render_bundle

    ev = store.evidence(item_id)
    if ev is None:
        raise InputError(N_("no queue item {item_id}: see `repmon queue --all`"), item_id=item_id)
    user = store.user(actor)
    settings = current()  # REPMON_TIMEZONE was checked when the settings were loaded
    language = (user.language if user is not None else "") or settings.ui_language
    data = render_bundle(ev, now, language, settings.timezone)
    digest = hashlib.sha256(data).hexdigest()
    name = f"repmon-evidence-item-{item_id}-{now.strftime('%Y%m%dT%H%M%SZ')}-{digest[:12]}.zip"
    return name, data, digest


def export_evidence(store: Store, item_id: int, actor: str, now: datetime) -> tuple[str, bytes, str]:
    """The item's evidence bundle for a browser download: (file name, ZIP bytes, SHA-256). The export
    is audited once the bytes exist, before they are offered; whether the browser saved them, repmon
    cannot know (see README: Security)."""
    actor = authorize(store, actor, "evidence").name
    name, data, digest = _bundle(store, item_id, now, actor)
    detail = {"file": name, "sha256": digest, "to": "dashboard download"}
    store.record_event(item_id, actor, "export_evidence", detail, now)
    return name, data, digest


def write_evidence(store: Store, item_id: int, actor: str, now: datetime, out_dir: Path) -> tuple[Path, str]:
    """Write the item's evidence bundle into ``out_dir`` and audit it: (the file, its SHA-256).

    The bytes go to a temporary file in ``out_dir``, are flushed to disk, then linked under a name no
    other file has (never replacing one); only then is the export recorded. A folder that cannot be
    written, or a file given as the folder, is an InputError and nothing is recorded; if recording
    fails, the file is removed again."""
    actor = authorize(store, actor, "evidence").name
    name, data, digest = _bundle(store, item_id, now, actor)
    path = _write_new_file(Path(out_dir), name, data)
    try:
        detail = {"file": path.name, "sha256": digest, "to": str(path.resolve())}
        store.record_event(item_id, actor, "export_evidence", detail, now)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path, digest


def _write_new_file(out_dir: Path, name: str, data: bytes) -> Path:
    def refuse(exc: OSError) -> InputError:
        return InputError(
            N_(
                "cannot write the evidence bundle to {folder} ({problem}): give --out a writable "
                "folder; nothing was exported or recorded"
            ),
            folder=out_dir,
            problem=exc.strerror or exc,
        )

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            N_(
                "--out {folder} is a file, not a folder: give --out a folder for the evidence ZIP; "
                "nothing was exported or recorded"
            ),
            folder=out_dir,
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out_dir, prefix=".repmon-evidence-", suffix=".part")
    except OSError as exc:
        raise refuse(exc) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        stem, suffix = name.removesuffix(".zip"), ".zip"
        for n in itertools.count(1):
            path = out_dir / (name if n == 1 else f"{stem}-{n}{suffix}")
            try:
                os.link(tmp, path)  # fails rather than replace a file of the same name
                break
            except FileExistsError:
                continue
        _fsync_dir(out_dir)
    except OSError as exc:
        raise refuse(exc) from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems cannot sync a folder; the file itself is synced
    finally:
        os.close(fd)
