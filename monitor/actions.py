"""What a person does to a queue item, shared by the CLI and the dashboard.

Each function checks what the workflow requires (approval before a response, a reason for a dismissal, a
transition the item's state allows), changes the store in one audited step, and returns what it did.
Who may do what is the dashboard's question (``monitor.users.can``); these functions take the actor's
name and record it.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import tempfile
from datetime import datetime
from pathlib import Path

from monitor.errors import ConfigError, InputError
from monitor.records import QueueItem
from monitor.settings import secret, setting
from monitor.storage import Store
from monitor.workflow import WorkflowError, next_state
from playbooks.engine import Library

DEMO_BUSINESS = "קפה לימון"
CHANNELS = {"he": "בהודעה פרטית", "en": "a direct message"}


def approvers() -> list[str]:
    """The names in REPMON_APPROVERS: when any are set, a reply needs approval before it is sent."""
    return [a.strip() for a in setting("REPMON_APPROVERS").split(",") if a.strip()]


def draft_for(item: QueueItem, library: Library) -> tuple[str, str]:
    """The reply draft for a queue item, in the post's language, from its playbook's template."""
    from playbooks.drafts import render_draft

    playbook = library.playbooks.get(item.playbook)
    if playbook is None:
        return "", ""
    business = setting("REPMON_BUSINESS_NAME") or (DEMO_BUSINESS if item.is_demo else "")
    contact = setting("REPMON_CONTACT") or ("*3000" if item.is_demo else "")
    author = None if item.author == "unknown" else item.author
    return render_draft(
        playbook, item.language, author, business, CHANNELS, contact, setting("REPMON_DEFAULT_LANGUAGE")
    )


def save_draft(
    store: Store, item_id: int, actor: str, now: datetime, library: Library, text: str | None = None
) -> tuple[str, str]:
    """Save the item's reply: ``text`` as given (cleaned), or the playbook's template; (text, language)."""
    from classifiers.text import detect_language
    from playbooks.drafts import clean_reply

    q = store.queue_item(item_id)
    if q is None:
        raise InputError(f"no queue item {item_id}: see `repmon queue --all`")
    if text is not None:
        text = clean_reply(text)
        if not text:
            raise InputError("the draft is empty: write the reply's text")
        language = {"he": "he", "en": "en"}.get(detect_language(text), "he")
    else:
        text, language = draft_for(q, library)
        if not text:
            raise InputError(f"playbook {q.playbook} has no public reply template: write the reply yourself")
    store.save_draft(item_id, text, language, actor, now)
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
    """A workflow action on an item; a response needs an approved reply when approvers are set.
    Returns the new state."""
    if action == "respond":
        _require_approval(store, item_id)
    state = store.act(item_id, action, actor, now, decision=decision, reason=reason, note=note)
    if action == "respond":
        store.mark_reply_sent(item_id, reply_id, now)
    return state


def _require_approval(store: Store, item_id: int) -> None:
    if not approvers():
        return
    reply = store.reply(item_id)
    if reply is None or reply["status"] not in ("approved", "sent"):
        raise WorkflowError(
            f"item {item_id}: replies need approval (REPMON_APPROVERS): draft, submit and approve it first"
        )


def post_and_respond(store: Store, item_id: int, actor: str, now: datetime) -> tuple[str, str]:
    """Post the approved reply through the item's platform (REPMON_POST_REPLIES=true), then mark the
    item responded; (new state, the platform's id of the reply)."""
    found = store.item(item_id)
    if found is None:
        raise WorkflowError(f"no queue item {item_id}: see `repmon queue --all`")
    next_state(found["item"]["status"], "respond")  # refuse before anything is posted
    _require_approval(store, item_id)
    platform_id = _post_reply(store, item_id, now)
    state = perform(
        store,
        item_id,
        "respond",
        actor,
        now,
        note=f"posted through the platform as {platform_id}",
        reply_id=platform_id,
    )
    return state, platform_id


def _post_reply(store: Store, item_id: int, now: datetime) -> str:
    if setting("REPMON_POST_REPLIES").lower() != "true":
        raise ConfigError("posting replies is off: set REPMON_POST_REPLIES=true, or post by hand and respond")
    reply = store.reply(item_id)
    if reply is None or not reply["text"]:
        raise WorkflowError(f"item {item_id} has no reply to post: write one first")
    q = store.queue_item(item_id)
    if q is None or q.is_demo:
        raise WorkflowError(f"item {item_id} is demo data: there is nothing real to reply to")
    if q.platform == "x":
        from monitor.sources.replies import post_x_reply, x_user_client

        names = (
            "REPMON_X_API_KEY",
            "REPMON_X_API_SECRET",
            "REPMON_X_ACCESS_TOKEN",
            "REPMON_X_ACCESS_TOKEN_SECRET",
        )
        keys = [secret(n) for n in names]
        if not all(keys):
            raise ConfigError(f"posting to X needs {', '.join(names)} (the business's own account)")
        return post_x_reply(x_user_client(*keys), q.external_id, reply["text"])
    from monitor.sources.facebook import FacebookSource
    from monitor.sources.replies import post_facebook_reply

    token, page = secret("REPMON_FACEBOOK_PAGE_TOKEN"), setting("REPMON_FACEBOOK_PAGE_ID")
    if not token or not page:
        raise ConfigError("posting to Facebook needs REPMON_FACEBOOK_PAGE_ID and REPMON_FACEBOOK_PAGE_TOKEN")
    source = FacebookSource("facebook-replies", page, token, version=setting("REPMON_FACEBOOK_GRAPH_VERSION"))
    return post_facebook_reply(source, q.external_id, reply["text"], now)


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

    store.correct(item_id, label, reason, actor, now)
    version = store.model_version_of(item_id)
    if version:
        triage_open(store, version, now, library)


def _bundle(store: Store, item_id: int, now: datetime) -> tuple[str, bytes, str]:
    """An item's evidence bundle, not yet audited: (file name, ZIP bytes, SHA-256). The name holds the
    bundle's hash prefix, so two bundles made in the same second never share a name."""
    from monitor.evidence import render_bundle

    ev = store.evidence(item_id)
    if ev is None:
        raise InputError(f"no queue item {item_id}: see `repmon queue --all`")
    data = render_bundle(ev, now)
    digest = hashlib.sha256(data).hexdigest()
    name = f"repmon-evidence-item-{item_id}-{now.strftime('%Y%m%dT%H%M%SZ')}-{digest[:12]}.zip"
    return name, data, digest


def export_evidence(store: Store, item_id: int, actor: str, now: datetime) -> tuple[str, bytes, str]:
    """The item's evidence bundle for a browser download: (file name, ZIP bytes, SHA-256). The export
    is audited once the bytes exist, before they are offered; whether the browser saved them, repmon
    cannot know (see README: Security)."""
    name, data, digest = _bundle(store, item_id, now)
    detail = {"file": name, "sha256": digest, "to": "dashboard download"}
    store.record_event(item_id, actor, "export_evidence", detail, now)
    return name, data, digest


def write_evidence(store: Store, item_id: int, actor: str, now: datetime, out_dir: Path) -> tuple[Path, str]:
    """Write the item's evidence bundle into ``out_dir`` and audit it: (the file, its SHA-256).

    The bytes go to a temporary file in ``out_dir``, are flushed to disk, then linked under a name no
    other file has (never replacing one); only then is the export recorded. A folder that cannot be
    written, or a file given as the folder, is an InputError and nothing is recorded; if recording
    fails, the file is removed again."""
    name, data, digest = _bundle(store, item_id, now)
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
            f"cannot write the evidence bundle to {out_dir} ({exc.strerror or exc}): give --out a writable "
            "folder; nothing was exported or recorded"
        )

    if out_dir.exists() and not out_dir.is_dir():
        raise InputError(
            f"--out {out_dir} is a file, not a folder: give --out a folder for the evidence ZIP; "
            "nothing was exported or recorded"
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
