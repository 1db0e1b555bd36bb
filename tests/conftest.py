import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def classifier():
    """The real default classifier: converted e5 encoder plus the committed head."""
    from monitor.cli import _classifier

    return _classifier()


from datetime import UTC, datetime, timedelta  # noqa: E402

from monitor.records import Mention, RawPayload  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path):
    """A fresh, migrated SQLite store in a temporary folder."""
    from monitor.storage import Store

    return Store.open(tmp_path / "data")


@pytest.fixture
def make_mention():
    """Build a Mention with sensible defaults; any field can be overridden."""

    def make(**overrides):
        ext = overrides.pop("external_id", "1001")
        body = overrides.pop("body", f'{{"id": "{ext}"}}'.encode())
        values = {
            "platform": "x",
            "external_id": ext,
            "url": f"https://x.com/someone/status/{ext}",
            "author_id": "42",
            "author_handle": "someone",
            "author_name": "Some One",
            "author_followers": 120,
            "text": "the coffee was cold again",
            "language": "en",
            "created_at": NOW - timedelta(hours=1),
            "raw": RawPayload(body=body, captured_at=NOW),
            "source": "test",
        }
        values.update(overrides)
        return Mention(**values)

    return make


class FakeClassifier:
    """Deterministic stand-in for pipeline plumbing tests: a keyword per label."""

    model_version = "fake-1"

    def __init__(self):
        self.seen = []

    def predict(self, texts):
        from classifiers import LABELS, Prediction
        from classifiers.text import detect_language

        out = []
        for t in texts:
            self.seen.append(t)
            label = next((lab for lab in LABELS if lab in t), "complaint")
            scores = {lab: (0.9 if lab == label else 0.05) for lab in LABELS}
            out.append(Prediction(label, scores, detect_language(t), self.model_version))
        return out


@pytest.fixture
def fake_classifier():
    return FakeClassifier()


# -- a real SMTP server in-process -------------------------------------------------------------------


def free_port():
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps each message received (parsed) and its envelope recipients."""

    def __init__(self):
        self.messages = []
        self.recipients = []
        self.raw = []

    async def handle_DATA(self, server, session, envelope):
        import email
        import email.policy

        self.recipients.append(envelope.rcpt_tos)
        self.raw.append(envelope.content)
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def start_smtp(port=None):
    """An SMTP server on 127.0.0.1 (plain, no login); returns (controller, inbox). Stop the controller."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, inbox


@pytest.fixture
def smtp():
    """A running SMTP server; ``smtp.config`` is an SmtpConfig pointing at it."""
    from monitor.mailer import SmtpConfig

    controller, inbox = start_smtp()
    inbox.config = SmtpConfig(
        "127.0.0.1", controller.port, "none", sender="repmon <r@repmon.test>", timeout=5
    )
    yield inbox
    controller.stop()
