"""The HTTP policy both platforms share (monitor/sources/http.py): one retry/backoff loop, one session
with a timeout, and the rate-limit headers read into a reset time."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import requests

from monitor.errors import AuthExpired, SourceError
from monitor.sources.facebook import FacebookSource, GraphSession
from monitor.sources.http import (
    RetryPolicy,
    TimeoutSession,
    Transient,
    regain_access_at,
    reset_from_epoch,
)
from monitor.sources.x import XCaller

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def flaky(failures, result="ok", error=Transient):
    """A call that fails ``failures`` times (``error("server error 503")``), then returns ``result``."""
    calls = []

    def attempt():
        calls.append(1)
        if len(calls) <= failures:
            raise error("server error 503")
        return result

    return attempt, calls


def give_up(what):
    return SourceError("src", f"unavailable ({what})")


def test_transient_failures_are_retried_with_exponential_backoff():
    waits = []
    attempt, calls = flaky(2)
    policy = RetryPolicy(retries=3, backoff=0.5, sleep=waits.append)
    assert policy.call(attempt, give_up, source="src", what="GET /x") == "ok"
    assert (len(calls), waits) == (3, [0.5, 1.0])


def test_the_last_transient_failure_raises_the_callers_error_without_a_last_wait():
    waits, retried = [], []
    attempt, calls = flaky(5)
    policy = RetryPolicy(retries=3, backoff=1.0, sleep=waits.append)
    with pytest.raises(SourceError, match=r"unavailable \(server error 503\)"):
        policy.call(attempt, give_up, source="src", what="GET /x", on_retry=retried.append)
    assert (len(calls), waits, retried) == (3, [1.0, 2.0], ["server error 503"] * 2)


def test_other_errors_pass_through_at_once():
    waits = []
    attempt, calls = flaky(1, error=lambda m: AuthExpired("src", m))
    with pytest.raises(AuthExpired):
        RetryPolicy(sleep=waits.append).call(attempt, give_up, source="src", what="GET /x")
    assert (len(calls), waits) == (1, [])


def test_no_try_at_all_says_so():
    with pytest.raises(SourceError, match="GET /x did not complete"):
        RetryPolicy(retries=0).call(lambda: "ok", give_up, source="src", what="GET /x")


def test_both_platforms_use_the_one_policy():
    """X's caller and Facebook's Graph client share the loop: same waits, their own last message."""
    waits = []
    caller = XCaller("x-search", retries=3, backoff=2.0, sleep=waits.append)

    def server_down(**_params):
        raise requests.ConnectionError("boom")

    with pytest.raises(SourceError, match=r"X API unavailable \(ConnectionError\) after 3 tries"):
        caller(server_down)
    assert waits == [2.0, 4.0]

    fb_waits = []
    source = FacebookSource("facebook", "1", "EAAtoken", backoff=2.0, sleep=fb_waits.append)
    assert source.client.retry.retries == 3 and isinstance(source.session, TimeoutSession)
    source.session.request = lambda *a, **k: (_ for _ in ()).throw(requests.Timeout("slow"))
    with pytest.raises(
        SourceError, match=r"Graph API unavailable \(Timeout\) after 3 tries for GET /v25.0/1/feed"
    ):
        source.client.get("1/feed", {}, NOW)
    assert fb_waits == [2.0, 4.0]


def test_the_session_sets_a_timeout_and_keeps_the_last_response():
    seen = {}

    class Adapter(requests.adapters.BaseAdapter):
        def send(self, request, **kwargs):
            seen["timeout"] = kwargs.get("timeout")
            response = requests.Response()
            response.status_code, response._content, response.url = 200, b"{}", request.url
            return response

        def close(self):
            pass

    for session in (TimeoutSession(7.0), GraphSession(7.0)):
        session.mount("https://", Adapter())
        response = session.get("https://example.test/", timeout=None)
        assert seen["timeout"] == 7.0 and session.last_response is response
        session.get("https://example.test/", timeout=3)
        assert seen["timeout"] == 3


def test_rate_limit_headers():
    assert reset_from_epoch("1795176000") == datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    assert reset_from_epoch(None) is None and reset_from_epoch("soon") is None
    usage = {"123": [{"type": "pages", "estimated_time_to_regain_access": 7}]}
    headers = {"X-Business-Use-Case-Usage": json.dumps(usage), "x-app-usage": "not json"}
    assert regain_access_at(headers, NOW) == NOW + timedelta(minutes=7)
    assert regain_access_at({}, NOW) == NOW + timedelta(minutes=15)
