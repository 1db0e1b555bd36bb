"""X (Twitter) API v2 sources, through tweepy's ``Client``.

- ``client``: the raw-response client and the call that translates tweepy's errors (shared retries).
- ``parse``: response bodies into records (pure).
- ``timelines``: ``XSource``, the mentions, search and quotes walkers, and the daily read budget.
- ``metrics``: ``XMetricsSource``, the counters of open queue items (gone posts listed, not written).
- ``replies``: posting an approved reply as the business's account.
"""

from __future__ import annotations

from monitor.sources.x.client import (
    EXPANSIONS,
    TOKEN_SETTING,
    TWEET_FIELDS,
    USER_FIELDS,
    StaleCursor,
    XCaller,
    make_client,
    quiet_tweepy,
)
from monitor.sources.x.metrics import XMetricsSource
from monitor.sources.x.parse import ParsedResponse, parse_response, parse_retweeters, snowflake_time
from monitor.sources.x.replies import post_x_reply, x_user_client
from monitor.sources.x.timelines import RETWEET_PAGES, ReadBudget, XSource, reads_today

__all__ = [
    "EXPANSIONS",
    "RETWEET_PAGES",
    "TOKEN_SETTING",
    "TWEET_FIELDS",
    "USER_FIELDS",
    "ParsedResponse",
    "ReadBudget",
    "StaleCursor",
    "XCaller",
    "XMetricsSource",
    "XSource",
    "make_client",
    "parse_response",
    "parse_retweeters",
    "post_x_reply",
    "quiet_tweepy",
    "reads_today",
    "snowflake_time",
    "x_user_client",
]
