"""Posting an approved reply on Facebook: a comment under a post, or a reply to a comment, as the Page."""

from __future__ import annotations

from datetime import datetime

import facebook
import requests

from monitor.errors import BadPayload, SourceError
from monitor.sources.facebook.feed import FacebookSource
from monitor.sources.facebook.graph import POST_PERMISSIONS


def post_facebook_reply(source: FacebookSource, parent_id: str, text: str, now: datetime) -> str:
    """Comment under a post or reply to a comment on the Page; returns the new comment's id."""
    try:
        result = source.graph.put_object(parent_id, "comments", message=text)
    except facebook.GraphAPIError as exc:
        raise source.client.translate(
            exc, source.session.last_response, f"reply to {parent_id}", now, permissions=POST_PERMISSIONS
        ) from None
    except requests.RequestException as exc:
        raise SourceError(source.name, f"Facebook reply failed ({type(exc).__name__}); try again") from None
    if not isinstance(result, dict) or not result.get("id"):
        raise BadPayload(source.name, "Facebook accepted the reply but its answer has no comment id")
    return str(result["id"])
