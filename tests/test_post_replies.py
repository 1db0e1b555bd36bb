"""Posting approved replies through the platforms: off by default, then X and Facebook (cassettes)."""

import json

import pytest
import vcr
import yaml
from conftest import NOW, add_users, open_store

from monitor.cli import main
from monitor.pipeline import run_pass

SECRETS = {
    "REPMON_X_API_KEY": "key-123",
    "REPMON_X_API_SECRET": "secret-456",
    "REPMON_X_ACCESS_TOKEN": "42-token-789",
    "REPMON_X_ACCESS_TOKEN_SECRET": "token-secret-000",
    "REPMON_FACEBOOK_PAGE_TOKEN": "EAAB-page-token",
    "REPMON_FACEBOOK_PAGE_ID": "900000000000001",
}


def cassette(path, method, uri, status, payload):
    doc = {
        "version": 1,
        "interactions": [
            {
                "request": {"method": method, "uri": uri, "body": None, "headers": {}},
                "response": {
                    "status": {"code": status, "message": "OK" if status < 300 else "Error"},
                    "headers": {"content-type": ["application/json; charset=utf-8"]},
                    "body": {"string": json.dumps(payload)},
                },
            }
        ],
    }
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return str(path)


@pytest.fixture
def item(tmp_path, monkeypatch, make_mention, fake_classifier, request):
    monkeypatch.setenv("REPMON_DATA_DIR", str(tmp_path / "data"))
    for k, v in SECRETS.items():
        monkeypatch.setenv(k, v)
    platform, ext = request.param
    store = open_store(tmp_path / "data")
    store.save_page(
        "t", [make_mention(platform=platform, external_id=ext, text="cold coffee complaint")], [], {}, NOW
    )
    run_pass(store, [], fake_classifier, NOW)
    add_users(store, dana="manager")
    assert main(["draft", "1", "--text", "Sorry! We sent you a direct message.", "--by", "dana"]) == 0
    return store


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_posting_is_off_by_default(item, capsys):
    capsys.readouterr()
    assert main(["respond", "1", "--post", "--by", "dana"]) == 2
    assert "posting replies is off: set REPMON_POST_REPLIES=true" in capsys.readouterr()[1]
    assert item.item(1)["item"]["status"] == "in_progress"


@pytest.mark.parametrize("item", [("x", "1860000000000000003")], indirect=True)
def test_x_reply_is_posted_and_its_id_recorded(item, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    path = cassette(
        tmp_path / "x.yaml",
        "POST",
        "https://api.twitter.com/2/tweets",
        201,
        {
            "data": {
                "id": "1860000000000000777",
                "text": "Sorry! We sent you a direct message.",
                "edit_history_tweet_ids": ["1860000000000000777"],
            }
        },
    )
    import tweepy

    sent = []
    original = tweepy.Client.create_tweet

    def spy(self, **kwargs):
        sent.append(kwargs)
        return original(self, **kwargs)

    monkeypatch.setattr(tweepy.Client, "create_tweet", spy)
    with vcr.use_cassette(path, record_mode="none", match_on=["method", "host", "path"]) as cas:
        assert main(["respond", "1", "--post", "--by", "dana"]) == 0
        assert cas.play_count == 1
    assert sent == [
        {
            "text": "Sorry! We sent you a direct message.",
            "in_reply_to_tweet_id": "1860000000000000003",
            "user_auth": True,
        }
    ]
    reply = item.reply(1)
    assert (reply["status"], reply["platform_reply_id"]) == ("sent", "1860000000000000777")
    assert item.item(1)["audit"][-1]["detail"]["note"] == "posted through the platform as 1860000000000000777"
    assert "key-123" not in capsys.readouterr()[0]


@pytest.mark.parametrize("item", [("facebook", "900000000000002_700000000000012")], indirect=True)
def test_facebook_comment_reply_and_a_refused_permission(item, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("REPMON_POST_REPLIES", "true")
    uri = "https://graph.facebook.com/v25.0/900000000000002_700000000000012/comments"
    denied = cassette(
        tmp_path / "denied.yaml",
        "POST",
        uri,
        403,
        {
            "error": {
                "message": "(#200) Requires pages_manage_engagement permission",
                "type": "OAuthException",
                "code": 200,
            }
        },
    )
    with vcr.use_cassette(denied, record_mode="none", match_on=["method", "host", "path"]):
        assert main(["respond", "1", "--post", "--by", "dana"]) == 2
    err = capsys.readouterr()[1]
    # the advice names what posting needs, not the read permissions polling needs
    assert "the Page token needs pages_manage_engagement; grant them" in err
    assert "pages_read_engagement" not in err
    assert "EAAB-page-token" not in err
    assert item.item(1)["item"]["status"] == "in_progress"  # nothing recorded when posting failed
    ok = cassette(tmp_path / "ok.yaml", "POST", uri, 200, {"id": "900000000000002_700000000000099"})
    with vcr.use_cassette(ok, record_mode="none", match_on=["method", "host", "path"]) as cas:
        assert main(["respond", "1", "--post", "--by", "dana"]) == 0
        assert cas.play_count == 1
    assert item.reply(1)["platform_reply_id"] == "900000000000002_700000000000099"
    assert item.item(1)["item"]["status"] == "responded"
