import functools
import itertools
import os

import freezegun
import pytest

# freeze_time scans every loaded module for datetime references; the ML stack's modules are many and
# some misbehave when touched mid-import (a crash was seen with transformers loading pandas).
freezegun.configure(
    extend_ignore_list=["transformers", "torch", "tokenizers", "pandas", "numpy", "pyarrow", "altair",
                        "streamlit", "safetensors", "sklearn", "scipy"]
)  # fmt: skip

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def classifier():
    """The real default classifier: converted e5 encoder plus the committed head."""
    from monitor.cli.common import classifier as load_classifier

    return load_classifier()


from datetime import UTC, datetime, timedelta  # noqa: E402

from monitor.records import Mention, RawPayload  # noqa: E402

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

# -- the database under test: SQLite, or a throwaway PostgreSQL server with TEST_DATABASE=postgresql --

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")
ON_POSTGRESQL = TEST_DATABASE == "postgresql"
_TEMPLATE = "repmon_template"
_database_numbers = itertools.count(1)


def pytest_configure(config):
    if TEST_DATABASE not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"TEST_DATABASE={TEST_DATABASE!r}: use sqlite (the default) or postgresql")


def pytest_report_header(config):
    return f"database: {TEST_DATABASE} (TEST_DATABASE)"


def sqlite_only(reason):
    """Skip a test on PostgreSQL: it checks something only SQLite has."""
    return pytest.mark.skipif(ON_POSTGRESQL, reason=f"SQLite only: {reason}")


@pytest.fixture(scope="session")
def postgres_cluster():
    """A PostgreSQL server for the session, with a template database migrated once (from empty)."""
    from support.pgcluster import Cluster, ClusterUnavailable

    from monitor.storage import Store

    try:
        cluster = Cluster()
    except ClusterUnavailable as exc:
        pytest.exit(str(exc), returncode=1)
    try:
        Store.open(url=cluster.create_database(_TEMPLATE)).engine.dispose()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(autouse=True)
def test_database(request, monkeypatch):
    """The test's own database, named by REPMON_DATABASE_URL so that the CLI, the dashboard and
    ``open_store`` use it: on PostgreSQL a fresh copy of the migrated template, dropped afterwards; on
    SQLite nothing (stores live in the test's folder) and a REPMON_DATABASE_URL from the shell is unset."""
    if not ON_POSTGRESQL:
        monkeypatch.delenv("REPMON_DATABASE_URL", raising=False)
        yield None
        return
    cluster = request.getfixturevalue("postgres_cluster")
    name = f"test_{next(_database_numbers)}"
    url = cluster.create_database(name, template=_TEMPLATE)
    monkeypatch.setenv("REPMON_DATABASE_URL", url)
    yield url
    cluster.drop_database(name)


@pytest.fixture(autouse=True)
def english_terminal(monkeypatch):
    """Every test starts on an English (C.UTF-8) terminal with REPMON_UI_LANGUAGE unset, whatever the
    shell's locale: the CLI speaks the terminal's language (``monitor.i18n.terminal_language``)."""
    for name in ("LC_ALL", "LC_MESSAGES", "REPMON_UI_LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "C.UTF-8")


def open_store(data_dir, **kwargs):
    """``Store.open`` on the test's database: REPMON_DATABASE_URL when set, else SQLite in ``data_dir``."""
    from monitor.storage import Store

    return Store.open(data_dir, os.environ.get("REPMON_DATABASE_URL") or None, **kwargs)


@pytest.fixture
def store(tmp_path, test_database):
    """A fresh, migrated store: SQLite in a temporary folder, or the test's PostgreSQL database."""
    store = open_store(tmp_path / "data")
    yield store
    store.engine.dispose()


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
    from monitor.email.mailer import SmtpConfig

    controller, inbox = start_smtp()
    inbox.config = SmtpConfig(
        "127.0.0.1", controller.port, "none", sender="repmon <r@repmon.test>", timeout=5
    )
    yield inbox
    controller.stop()


# -- users the CLI and the dashboard act as ----------------------------------------------------------

USER_PASSWORD = "correct-horse-1"


@functools.cache
def _user_hash():
    from monitor.users import hash_password

    return hash_password(USER_PASSWORD)  # hashed once: argon2 is slow on purpose


def add_users(store, **roles):
    """Add users (``name=role``) with the password USER_PASSWORD, for commands that act as them."""
    for name, role in roles.items():
        store.add_user(name, role, _user_hash(), NOW)
