"""The evidence bundle's human-readable summary (``summary.html``) in one interface language, every word
from the message catalogue (``monitor.i18n``), its times in the business's time zone beside the exact UTC
time, and each version of the post's text edited on the platform since it was first captured, with its
label (``monitor.edits``). Pure: ``monitor.evidence`` puts it in the bundle.

Names, handles and links come from strangers: each is isolated in a ``<bdi>`` and its hidden characters
are shown as markers (see ``monitor.text_safety``), so a right-to-left override in a handle cannot
reverse the follower count or the link around it; numbers and times sit in their own ``<bdi>`` too, so a
Hebrew sentence keeps them whole.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime, tzinfo

from markupsafe import Markup

from classifiers.text import detect_language
from monitor import edits, i18n
from monitor.stored import EvidenceClassification, EvidenceDocument, EvidenceMention
from monitor.text_safety import flags, for_html


def _when(value: object, language: str, tz: tzinfo) -> Markup:
    """A stored time (ISO text or datetime) in the business's time zone, then exactly, in UTC."""
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        return Markup("<bdi>{}</bdi>").format(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    local = i18n.format_datetime(moment, language, tz)
    return Markup("{} (<bdi>{}</bdi>)").format(local, moment.astimezone(UTC).isoformat())


def _hidden_note(m: EvidenceMention, language: str) -> str:
    """'RLO (handle), CR, LF (name)': the hidden characters in the author's handle, name and the link."""
    _ = i18n.gettext_for(language)
    parts = [
        f"{', '.join(found)} ({what})"
        for what, value in ((_("handle"), m["author"]), (_("name"), m["author_name"]), (_("link"), m["url"]))
        if (found := flags(value))
    ]
    return ", ".join(parts)


def _classification(classification: EvidenceClassification, language: str) -> str:
    """'Complaint (Complaint 90%, Neutral 6%, ...)': the label, then each label's score, highest first."""
    scores = sorted(dict(classification["scores"]).items(), key=lambda kv: -float(kv[1]))
    shown = ", ".join(
        f"{i18n.label_name(label, language)} {i18n.format_percent(float(score), language)}"
        for label, score in scores
    )
    return f"{i18n.label_name(classification['label'], language)} ({shown})"


def _follows(ev: EvidenceDocument, language: str, tz: tzinfo) -> Markup | str:
    """Which version of the post the item's label and triage follow: the text as first captured, or an
    edit made on the platform (the most serious version: ``monitor.triage.most_serious``)."""
    _ = i18n.gettext_for(language)
    followed = ev["item"].get("edit_id")
    edit = next((e for e in ev.get("edits", []) if e["id"] == followed), None)
    if edit is None:
        return _("the text as first captured")
    return Markup.escape(_("the version edited on the platform, captured {when}")).format(
        when=_when(edit["captured_at"], language, tz)
    )


def _edits(ev: EvidenceDocument, language: str, tz: tzinfo) -> Markup:
    """The section listing each version of the post's text edited on the platform (a later capture whose
    text differs from the one before it), with its capture time, SHA-256 and classification; empty when
    none is."""
    _ = i18n.gettext_for(language)
    m, raw, captures = ev["mention"], ev["raw"], ev.get("captures", [])
    first = edits.first_text(m["platform"], raw["body"] if raw else None, m["text"])
    texts = edits.capture_texts(m["platform"], first, [c["body"] for c in captures])
    labels = {e["version_key"]: e["classification"] for e in ev.get("edits", [])}
    versions = []
    for cap, seen in zip(captures, texts, strict=True):
        if seen.text is None or not seen.changed:
            continue
        when, digest = _when(cap["captured_at"], language, tz), Markup("<bdi>{}</bdi>").format(cap["sha256"])
        if not seen.edited:
            line = _("Captured {when} · SHA-256 {hash}: the first capture's text again.")
            versions.append(Markup("<li>{}</li>").format(Markup.escape(line).format(when=when, hash=digest)))
            continue
        hidden = flags(seen.text, text=True)
        note = (
            _("This post contains invisible characters that change how it displays: {names}").format(
                names=", ".join(hidden)
            )
            if hidden
            else ""
        )
        classification = labels.get(edits.version_key(seen.text))
        label = (
            _("Classification of this version: {classification}").format(
                classification=_classification(classification, language)
            )
            if classification
            else _("Classification of this version: not classified yet")
        )
        versions.append(
            Markup('<li>{}<div class="post" dir="{}">{}</div>{}<p>{}</p></li>').format(
                Markup.escape(_("Captured {when} · SHA-256 {hash}:")).format(when=when, hash=digest),
                i18n.text_direction(seen.text, detect_language(seen.text)),
                seen.text,
                Markup("<p><strong>{}</strong></p>").format(note) if note else "",
                label,
            )
        )
    if not versions:
        return Markup("")
    intro = _(
        "Later captures hold a text that differs from the first capture's: each version is listed with the "
        "time it was captured (its bytes are in post/captures/, its SHA-256 in post/capture.json)."
    )
    return Markup("<h2>{}</h2><p>{}</p><ul>{}</ul>\n").format(
        _("Edited on the platform"), intro, Markup("").join(versions)
    )


def summary_html(ev: EvidenceDocument, generated_at: datetime, language: str, tz: tzinfo) -> bytes:
    """The summary of an item's evidence (``Store.evidence``) in ``language``, right to left where the
    language is; the post keeps its own direction."""
    language = i18n.language_or_default(language)
    _, n_ = i18n.gettext_for(language), i18n.ngettext_for(language)
    m, item = ev["mention"], ev["item"]
    e = html.escape

    def say(template: str, **values: object) -> Markup:
        """A translated sentence, escaped, its values escaped unless already HTML."""
        return Markup.escape(template).format(**values)

    def count(n: object) -> Markup:
        return Markup("<bdi>{}</bdi>").format(n if n is not None else "?")

    followers = m["author_followers"]
    author = say(
        n_("{name} (@{handle}), {n} follower", "{name} (@{handle}), {n} followers", int(followers or 0)),
        name=Markup(for_html(m["author_name"])),
        handle=Markup(for_html(m["author"])),
        n=Markup(e(str(followers or "?"))),
    )
    hidden = _hidden_note(m, language)
    if hidden:
        author += Markup("<br><strong>{}</strong>").format(
            _("hidden direction or control characters: {found}").format(found=hidden)
        )
    classification = ev["classification"]
    # The post above the table is shown as captured (it is the evidence), so an override in it reverses
    # what the reader sees there and a zero-width space splits a word unseen: the first row says so, as
    # the dashboard's item page does.
    invisible = flags(m["text"], text=True)
    rows_data: list[tuple[str, object]] = [
        (
            _("Invisible characters in the post"),
            _("This post contains invisible characters that change how it displays: {names}").format(
                names=", ".join(invisible)
            )
            if invisible
            else _("none"),
        ),
        (_("Platform"), i18n.status_name(m["platform"], language)),
        (_("Post id"), Markup("<bdi>{}</bdi>").format(m["external_id"])),
        (_("Link"), Markup(for_html(m["url"]))),
        (_("Author"), author),
        (_("Published"), _when(m["created_at"], language, tz)),
        (_("Captured"), _when(ev["raw"]["captured_at"], language, tz) if ev["raw"] else _("not stored")),
        (_("SHA-256 of the captured payload"), ev["raw"]["sha256"] if ev["raw"] else "-"),
        (
            _("Deleted or hidden on the platform"),
            _when(m["deleted_at"], language, tz) if m["deleted_at"] else _("no (as of the last check)"),
        ),
        (_("Classification"), _classification(classification, language) if classification else "-"),
        (_("Label and triage follow"), _follows(ev, language, tz)),
        (
            _("Playbook / status"),
            _("{playbook} / {status} / decision: {decision}").format(
                playbook=i18n.status_name(item["playbook"], language),
                status=i18n.status_name(item["status"], language),
                decision=item["decision"] or "-",
            ),
        ),
        (_("Demo data"), _("yes: not a real post") if m["is_demo"] else _("no")),
    ]
    rows = "".join(f"<tr><th>{e(k)}</th><td>{Markup.escape(v)}</td></tr>" for k, v in rows_data)
    # Markup("<li>{}</li>").format: a plain "<li>" added to Markup is escaped, and showed as text.
    sharers = "".join(
        Markup("<li>{}</li>").format(
            say(
                n_(
                    "@{handle} ({n} follower), {kind}, first seen {when}",
                    "@{handle} ({n} followers), {kind}, first seen {when}",
                    int(s["followers"] or 0),
                ),
                handle=Markup(for_html(s["handle"])),
                n=Markup(e(str(s["followers"]))),
                kind=s["kind"],
                when=_when(s["first_seen_at"], language, tz),
            )
        )
        for s in ev["shares"]
    ) + "".join(
        Markup("<li>{}</li>").format(
            say(
                _("@{handle} quoted it on {when}: {text}"),
                handle=Markup(for_html(q["author"])),
                when=_when(q["created_at"], language, tz),
                text=Markup(for_html(q["text"], text=True, tag="span")),
            )
        )
        for q in ev["quotes"]
    )
    edited = _edits(ev, language, tz)
    # Edited on X: each version is a post of its own with its own item; the others are named here.
    versions = "".join(
        Markup("<li>{}</li>").format(
            say(
                _("Posted {when}, item {id}: {text}")
                if v["item_id"] is not None
                else _("Posted {when}, not queued: {text}"),
                when=_when(v["created_at"], language, tz),
                id=count(v["item_id"]),
                text=Markup(for_html(v["text"], text=True, tag="span")),
            )
        )
        for v in ev.get("versions", [])
    )
    versions_title = e(_("Edited on X: other versions of this post"))
    other_versions = f"<h2>{versions_title}</h2><ul>{versions}</ul>\n" if versions else ""
    audit = "".join(
        f"<li>{_when(a['at'], language, tz)}: {for_html(a['actor'])} {e(a['action'])} "
        f"{for_html(json.dumps(a['detail'], ensure_ascii=False))}</li>"
        for a in ev["audit"]
    )
    post_dir = i18n.text_direction(m["text"], detect_language(m["text"]))
    thread = len(ev["thread"])
    words = {
        "title": e(_("Evidence: item {id}").format(id=item["id"])),
        "heading": say(_("Evidence bundle: item {id}"), id=count(item["id"])),
        "generated": say(_("Generated {when} by repmon."), when=_when(generated_at, language, tz)),
        "manifest": e(
            _(
                "Every file in this bundle is listed with its SHA-256 in manifest.json; the raw payload is "
                "byte for byte what the platform sent."
            )
        ),
        "post": e(_("The post")),
        "shared": e(_("Who shared or quoted it")),
        "no_shares": e(_("none recorded")),
        "thread": e(_("Thread")),
        "thread_posts": say(
            n_("{n} post in thread.json.", "{n} posts in thread.json.", thread), n=count(thread)
        ),
        "audit": e(_("Audit trail")),
        "no_audit": e(_("no actions yet")),
    }
    doc = f"""<!DOCTYPE html>
<html lang="{language}" dir="{i18n.direction(language)}"><head><meta charset="utf-8">
<title>{words["title"]}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}
th{{text-align:start;padding-inline-end:1em}}
.post{{white-space:pre-wrap;overflow-wrap:anywhere;border:1px solid #999;padding:1em;font-size:1.1em}}
</style></head>
<body>
<h1>{words["heading"]}</h1>
<p>{words["generated"]} {words["manifest"]}</p>
<h2>{words["post"]}</h2>
<div class="post" dir="{post_dir}">{e(m["text"])}</div>
<table>{rows}</table>
{edited}{other_versions}<h2>{words["shared"]}</h2><ul>{sharers or "<li>" + words["no_shares"] + "</li>"}</ul>
<h2>{words["thread"]}</h2><p>{words["thread_posts"]}</p>
<h2>{words["audit"]}</h2><ul>{audit or "<li>" + words["no_audit"] + "</li>"}</ul>
</body></html>
"""
    return doc.encode("utf-8")
