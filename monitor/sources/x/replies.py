"""Posting an approved reply on X, as the business's own account (user context, not the app token)."""

from __future__ import annotations

import json

import requests
import tweepy

from monitor.errors import BadPayload
from monitor.sources.x.client import XCaller, quiet_tweepy


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
    call = XCaller("x-replies", retries=1)
    response = call(client.create_tweet, text=text, in_reply_to_tweet_id=in_reply_to, user_auth=True)
    try:
        return str(json.loads(response.content)["data"]["id"])
    except (ValueError, KeyError, TypeError) as exc:
        raise BadPayload("x-replies", f"X accepted the reply but its answer has no post id ({exc})") from None
