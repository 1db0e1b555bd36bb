"""Start Streamlit for repmon's dashboard, with ``/_stcore/metrics`` refused.

``repmon dashboard`` (and ``repmon demo``/``run``) run ``python -m dashboard.serve APP [streamlit flags]``
instead of ``streamlit run``: Streamlit serves its OpenMetrics at ``/_stcore/metrics`` to anyone, signed in
or not, and has no setting to turn it off. Here a small ASGI middleware, put first in front of Streamlit's
own, answers 404 for that path (under any ``server.baseUrlPath``). If a Streamlit upgrade moves the hook,
the dashboard does not start rather than serve the metrics (tests/test_hardening.py starts it and asks).
"""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Callable, Callable], Awaitable[None]]

REFUSED = "/_stcore/metrics"


class RefuseMetrics:
    """ASGI middleware: 404 for Streamlit's metrics path, everything else passes through."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Callable, send: Callable) -> None:
        if scope["type"] == "http" and scope["path"].rstrip("/").endswith(REFUSED):
            from starlette.responses import PlainTextResponse

            await PlainTextResponse("not found", status_code=404)(scope, receive, send)
            return
        await self.app(scope, receive, send)


def guard_metrics() -> None:
    """Put ``RefuseMetrics`` in front of the middleware Streamlit builds its server with."""
    from starlette.middleware import Middleware
    from streamlit.web.server.starlette import starlette_app

    original = getattr(starlette_app, "create_streamlit_middleware", None)
    if original is None:
        raise SystemExit(
            "repmon dashboard: this Streamlit version has no create_streamlit_middleware; "
            "/_stcore/metrics cannot be refused: install the Streamlit version pyproject.toml names"
        )

    def with_guard() -> list[Middleware]:
        return [Middleware(RefuseMetrics), *original()]

    starlette_app.create_streamlit_middleware = with_guard


def main(argv: list[str]) -> None:
    """``streamlit run`` with ``argv`` (the app's path, then Streamlit's flags), metrics refused."""
    guard_metrics()
    from streamlit.web import cli

    cli.main(["run", *argv], prog_name="streamlit")


if __name__ == "__main__":
    main(sys.argv[1:])
