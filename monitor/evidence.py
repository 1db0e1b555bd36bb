"""The evidence bundle for one item: a ZIP a lawyer can read and a court can check (render is pure).

Contents: the post's raw payload exactly as first captured and every later distinct capture, its
capture record (time, SHA-256, deletion status), the metric history, the thread around the post, who
shared or quoted it, the audit trail, an HTML summary (right-to-left for Hebrew), and
``manifest.json`` listing every file's SHA-256.
"""

from __future__ import annotations

import csv
import hashlib
import html
import io
import json
import zipfile
from datetime import datetime

from classifiers.text import detect_language
from monitor.text_safety import flags, for_html

FIXED_TIME = (2026, 1, 1, 0, 0, 0)  # ZIP entry times: the bundle's bytes depend only on its content
_HTML_ROWS = ("Link", "Author")  # summary rows whose value is already HTML (isolated, escaped)


def _json(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode("utf-8")


def _metrics_csv(snapshots: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, ["at", "likes", "shares", "replies", "quotes", "views"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(snapshots)
    return out.getvalue().encode("utf-8")


def _hidden_note(m: dict) -> str:
    """'RLO (handle), CR, LF (name)': the hidden characters in the author's handle, name and the link."""
    parts = [
        f"{', '.join(found)} ({what})"
        for what, value in (("handle", m["author"]), ("name", m["author_name"]), ("link", m["url"]))
        if (found := flags(value))
    ]
    return ", ".join(parts)


def _summary_html(ev: dict, generated_at: datetime) -> bytes:
    """The human-readable summary. Names, handles and links come from strangers: each is isolated in a
    ``<bdi>`` and its hidden characters are shown as markers (see ``monitor.text_safety``), so a
    right-to-left override in a handle cannot reverse the follower count or the link around it."""
    m, item = ev["mention"], ev["item"]
    e = html.escape
    rtl = detect_language(m["text"]) in ("he", "mixed")
    text_dir = "rtl" if rtl else "ltr"
    author = (
        f"{for_html(m['author_name'])} (@{for_html(m['author'])}), "
        f"{e(str(m['author_followers'] or '?'))} followers"
    )
    hidden = _hidden_note(m)
    if hidden:
        author += f"<br><strong>hidden direction or control characters: {e(hidden)}</strong>"
    rows = "".join(
        f"<tr><th>{e(k)}</th><td>{v if k in _HTML_ROWS else e(str(v))}</td></tr>"
        for k, v in [
            ("Platform", m["platform"]),
            ("Post id", m["external_id"]),
            ("Link", for_html(m["url"])),
            ("Author", author),
            ("Published", m["created_at"]),
            ("Captured", ev["raw"]["captured_at"] if ev["raw"] else "not stored"),
            ("SHA-256 of the captured payload", ev["raw"]["sha256"] if ev["raw"] else "-"),
            ("Deleted or hidden on the platform", m["deleted_at"] or "no (as of the last check)"),
            (
                "Classification",
                f"{ev['classification']['label']} {ev['classification']['scores']}"
                if ev["classification"]
                else "-",
            ),
            (
                "Playbook / status",
                f"{item['playbook']} / {item['status']} / decision: {item['decision'] or '-'}",
            ),
            ("Demo data", "yes: not a real post" if m["is_demo"] else "no"),
        ]
    )
    sharers = "".join(
        f"<li>@{for_html(s['handle'])} ({e(str(s['followers']))} followers), {e(s['kind'])}, first seen "
        f"{e(s['first_seen_at'])}</li>"
        for s in ev["shares"]
    ) + "".join(
        f"<li>@{for_html(q['author'])} quoted it on {e(q['created_at'])}: "
        f"{for_html(q['text'], text=True, tag='span')}</li>"
        for q in ev["quotes"]
    )
    audit = "".join(
        f"<li>{e(str(a['at']))}: {for_html(a['actor'])} {e(a['action'])} "
        f"{for_html(json.dumps(a['detail'], ensure_ascii=False))}</li>"
        for a in ev["audit"]
    )
    doc = f"""<!DOCTYPE html>
<html lang="{"he" if rtl else "en"}"><head><meta charset="utf-8">
<title>Evidence: item {item["id"]}</title>
<style>body{{font-family:sans-serif;max-width:50em;margin:2em auto}}
th{{text-align:start;padding-inline-end:1em}}
.post{{white-space:pre-wrap;border:1px solid #999;padding:1em;font-size:1.1em}}</style></head>
<body>
<h1>Evidence bundle: item {item["id"]}</h1>
<p>Generated {e(generated_at.isoformat())} by repmon. Every file in this bundle is listed with its SHA-256 in
manifest.json; the raw payload is byte for byte what the platform sent.</p>
<h2>The post</h2>
<div class="post" dir="{text_dir}">{e(m["text"])}</div>
<table>{rows}</table>
<h2>Who shared or quoted it</h2><ul>{sharers or "<li>none recorded</li>"}</ul>
<h2>Thread</h2><p>{len(ev["thread"])} posts in thread.json.</p>
<h2>Audit trail</h2><ul>{audit or "<li>no actions yet</li>"}</ul>
</body></html>
"""
    return doc.encode("utf-8")


def render_bundle(ev: dict, generated_at: datetime) -> bytes:
    """The ZIP's bytes for an item's evidence (``Store.evidence``)."""
    files: dict[str, bytes] = {}
    if ev["raw"]:
        files["post/raw_payload.json"] = ev["raw"]["body"]
    later = []
    for n, cap in enumerate(ev.get("captures", []), 1):
        name = f"post/captures/{n:03d}.json"
        files[name] = cap["body"]
        later.append({"file": name, "captured_at": cap["captured_at"], "sha256": cap["sha256"]})
    files["post/capture.json"] = _json(
        {
            "mention": ev["mention"],
            "captured_at": ev["raw"]["captured_at"] if ev["raw"] else None,
            "sha256": ev["raw"]["sha256"] if ev["raw"] else None,
            "content_type": ev["raw"]["content_type"] if ev["raw"] else None,
            "later_captures": later,
            "classification": ev["classification"],
        }
    )
    files["metrics.csv"] = _metrics_csv(ev["snapshots"])
    files["thread.json"] = _json(ev["thread"])
    files["shares.json"] = _json({"retweets": ev["shares"], "quotes": ev["quotes"]})
    files["audit.json"] = _json(ev["audit"])
    files["summary.html"] = _summary_html(ev, generated_at)
    manifest = {
        "item_id": ev["item"]["id"],
        "generated_at": generated_at.isoformat(),
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    files["manifest.json"] = _json(manifest)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, FIXED_TIME), data)
    return buffer.getvalue()
