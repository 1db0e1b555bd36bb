"""Posting an approved reply through the platform: an X reply or a Facebook comment reply.

Off by default (``REPMON_POST_REPLIES``); a manager can always post by hand and mark the item responded.
Platform errors become repmon errors here, with no token in any message.
"""

from __future__ import annotations

import json
from datetime import datetime

import facebook
import requests
import tweepy

from monitor.errors import BadPayload, SourceError
from monitor.sources.facebook import POST_PERMISSIONS, FacebookSource
from monitor.sources.x import _Caller, quiet_tweepy


def x_user_client(api_key: str, api_secret: str, access_token: str, access_secret: str) -> tweepy.Client:
    """A client acting as the business's own account (posting needs user context, not the app token)."""
    quiet_tweepy()
    return tweepy.Client(
        consumer_key=api_key,
        consumer_secret=api_secret,
        access_token=access_token,
        access_token_secret=access_secret,
        wait_on_rate_limit=False,
        return_type=requests.Response,
    )


def post_x_reply(client: tweepy.Client, in_reply_to: str, text: str) -> str:
    """Reply to a post on X; returns the new post's id."""
    call = _Caller("x-replies", retries=1)
    response = call(client.create_tweet, text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True)
    try:
        return str(json.loads(response.content)["data"]["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadPayload("x-replies", f"X accepted the reply but its answer has no post id ({exc})") from None


def post_facebook_reply(source: FacebookSource, parent_id: str, text: str, now: datetime) -> str:
    """Comment under a post or reply to a comment on the Page; returns the new comment's id."""
    try:
        result = source.graph.put_object(parent_id, "comments", message=text)
    except facebook.GraphAPIError as exc:
        raise source._translate(
            exc, source.session.last_response, f"reply to {parent_id}", now, permissions=POST_PERMISSIONS
        ) from None
    except requests.RequestException as exc:
        raise SourceError(source.name, f"Facebook reply failed ({type(exc).__name__}); try again") from None
    if not isinstance(result, dict) or not result.get("id"):
        raise BadPayload(source.name, "Facebook accepted the reply but its answer has no comment id")
    return str(result["id"])
