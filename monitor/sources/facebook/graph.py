"""The Graph API client: facebook-sdk's ``GraphAPI`` on a session that keeps the last response, and the
call that turns Graph and HTTP errors into repmon errors.

facebook-sdk 3.1.0 only accepts Graph versions up to 3.1, so the client is made with "3.1" and then pointed
at the configured version. Its session is a ``GraphSession`` that keeps the last ``requests.Response``:
each item's JSON is stored exactly as received, and rate-limit usage headers are read from it. 5xx and
timeouts get the shared bounded retries (``monitor.sources.http.RetryPolicy``).

The access token travels as facebook-sdk sends it (the ``access_token`` query parameter). It never appears
in a message: Graph's own error texts are scrubbed (``monitor.redact``), request errors are named by type
only, and urllib3's DEBUG request lines are redacted by a logging filter.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import datetime

import facebook
import requests

from monitor.errors import AuthExpired, BadPayload, ConfigError, RateLimited, SourceError
from monitor.redact import redact_http_logs, scrub
from monitor.sources.http import DEFAULT_TIMEOUT, RetryPolicy, TimeoutSession, Transient, regain_access_at
from monitor.sources.payloads import MAX_DEPTH

log = logging.getLogger("repmon.sources.facebook")

TOKEN_SETTING = "REPMON_FACEBOOK_PAGE_TOKEN"
PERMISSIONS = "pages_read_engagement and pages_read_user_content"
POST_PERMISSIONS = "pages_manage_engagement"  # replying as the Page
DEFAULT_VERSION = "v25.0"
RATE_LIMIT_CODES = frozenset({4, 17, 32, 613, 80001})
AUTH_CODES = frozenset({102, 190})
TRANSIENT_CODES = frozenset({1, 2})
TOKEN_SUBCODES = {
    458: "the app was removed",
    460: "the password was changed",
    463: "the token expired",
    464: "the user is not confirmed",
    467: "the token is invalid",
}


class GraphSession(TimeoutSession):
    """The Graph client's session: it times out and keeps the last response, for its raw bytes and usage
    headers (see ``TimeoutSession``)."""


class NotFound(SourceError):
    """Graph says the object does not exist or cannot be read (code 100, "Unsupported get request")."""


def graph_version(version: str | None) -> str:
    """The configured Graph version as "vNN.N"; ``ConfigError`` if it is not one."""
    version = (version or DEFAULT_VERSION).strip()
    if not version.startswith("v"):
        version = f"v{version}"
    if not re.fullmatch(r"v[0-9]+\.[0-9]+", version):
        raise ConfigError(
            f"Graph API version {version!r} is not like v25.0: check REPMON_FACEBOOK_GRAPH_VERSION"
        )
    return version


class GraphClient:
    """Graph calls on behalf of one source: GET with retries, and errors that say what to do."""

    def __init__(
        self,
        name: str,
        token: str,
        version: str,
        session: GraphSession,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        retries: int = 3,
        backoff: float = 1.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        redact_http_logs()
        self.name, self.version, self.session = name, version, session
        self.retry = RetryPolicy(retries, backoff, sleep)
        self._token = token
        self.graph = facebook.GraphAPI(access_token=token, timeout=timeout, version="3.1", session=session)
        self.graph.version = version

    def get(self, path: str, params: dict[str, str], now: datetime) -> requests.Response:
        """GET ``{version}/{path}``; Graph and HTTP errors become repmon errors, 5xx and timeouts retried."""
        what = f"GET /{self.version}/{path}"
        return self.retry.call(
            lambda: self._get_once(path, params, now, what),
            lambda transient: SourceError(
                self.name,
                f"Facebook Graph API unavailable ({transient}) after {self.retry.retries} tries for {what}; "
                "will retry next run",
            ),
            source=self.name,
            what=what,
            on_retry=lambda transient: log.info("source %r: %s for %s, retrying", self.name, transient, what),
        )

    def _get_once(self, path: str, params: dict[str, str], now: datetime, what: str) -> requests.Response:
        """One try; a server error or a timeout raises ``Transient``, every other error its repmon error."""
        try:
            self.graph.request(f"{self.version}/{path}", dict(params))
        except facebook.GraphAPIError as exc:
            response = self.session.last_response
            status = response.status_code if response is not None else None
            if (status is not None and status >= 500) or exc.code in TRANSIENT_CODES:
                raise Transient(f"server error {status}") from None
            raise self.translate(exc, response, what, now) from None
        except RecursionError:  # facebook-sdk parses the body first: Python's parser gives up
            raise BadPayload(
                self.name, f"Facebook response to {what}: nested more than {MAX_DEPTH} levels deep"
            ) from None
        except requests.exceptions.JSONDecodeError:
            response = self.session.last_response
            if response is not None and response.status_code >= 500:
                raise Transient(f"server error {response.status_code}") from None
            raise BadPayload(self.name, f"Facebook sent a body that is not JSON for {what}") from None
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise Transient(type(exc).__name__) from None
        except requests.RequestException as exc:
            # Some request errors quote the URL, token included: name the type only.
            raise SourceError(
                self.name, f"Facebook request {what} failed ({type(exc).__name__}): check the network"
            ) from None
        except KeyError:
            raise BadPayload(self.name, f"Facebook sent a response with no content type for {what}") from None
        response = self.session.last_response
        if response is None:  # pragma: no cover - the session always records one
            raise SourceError(self.name, f"no response recorded for {what}")
        if response.status_code >= 500:
            raise Transient(f"server error {response.status_code}")
        return response

    def translate(
        self,
        exc: facebook.GraphAPIError,
        response: requests.Response | None,
        what: str,
        now: datetime,
        *,
        permissions: str = PERMISSIONS,
    ) -> SourceError:
        """The Graph API error as a SourceError that says what to do; ``permissions`` are the ones the
        call needs (reading by default; posting a reply needs POST_PERMISSIONS)."""
        code = exc.code if isinstance(exc.code, int) else None
        detail = scrub(str(exc.message), self._token)
        error = exc.result.get("error", {}) if isinstance(exc.result, dict) else {}
        subcode = error.get("error_subcode") if isinstance(error, dict) else None
        if code in AUTH_CODES:
            why = (
                TOKEN_SUBCODES.get(subcode, "Graph rejected it")
                if isinstance(subcode, int)
                else "Graph rejected it"
            )
            return AuthExpired(
                self.name,
                f"Facebook Page token expired or invalidated (code {code}: {why}): "
                f"renew the Page token in {TOKEN_SETTING}",
            )
        if code in RATE_LIMIT_CODES:
            reset_at = regain_access_at(response.headers if response is not None else {}, now)
            return RateLimited(
                self.name,
                f"Facebook rate limit reached (code {code}) on {what}; "
                f"next request allowed at {reset_at.isoformat()}",
                reset_at,
            )
        if code == 100 and ("unsupported get request" in detail.lower() or subcode == 33):
            return NotFound(
                self.name,
                f"Facebook object not found, or not readable with this token, for {what} (code 100): "
                f"check REPMON_FACEBOOK_PAGE_ID and that the token has {PERMISSIONS}",
            )
        if (
            code == 10
            or (code is not None and 200 <= code <= 299)
            or (code == 100 and "permission" in detail.lower())
        ):
            return SourceError(
                self.name,
                f"Facebook refused {what} (code {code}, missing permission: {detail}): the Page token needs "
                f"{permissions}; grant them and renew {TOKEN_SETTING}",
            )
        content_type = response.headers.get("content-type", "") if response is not None else ""
        if code is None and response is not None and "json" not in content_type:
            return BadPayload(
                self.name, f"Facebook sent {content_type or 'no content type'} instead of JSON for {what}"
            )
        status = response.status_code if response is not None else "no response"
        return SourceError(
            self.name, f"Facebook Graph API error on {what} (HTTP {status}, code {code}): {detail}"
        )
