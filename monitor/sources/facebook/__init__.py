"""Facebook Page sources, through facebook-sdk's ``GraphAPI``.

- ``graph``: the client (session, retries, Graph errors into repmon errors, the Graph version).
- ``parse``: response bodies into records (pure).
- ``feed``: ``FacebookSource``, the feed and comment walks.
- ``metrics``: the counters and text of open queue items (``FacebookMetricsSource``); gone ids listed, not
  written.
- ``replies``: posting an approved reply as the Page.
"""

from __future__ import annotations

from monitor.redact import redact_http_logs
from monitor.sources.facebook.feed import COMMENT_FIELDS, FEED_FIELDS, PAGE_LIMIT, FacebookSource
from monitor.sources.facebook.graph import (
    DEFAULT_VERSION,
    PERMISSIONS,
    POST_PERMISSIONS,
    TOKEN_SETTING,
    GraphClient,
    GraphSession,
    NotFound,
)
from monitor.sources.facebook.metrics import (
    COMMENT_COUNTER_FIELDS,
    POST_COUNTER_FIELDS,
    REFRESH_BATCH,
    FacebookMetricsSource,
)
from monitor.sources.facebook.parse import PLATFORM, parse_response
from monitor.sources.facebook.replies import post_facebook_reply
from monitor.sources.http import regain_access_at

__all__ = [
    "COMMENT_COUNTER_FIELDS",
    "COMMENT_FIELDS",
    "DEFAULT_VERSION",
    "FEED_FIELDS",
    "PAGE_LIMIT",
    "PERMISSIONS",
    "PLATFORM",
    "POST_COUNTER_FIELDS",
    "POST_PERMISSIONS",
    "REFRESH_BATCH",
    "TOKEN_SETTING",
    "FacebookMetricsSource",
    "FacebookSource",
    "GraphClient",
    "GraphSession",
    "NotFound",
    "parse_response",
    "post_facebook_reply",
    "redact_http_logs",
    "regain_access_at",
]
