"""The one secret scrubber (monitor/redact.py): every shape of secret the sources, the pipeline and the
HTTP loggers used to hide is hidden, by the one function they all call now."""

import logging

import pytest

from monitor.redact import REDACTED, redact, redact_http_logs, scrub, scrub_bytes

FB_TOKEN = "EAAGm0PX4ZCpsBAtestPageTokenDoNotLogZDZD"
BEARER = "AAAAAAAAAAAAAAAAAAAAAsecret-bearer-token"
PROOF = "3f9a1c0be5d2a4f6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a3"

SHAPES = [
    # (what, text holding the secret, the secret, what stays)
    ("bearer header", f"Authorization: Bearer {BEARER}", BEARER, "Authorization: Bearer [redacted]"),
    ("bearer, any case", f"authorization: bearer {BEARER}", BEARER, "authorization: bearer [redacted]"),
    (
        "OAuth 1.0a header",
        f'Authorization: OAuth oauth_consumer_key="k", oauth_token="{BEARER}", oauth_signature="{PROOF}"',
        BEARER,
        'oauth_token="[redacted]", oauth_signature="[redacted]"',
    ),
    (
        "access_token in a URL query",
        f"GET https://graph.facebook.com/v25.0/1/feed?limit=100&access_token={FB_TOKEN}&after=QVFI",
        FB_TOKEN,
        "limit=100&access_token=[redacted]&after=QVFI",
    ),
    (
        "appsecret_proof in a URL query",
        f"https://graph.facebook.com/v25.0/1?access_token=x&appsecret_proof={PROOF}",
        PROOF,
        "appsecret_proof=[redacted]",
    ),
    (
        "a Facebook token quoted bare in Graph's error text",
        f"Malformed access token {FB_TOKEN}",
        FB_TOKEN,
        "Malformed access token [redacted]",
    ),
    (
        "a password in a database URL",
        "could not connect to postgresql+psycopg://repmon:s3cret-pw@db.internal:5432/repmon",
        "s3cret-pw",
        "postgresql+psycopg://repmon:[redacted]@db.internal:5432/repmon",
    ),
]


@pytest.mark.parametrize(("what", "text", "secret", "kept"), SHAPES, ids=[s[0] for s in SHAPES])
def test_each_secret_shape_is_hidden(what, text, secret, kept):
    cleaned = scrub(text)
    assert secret not in cleaned, what
    assert kept in cleaned, what


def test_a_known_token_inside_an_exception_message_is_hidden_whatever_its_shape():
    token = "plain-looking-token-1234"
    exc = ValueError(f"cannot fetch https://example.test/?q=1 (token {token}) for {token}")
    assert (
        scrub(str(exc), token) == f"cannot fetch https://example.test/?q=1 (token {REDACTED}) for {REDACTED}"
    )
    assert scrub("nothing secret here", None, "") == "nothing secret here"


def test_redact_hides_every_secret_setting_in_use_and_makes_valid_text(monkeypatch):
    monkeypatch.setenv("REPMON_SMTP_PASSWORD", "smtp-pass-0SECRET0")
    monkeypatch.setenv("REPMON_X_API_SECRET", "xapisecret-0SECRET0")
    message = "login failed with smtp-pass-0SECRET0; signing with xapisecret-0SECRET0\x00 Bearer abc.def"
    assert redact(message) == f"login failed with {REDACTED}; signing with {REDACTED}\ufffd Bearer {REDACTED}"


def test_ordinary_text_is_left_alone():
    for text in ("http://example.com:8080/path", "bearers of bad news", "EAA is short", "x=1&y=2"):
        assert scrub(text) == text


def test_the_evidence_bytes_lose_only_the_token():
    raw = (
        b'{"id":"1_2","paging":{"next":"https://graph.facebook.com/v25.0/1_2/comments?access_token='
        + FB_TOKEN.encode()
        + b"&appsecret_proof="
        + PROOF.encode()
        + b'&after=QVFI"},"message":"Bearer of news"}'
    )
    cleaned = scrub_bytes(raw)
    assert FB_TOKEN.encode() not in cleaned and PROOF.encode() not in cleaned
    assert cleaned == raw.replace(FB_TOKEN.encode(), b"[redacted]").replace(PROOF.encode(), b"[redacted]")
    untouched = b'{"id":"1","message":"no secrets \\u05d0"}'
    assert scrub_bytes(untouched) is untouched


def test_http_request_lines_are_logged_without_the_token(caplog):
    redact_http_logs()
    redact_http_logs()  # idempotent: one filter, not two
    logger = logging.getLogger("urllib3.connectionpool")
    assert len([f for f in logger.filters if type(f).__name__ == "RedactingFilter"]) == 1
    with caplog.at_level(logging.DEBUG, logger="urllib3.connectionpool"):
        logger.debug(
            '%s "%s %s" %s', "https://graph.facebook.com:443", "GET", f"/1?access_token={FB_TOKEN}", 200
        )
    assert FB_TOKEN not in caplog.text
    assert "access_token=[redacted]" in caplog.text


def test_tweepy_request_logs_are_scrubbed_even_at_debug(caplog):
    from monitor.sources.x import make_client

    make_client(BEARER)
    logger = logging.getLogger("tweepy.client")
    with caplog.at_level(logging.DEBUG, logger="tweepy.client"):
        logger.debug("Making API request\nHeaders: %s", {"Authorization": f"Bearer {BEARER}"})
    assert BEARER not in caplog.text and "Bearer [redacted]" in caplog.text
