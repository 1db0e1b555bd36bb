"""Posting an approved reply through the platform: an X reply or a Facebook comment reply.

Off by default (``REPMON_POST_REPLIES``); a manager can always post by hand and mark the item responded.
Platform errors become repmon errors in each platform's ``replies`` module, with no token in any message;
this module is the one place callers import them from.
"""

from __future__ import annotations

from monitor.sources.facebook.replies import post_facebook_reply
from monitor.sources.x.replies import post_x_reply, x_user_client

__all__ = ["post_facebook_reply", "post_x_reply", "x_user_client"]
