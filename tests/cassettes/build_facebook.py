"""Writes the Graph API cassettes in tests/cassettes/test_facebook/ from the documented response shapes.

Run: .venv/bin/python tests/cassettes/build_facebook.py. The bodies follow the Graph API reference: a
Page feed with ``paging.cursors``/``paging.next`` (Graph echoes the access token into ``next``), posts with
``from``, ``shares.count`` (absent when nobody shared), ``reactions``/``comments`` summaries and an embedded
``comments`` edge; a refresh by ids with the counters and ``message`` (edited since the first read);
``/{post-id}/comments`` with ``parent`` on replies, and without ``id`` and ``from`` when
the token cannot moderate the Page (v11+); a multi-id read keyed by id; error bodies ``{"error": {...}}``
with the documented codes (190/463, 4, 32, 613, 10, 200, 100/33, transient 2) and the usage headers
``X-App-Usage`` and ``X-Business-Use-Case-Usage``. The texts are written by this project's authors.
The recorded requests carry no token: the tests filter ``access_token`` before matching.
"""

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from monitor.sources.facebook import (
    COMMENT_COUNTER_FIELDS,
    COMMENT_FIELDS,
    FEED_FIELDS,
    PAGE_LIMIT,
    POST_COUNTER_FIELDS,
)

OUT = Path(__file__).parent / "test_facebook"
GRAPH = "https://graph.facebook.com/v25.0"
PAGE = "104857600123456"
TOKEN = "EAAGm0PX4ZCpsBAtestPageTokenDoNotLogZDZD"
PAGE_FROM = {"name": "קפה לימון", "id": PAGE}
COMMENTS_PARAMS = {"filter": "stream", "fields": COMMENT_FIELDS, "limit": PAGE_LIMIT}
FEED_PARAMS = {"fields": FEED_FIELDS, "limit": PAGE_LIMIT}


def ts(text: str) -> str:
    """Unix seconds of a Graph time, as the ``since`` parameter carries it."""
    return str(int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z").timestamp()))


def ts_minus(text: str, minutes: int) -> str:
    return str(int((datetime.strptime(text, "%Y-%m-%dT%H:%M:%S%z") - timedelta(minutes=minutes)).timestamp()))


def permalink(post_number: str, comment: str | None = None, reply: str | None = None) -> str:
    url = f"https://www.facebook.com/{PAGE}/posts/{post_number}"
    if comment:
        url += f"/?comment_id={comment}"
    if reply:
        url += f"&reply_comment_id={reply}"
    return url


def summary(total: int, **extra: object) -> dict:
    return {"data": [], "summary": {"total_count": total, **extra}}


def post(number, message, created, author=None, reactions=0, comments=0, shares=None, embedded=None):
    p = {"id": f"{PAGE}_{number}", "message": message, "created_time": created}
    if author:
        p["from"] = author
    p["permalink_url"] = permalink(number)
    if shares is not None:
        p["shares"] = {"count": shares}
    p["reactions"] = summary(reactions, viewer_reaction="NONE")
    p["comments"] = {
        **summary(comments, order="chronological", can_comment=True),
        **({"data": embedded} if embedded else {}),
    }
    return p


def comment(post_number, number, message, created, author=None, likes=0, replies=0, parent=None, ids=True):
    """A comment as /comments returns it; ``ids=False`` is what a token without MODERATE gets."""
    c = {}
    if ids:
        c["id"] = f"{post_number}_{number}"
    c["message"] = message
    c["created_time"] = created
    if author and ids:
        c["from"] = author
    c["like_count"] = likes
    c["comment_count"] = replies
    if parent and ids:
        c["parent"] = {
            "created_time": parent["created_time"],
            "message": parent["message"],
            "id": parent["id"],
        }
    top = parent["id"].split("_")[1] if parent else number
    c["permalink_url"] = permalink(post_number, top, number if parent else None)
    return c


C1 = comment(
    "900000000000003",
    "700000000000001",
    "הקפה הגיע קר שוב 😡☕ ממש לא בסדר",
    "2026-11-20T09:30:00+0000",
    {"name": "נועה כהן", "id": "5550001"},
    likes=2,
    replies=1,
)
P1 = post(
    "900000000000003",
    "מבצע חדש! ☕ קפה שני בחצי מחיר 🎉",
    "2026-11-20T09:00:00+0000",
    PAGE_FROM,
    reactions=120,
    comments=3,
    shares=8,
    embedded=[C1],
)
P1["comments"]["paging"] = {
    "cursors": {"before": "QVFIUkNvbW1lbnRzQmVmb3Jl", "after": "QVFIUkNvbW1lbnRzQWZ0ZXI"},
    "next": f"{GRAPH}/{PAGE}_900000000000003/comments?access_token={TOKEN}&pretty=0&limit=25"
    "&after=QVFIUkNvbW1lbnRzQWZ0ZXI",
}
P2 = post(
    "900000000000002",
    "They charged my card twice, is this a scam?",
    "2026-11-19T18:30:00+0000",
    {"name": "Dana Levi", "id": "5550002"},
    reactions=40,
    comments=3,
    shares=12,
)
P3 = post("900000000000001", "שעות פתיחה חדשות לחגים", "2026-11-10T08:00:00+0000", reactions=15)
P4 = post(
    "900000000000004",
    "המקום הזה גונב כסף מלקוחות, תיזהרו!",
    "2026-11-20T11:30:00+0000",
    {"name": "Moshe B", "id": "5550004"},
    reactions=3,
    comments=1,
)
C2 = comment(
    "900000000000002",
    "700000000000010",
    "Same happened to me last week!",
    "2026-11-19T19:00:00+0000",
    {"name": "Avi", "id": "5550003"},
    likes=4,
    replies=1,
)
C3 = comment(
    "900000000000002",
    "700000000000011",
    "Sorry Dana, we refunded the double charge 🙏",
    "2026-11-19T20:00:00+0000",
    PAGE_FROM,
    likes=1,
    parent=C2,
)
C4 = comment(
    "900000000000002", "700000000000012", "גם אצלי חייבו פעמיים 😡", "2026-11-19T21:15:00+0000", ids=False
)
C5 = comment(
    "900000000000003",
    "700000000000020",
    "Thanks, it was fine today",
    "2026-11-20T10:05:00+0000",
    parent=C1,
    ids=False,
)
C6 = {"message": "🔥🔥🔥", "created_time": "2026-11-20T10:40:00+0000", "like_count": 0, "comment_count": 0}
C7 = comment(
    "900000000000002",
    "700000000000013",
    "Posted this an hour ago, it only shows up now",
    "2026-11-19T20:50:00+0000",
    {"name": "Rina", "id": "5550005"},
)
C8 = comment(
    "900000000000004",
    "700000000000030",
    "מה קרה?",
    "2026-11-20T11:45:00+0000",
    {"name": "Yael", "id": "5550006"},
)


def body(obj, ascii_only=False):
    """Compact JSON as Graph sends it; ``ascii_only`` escapes non-ASCII as \\uXXXX (Graph does either)."""
    return json.dumps(obj, ensure_ascii=ascii_only, separators=(",", ":"))


def usage(**headers: object) -> dict:
    return {
        k: [v if isinstance(v, str) else json.dumps(v, separators=(",", ":"))] for k, v in headers.items()
    }


APP_USAGE = {"call_count": 3, "total_cputime": 1, "total_time": 2}


def interaction(path, params, status=200, payload=None, headers=None, reason="OK", ascii_only=False):
    hdrs = {
        "content-type": ["application/json; charset=UTF-8"],
        "facebook-api-version": ["v25.0"],
        **usage(**{"x-app-usage": APP_USAGE}),
    }
    hdrs.update(headers or {})
    return {
        "request": {
            "body": None,
            "headers": {"User-Agent": ["python-requests/2.34.2"]},
            "method": "GET",
            "uri": f"{GRAPH}/{path}?{urlencode(sorted(params.items()))}",
        },
        "response": {
            "status": {"code": status, "message": reason},
            "headers": hdrs,
            "body": {"string": payload if isinstance(payload, str) else body(payload, ascii_only)},
        },
    }


def feed(params=None, **kw):
    return interaction(f"{PAGE}/feed", {**FEED_PARAMS, **(params or {})}, **kw)


def comments(post_id, params=None, **kw):
    return interaction(f"{post_id}/comments", {**COMMENTS_PARAMS, **(params or {})}, **kw)


def page(items, after=None, edge=None, params=None):
    p = {"data": items, "paging": {"cursors": {"before": "QVFIUkJlZm9yZQ", "after": after or "QVFIUkVuZA"}}}
    if after:
        query = urlencode({"access_token": TOKEN, **(params or {}), "after": after})
        p["paging"]["next"] = f"{GRAPH}/{edge}?{query}"
    return p


def error(code, message, kind="OAuthException", **extra):
    return {"error": {"message": message, "type": kind, "code": code, **extra, "fbtrace_id": "AZx1fbTrace"}}


FEED_AFTER = "QVFIUmFmdGVyRmVlZFBhZ2Ux"
FEED_AFTER_2 = "QVFIUmFmdGVyRmVlZFBhZ2Uy"
P2_AFTER = "QVFIUmFmdGVyQ29tbWVudHM"
TRANSIENT = error(2, "An unexpected error has occurred. Please retry your request later.", is_transient=True)
REFRESH_POSTS = ("900000000000002", "900000000000005")
R1 = comment(
    "900000000000002",
    "700000000000040",
    "Still waiting for my refund",
    "2026-11-20T09:40:00+0000",
    {"name": "Dana Levi", "id": "5550002"},
)
R2 = comment(
    "900000000000002",
    "700000000000041",
    "You are thieves",
    "2026-11-20T09:30:00+0000",
    {"name": "Troll", "id": "5550009"},
)
R3 = comment(
    "900000000000005",
    "700000000000042",
    "אני איתך",
    "2026-11-20T09:00:00+0000",
    {"name": "Gil", "id": "5550010"},
)
RP2 = {
    **post("900000000000002", "My refund never came", "2026-11-20T08:00:00+0000", P2["from"]),
    "comments": {**summary(2, order="chronological", can_comment=True), "data": [R1, R2]},
}
RP5 = {
    **post(
        "900000000000005", "Avoid this place", "2026-11-20T07:00:00+0000", {"name": "Gil", "id": "5550010"}
    ),
    "comments": {**summary(1, order="chronological", can_comment=True), "data": [R3]},
}
# Edited on the platform after the first read: the refresh asks for ``message`` and gets the text as it
# stands (a post made milder, a comment made harsher).
RP2_EDITED = "My refund came in the end, thank you"
R1_EDITED = "Still waiting for my refund. You are crooks and liars"
GONE = error(
    100,
    f"Unsupported get request. Object with ID '{PAGE}_900000000000005' does not exist, cannot be loaded due "
    "to missing permissions, or does not support this operation. Please read the Graph API documentation at "
    "https://developers.facebook.com/docs/graph-api",
    kind="GraphMethodException",
    error_subcode=33,
)

CASSETTES = {
    "feed_comments_since": [
        # first run: the feed (two pages), then the comments of the recent posts, oldest post first
        feed(payload=page([P1, P2], FEED_AFTER, f"{PAGE}/feed", FEED_PARAMS)),
        feed({"after": FEED_AFTER}, payload=page([P3])),
        comments(P2["id"], payload=page([C2, C3], P2_AFTER, f"{P2['id']}/comments", COMMENTS_PARAMS)),
        comments(P2["id"], {"after": P2_AFTER}, payload=page([C4]), ascii_only=True),
        comments(P1["id"], payload=page([C1, C5, C6])),
        # second run: since the newest post seen; comments since the newest seen, minus 30 minutes
        feed({"since": ts(P1["created_time"])}, payload=page([P4])),
        comments(
            P2["id"], {"since": ts_minus(C4["created_time"], 30)}, payload=page([C4, C7]), ascii_only=True
        ),
        comments(P1["id"], {"since": ts_minus(C6["created_time"], 30)}, payload=page([C6])),
        comments(P4["id"], payload=page([C8])),
    ],
    "paging_loop": [
        # the feed's third page points back to the second, and the comments' second page to itself
        feed(payload=page([P2], FEED_AFTER, f"{PAGE}/feed", FEED_PARAMS)),
        feed({"after": FEED_AFTER}, payload=page([P3], FEED_AFTER_2, f"{PAGE}/feed", FEED_PARAMS)),
        feed({"after": FEED_AFTER_2}, payload=page([P4], FEED_AFTER, f"{PAGE}/feed", FEED_PARAMS)),
        comments(P2["id"], payload=page([C2, C3], P2_AFTER, f"{P2['id']}/comments", COMMENTS_PARAMS)),
        comments(
            P2["id"],
            {"after": P2_AFTER},
            payload=page([C4], P2_AFTER, f"{P2['id']}/comments", COMMENTS_PARAMS),
            ascii_only=True,
        ),
        comments(P4["id"], payload=page([C8])),
    ],
    "auth_expired": [
        feed(
            status=400,
            reason="Bad Request",
            payload=error(
                190,
                "Error validating access token: Session has expired on Thursday, 19-Nov-26 16:00:00 PST. "
                "The current time is Friday, 20-Nov-26 04:00:00 PST.",
                error_subcode=463,
            ),
        )
    ],
    "rate_limited_app": [
        feed(
            status=403,
            reason="Forbidden",
            payload=error(4, "(#4) Application request limit reached", is_transient=True),
            headers=usage(
                **{
                    "x-app-usage": {
                        "call_count": 100,
                        "total_cputime": 20,
                        "total_time": 25,
                        "estimated_time_to_regain_access": 37,
                    }
                }
            ),
        )
    ],
    "rate_limited_page": [
        feed(
            status=400,
            reason="Bad Request",
            payload=error(32, "(#32) Page request limit reached"),
            headers=usage(
                **{
                    "x-business-use-case-usage": {
                        PAGE: [
                            {
                                "type": "pages",
                                "call_count": 100,
                                "total_cputime": 30,
                                "total_time": 41,
                                "estimated_time_to_regain_access": 19,
                            }
                        ]
                    }
                }
            ),
        )
    ],
    "rate_limited_no_usage": [
        feed(
            status=400,
            reason="Bad Request",
            payload=error(613, "Calls to this api have exceeded the rate limit."),
        )
    ],
    "missing_permission_200": [
        feed(
            status=403,
            reason="Forbidden",
            payload=error(
                200, "(#200) Requires pages_read_user_content permission to read the feed of this Page"
            ),
        )
    ],
    "missing_permission_10": [
        feed(
            status=403,
            reason="Forbidden",
            payload=error(
                10,
                "(#10) This endpoint requires the 'pages_read_engagement' permission or the "
                "'Page Public Content Access' feature.",
            ),
        )
    ],
    "server_errors_then_ok": [
        feed(status=500, reason="Internal Server Error", payload=TRANSIENT),
        feed(
            status=503,
            reason="Service Unavailable",
            payload="<html><body>Service Unavailable</body></html>",
            headers={"content-type": ["text/html; charset=utf-8"]},
        ),
        feed(payload=page([P3])),
    ],
    "server_down": [feed(status=500, reason="Internal Server Error", payload=TRANSIENT)] * 3,
    "malformed_items": [
        feed(
            payload=page(
                [
                    P3,
                    {k: v for k, v in P2.items() if k != "created_time"},
                    {**P2, "id": 12345},
                    "not an object",
                    {**P2, "message": 42},
                    {**P2, "reactions": {"data": [], "summary": {"total_count": "many"}}},
                    {**P1, "comments": {**P1["comments"], "data": [{"message": "no time"}, C1]}},
                ]
            )
        )
    ],
    "missing_data": [feed(payload={"paging": {"cursors": {"before": "QVFIUkJlZm9yZQ"}}})],
    "wrong_types": [feed(payload={"data": {"id": P2["id"], "message": "one post, not a list"}})],
    "paging_not_object": [feed(payload={"data": [P3], "paging": "next"})],
    "empty_data": [feed(payload={"data": []})],
    "truncated": [feed(payload=body(page([P1, P2]))[:100])],
    "html_not_json": [
        feed(
            payload="<html><body>Sorry, something went wrong.</body></html>",
            headers={"content-type": ["text/html; charset=utf-8"]},
        )
    ],
    "post_deleted_since": [
        feed(payload=page([P2])),
        comments(P2["id"], status=400, reason="Bad Request", payload=GONE),
    ],
    "refresh": [
        feed(payload=page([RP2, RP5])),
        interaction(
            "",
            {"ids": ",".join(f"{PAGE}_{n}" for n in REFRESH_POSTS), "fields": POST_COUNTER_FIELDS},
            status=400,
            reason="Bad Request",
            payload=GONE,
        ),
        interaction(
            f"{PAGE}_900000000000002",
            {"fields": POST_COUNTER_FIELDS},
            payload={
                "id": f"{PAGE}_900000000000002",
                "message": RP2_EDITED,
                "shares": {"count": 31},
                "reactions": summary(210),
                "comments": summary(57, order="ranked", can_comment=True),
            },
        ),
        interaction(
            f"{PAGE}_900000000000005",
            {"fields": POST_COUNTER_FIELDS},
            status=400,
            reason="Bad Request",
            payload=GONE,
        ),
        interaction(
            "",
            {"ids": ",".join(c["id"] for c in (R1, R2, R3)), "fields": COMMENT_COUNTER_FIELDS},
            payload={
                R1["id"]: {
                    "id": R1["id"],
                    "message": R1_EDITED,
                    "like_count": 12,
                    "comment_count": 3,
                    "is_hidden": False,
                },
                R2["id"]: {
                    "id": R2["id"],
                    "message": R2["message"],
                    "like_count": 40,
                    "comment_count": 9,
                    "is_hidden": True,
                },
            },
        ),
    ],
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, interactions in CASSETTES.items():
        doc = {"interactions": interactions, "version": 1}
        (OUT / f"{name}.yaml").write_text(
            yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=110), encoding="utf-8"
        )


if __name__ == "__main__":
    main()
