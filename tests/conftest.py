import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def classifier():
    """The real default classifier: converted e5 encoder plus the committed head."""
    from monitor.cli import _classifier

    return _classifier()
