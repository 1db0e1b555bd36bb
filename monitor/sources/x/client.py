"""The X API v2 client: a tweepy ``Client`` that reads raw responses, and the call that translates
tweepy's errors into repmon's.

Every response is read raw (``return_type=requests.Response``), so each tweet's JSON is stored exactly as
received. tweepy never sleeps here (``wait_on_rate_limit=False``): a 429 becomes ``RateLimited`` with the
endpoint's ``x-rate-limit-reset``, and the pipeline skips the source until then. 5xx and timeouts get the
shared bounded retries (``monitor.sources.http.RetryPolicy``). tweepy logs request headers, bearer token
included, at DEBUG: its logger is kept at INFO or above.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
import tweepy

from monitor.errors import AuthExpired, RateLimited, SourceError
from monitor.redact import redact_http_logs
from monitor.sources.http import DEFAULT_TIMEOUT, RetryPolicy, TimeoutSession, Transient, reset_from_epoch

TWEET_FIELDS = [
    "created_at",
    "lang",
    "public_metrics",
    "conversation_id",
    "in_reply_to_user_id",
    "referenced_tweets",
    "entities",
    "author_id",
]
USER_FIELDS = ["username", "name", "public_metrics", "verified"]
EXPANSIONS = ["author_id"]
TOKEN_SETTING = "REPMON_X_BEARER_TOKEN"


def quiet_tweepy() -> None:
    """tweepy logs the Authorization header at DEBUG: never let that level through (and should it be let
    through, the header's credential is scrubbed, as are urllib3's request lines)."""
    redact_http_logs()
    for name in ("tweepy", "tweepy.client"):
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)


def make_client(token: str, timeout: float = DEFAULT_TIMEOUT) -> tweepy.Client:
    """An app-context client (bearer token) whose requests time out and whose answers are raw."""
    quiet_tweepy()
    client = tweepy.Client(bearer_token=token, wait_on_rate_limit=False, return_type=requests.Response)
    client.session = TimeoutSession(timeout)
    return client


class StaleCursor(SourceError):
    """X refused a saved since_id or pagination token (too old): the walk restarts without it."""


@dataclass
class XCaller:
    """Calls a tweepy method, translating its errors; 5xx and timeouts get bounded retries."""

    source: str
    retries: int = 3
    backoff: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    calls: list[str] = field(default_factory=list)

    def __call__(self, fn: Callable[..., requests.Response], **params: object) -> requests.Response:
        policy = RetryPolicy(self.retries, self.backoff, self.sleep)
        return policy.call(
            lambda: self._once(fn, params),
            lambda what: SourceError(
                self.source, f"X API unavailable ({what}) after {self.retries} tries; will retry next run"
            ),
            source=self.source,
            what="X API call",
        )

    def _once(self, fn: Callable[..., requests.Response], params: dict[str, object]) -> requests.Response:
        """One try; a server error or a timeout raises ``Transient``, every other error its repmon error."""
        try:
            return fn(**params)
        except tweepy.TooManyRequests as exc:
            reset_at = reset_from_epoch(exc.response.headers.get("x-rate-limit-reset"))
            when = (
                f"next request allowed at {reset_at.isoformat()}"
                if reset_at
                else "X did not say until when (no x-rate-limit-reset); the next run tries again"
            )
            raise RateLimited(self.source, f"X rate limit reached (429); {when}", reset_at) from None
        except (tweepy.Unauthorized, tweepy.Forbidden) as exc:
            status = exc.response.status_code
            detail = "; ".join(exc.api_messages) if exc.api_messages else exc.response.reason
            raise AuthExpired(
                self.source, f"X token rejected ({status}: {detail}): check {TOKEN_SETTING}"
            ) from None
        except tweepy.BadRequest as exc:
            detail = "; ".join(exc.api_messages) or exc.response.reason
            if any(k in detail for k in ("since_id", "next_token", "pagination_token")):
                raise StaleCursor(self.source, f"X rejected the saved cursor (400): {detail}") from None
            raise SourceError(self.source, f"X rejected the request (400): {detail}") from None
        except tweepy.TwitterServerError as exc:
            raise Transient(f"server error {exc.response.status_code}") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Transient(type(exc).__name__) from None
        except tweepy.HTTPException as exc:
            raise SourceError(self.source, f"X API error {exc.response.status_code}") from None
        except requests.RequestException as exc:
            # The message of some request errors quotes the headers, token included: name the type only.
            raise SourceError(
                self.source,
                f"X request failed ({type(exc).__name__}): check {TOKEN_SETTING} and the network",
            ) from None
