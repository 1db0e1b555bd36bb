"""A fake X API v2 on 127.0.0.1 for fault tests: the endpoints repmon's X sources call, answered in the
response shapes of the X API v2 reference (as tests/cassettes/build_x.py writes them), with a
programmable failure schedule.

```
api = FakeX().start()
api.add("search", 30)                      # 30 new tweets in the brand search, newest last
api.fail("search", Fault.status(503), Fault.ok(), Fault.status(429, reset=epoch), Fault.slow(1.0))
redirect(client, api, timeout=0.3)         # a tweepy Client's requests now go to the fake
...
api.stop()
```

Routes (GET), each with the parameters repmon sends:

| route      | path                              | parameters                                      |
|------------|-----------------------------------|-------------------------------------------------|
| `search`   | /2/tweets/search/recent           | query, since_id, next_token, max_results        |
| `mentions` | /2/users/:id/mentions             | since_id, pagination_token, max_results         |
| `quotes`   | /2/tweets/:id/quote_tweets        | pagination_token, max_results                   |
| `retweets` | /2/tweets/:id/retweeted_by        | pagination_token, max_results                   |
| `lookup`   | /2/tweets?ids=a,b                 | unknown ids come back in ``errors`` (Not Found) |

Timelines are newest first and paged by ``max_results``; a pagination token names the oldest tweet of
the page it came with (the next page holds the older ones), so a walk is stable while new tweets
arrive, as X's is. ``since_id`` keeps only newer tweets. Each queued ``Fault`` answers one request to its
route, in order; once the queue is empty the route answers normally. ``delay`` slows every answer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import requests
from requests.adapters import HTTPAdapter

X_API = "https://api.twitter.com/"
FIRST_ID = 1870000000000000000
CREATED = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # the first fake tweet; one more every 10 s


def _user(uid: str, username: str, name: str, followers: int, verified: bool) -> dict:
    counts = {"followers_count": followers, "following_count": 10, "tweet_count": 500, "listed_count": 1}
    return {"id": uid, "username": username, "name": name, "verified": verified, "public_metrics": counts}


USERS = [_user("1001", "noa_k", "נועה כ.", 340, False), _user("1002", "dan_tlv", "Dan", 12500, True)]
TEXTS = [
    "@CafeLimonIL הקפה הגיע קר שוב 😡☕ ממש לא בסדר (#{n})",
    "@CafeLimonIL they charged my card twice, #{n}",
    "@CafeLimonIL תודה על השירות 🙏🏼💛 #{n}",
    "@CafeLimonIL the app is down again, #{n}",
]


@dataclass(frozen=True)
class Fault:
    """How to answer one request: ``ok`` (normally), ``status`` (an error status with X's error body
    and headers), ``slow`` (normally, but only after ``seconds``: the client's timeout fires first) or
    ``drop`` (close the connection without an answer)."""

    kind: str
    code: int = 200
    seconds: float = 0.0
    reset: int | None = None

    @classmethod
    def ok(cls) -> Fault:
        return cls("ok")

    @classmethod
    def status(cls, code: int, reset: int | None = None) -> Fault:
        """``reset``: the epoch second sent as ``x-rate-limit-reset`` (429s)."""
        return cls("status", code, reset=reset)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        return cls("slow", seconds=seconds)

    @classmethod
    def drop(cls) -> Fault:
        return cls("drop")


REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout", 404: "Not Found"}  # fmt: skip


def _body(obj: object) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(", ", ": ")).encode("utf-8")


class FakeX:
    """The fake API's state: tweets per timeline, queued faults per route, and a log of requests."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.tweets: dict[str, dict] = {}  # id -> tweet object
        self.timelines: dict[str, list[str]] = {"search": [], "mentions": []}  # oldest first
        self.quotes: dict[str, list[str]] = {}
        self.retweeters: dict[str, list[dict]] = {}
        self.faults: dict[str, list[Fault]] = {}
        self.requests: list[tuple[str, dict[str, str], int | str]] = []  # (route, params, answer)
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    # -- state -------------------------------------------------------------------------------------

    def add(self, timeline: str, n: int, also: tuple[str, ...] = ()) -> list[str]:
        """``n`` new tweets at the top of ``timeline`` (and of the timelines in ``also``); their ids."""
        with self.lock:
            ids = []
            for _ in range(n):
                k = len(self.tweets)
                tid = str(FIRST_ID + k)
                author = USERS[k % len(USERS)]
                self.tweets[tid] = {
                    "id": tid,
                    "text": TEXTS[k % len(TEXTS)].format(n=k),
                    "author_id": author["id"],
                    "created_at": (CREATED + timedelta(seconds=10 * k)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                    "lang": "he" if k % 2 == 0 else "en",
                    "conversation_id": tid,
                    "public_metrics": {"like_count": k % 7, "retweet_count": k % 3, "reply_count": 0,
                                       "quote_count": 0, "impression_count": 100 + k},
                    "edit_history_tweet_ids": [tid],
                }  # fmt: skip
                for name in (timeline, *also):
                    self.timelines.setdefault(name, []).append(tid)
                ids.append(tid)
            return ids

    def fail(self, route: str, *faults: Fault) -> None:
        """Queue faults for the next requests to ``route``."""
        with self.lock:
            self.faults.setdefault(route, []).extend(faults)

    def pending_faults(self, route: str) -> int:
        with self.lock:
            return len(self.faults.get(route, []))

    def calls(self, route: str) -> int:
        """Requests ``route`` has received so far."""
        return len(self.answers(route))

    def answers(self, route: str) -> list[int | str]:
        """How each request to ``route`` was answered, in order: a status, "slow" or "drop"."""
        with self.lock:
            return [answer for r, _, answer in self.requests if r == route]

    @staticmethod
    def token_boundary(token: str) -> str:
        """The id of the oldest tweet already returned in the walk a pagination token continues."""
        return token.removeprefix("nt-")

    # -- answering ---------------------------------------------------------------------------------

    def _page(self, ids: list[str], params: dict[str, str], token_param: str) -> dict:
        newest_first = sorted(ids, key=int, reverse=True)
        if params.get("since_id"):
            newest_first = [t for t in newest_first if int(t) > int(params["since_id"])]
        token = params.get(token_param)
        if token:
            newest_first = [t for t in newest_first if int(t) < int(self.token_boundary(token))]
        size = int(params.get("max_results", "10"))
        page, rest = newest_first[:size], newest_first[size:]
        if not page:
            return {"meta": {"result_count": 0}}
        meta = {"newest_id": page[0], "oldest_id": page[-1], "result_count": len(page)}
        if rest:
            meta["next_token"] = f"nt-{page[-1]}"
        authors = {self.tweets[t]["author_id"] for t in page}
        return {
            "data": [self.tweets[t] for t in page],
            "includes": {"users": [u for u in USERS if u["id"] in authors]},
            "meta": meta,
        }

    def answer(self, path: str, params: dict[str, str]) -> tuple[str, int, dict]:
        """(route, status, JSON body) for a normal answer."""
        parts = path.strip("/").split("/")
        with self.lock:
            if parts == ["2", "tweets", "search", "recent"] and "query" in params:
                return "search", 200, self._page(self.timelines["search"], params, "next_token")
            if len(parts) == 4 and parts[:2] == ["2", "users"] and parts[3] == "mentions":
                return "mentions", 200, self._page(self.timelines["mentions"], params, "pagination_token")
            if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] == "quote_tweets":
                return "quotes", 200, self._page(self.quotes.get(parts[2], []), params, "pagination_token")
            if len(parts) == 4 and parts[:2] == ["2", "tweets"] and parts[3] == "retweeted_by":
                users = self.retweeters.get(parts[2], [])
                return "retweets", 200, {"data": users, "meta": {"result_count": len(users)}}
            if parts == ["2", "tweets"] and "ids" in params:
                ids = params["ids"].split(",")
                found = [self.tweets[t] for t in ids if t in self.tweets]
                body: dict = {"data": found} if found else {}
                authors = {t["author_id"] for t in found}
                if found:
                    body["includes"] = {"users": [u for u in USERS if u["id"] in authors]}
                missing = [t for t in ids if t not in self.tweets]
                if missing:
                    body["errors"] = [
                        {"value": t, "detail": f"Could not find tweet with ids: [{t}].", "title":
                         "Not Found Error", "resource_type": "tweet", "parameter": "ids", "resource_id": t,
                         "type": "https://api.twitter.com/2/problems/resource-not-found"}
                        for t in missing
                    ]  # fmt: skip
                return "lookup", 200, body
        return "unknown", 404, {"title": "Not Found Error", "detail": f"no route {path}", "status": 404}

    def next_fault(self, route: str) -> Fault:
        with self.lock:
            queue = self.faults.get(route) or []
            return queue.pop(0) if queue else Fault.ok()

    # -- serving -----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        assert self.server is not None, "start() the fake first"
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> FakeX:
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        self.server.api = self  # type: ignore[attr-defined]
        threading.Thread(target=self.server.serve_forever, name="fake-x-api", daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        api: FakeX = self.server.api  # type: ignore[attr-defined]
        split = urlsplit(self.path)
        params = {k: v[0] for k, v in parse_qs(split.query).items()}
        route, status, obj = api.answer(split.path, params)
        fault = api.next_fault(route)
        if fault.kind == "status":
            status = fault.code
            reason = REASONS.get(status, "Error")
            obj = {"title": reason, "detail": reason, "type": "about:blank", "status": status}
        with api.lock:
            api.requests.append((route, params, status if fault.kind in ("ok", "status") else fault.kind))
        time.sleep(api.delay + fault.seconds)
        if fault.kind == "drop":
            self.close_connection = True
            return
        headers = {
            "content-type": "application/json; charset=utf-8",
            "x-rate-limit-limit": "450",
            "x-rate-limit-remaining": "0" if status == 429 else "449",
            "x-rate-limit-reset": str(fault.reset or int(time.time()) + 900),
        }
        body = _body(obj)
        try:
            self.send_response(status, REASONS.get(status))
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:  # the client gave up (its timeout fired): nothing to answer
            self.close_connection = True


class _ToFake(HTTPAdapter):
    """Sends what a session addresses to the X API to the fake instead, bypassing any proxy."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:  # type: ignore[override]
        request.url = self.base + request.url[len(X_API) :]
        kwargs["proxies"] = {}
        return super().send(request, **kwargs)


def redirect(client: object, api: FakeX, timeout: float | None = None) -> None:
    """Point a tweepy ``Client`` (made by ``monitor.sources.x.make_client``) at the fake; its session,
    headers and timeout behaviour stay the real ones, and ``timeout`` (seconds) replaces the timeout."""
    client.session.mount(X_API, _ToFake(api.url))  # type: ignore[attr-defined]
    if timeout is not None:
        client.session.timeout = timeout  # type: ignore[attr-defined]
