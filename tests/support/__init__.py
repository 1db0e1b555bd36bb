"""What the tests share that is not a test and not a fixture: helper modules, imported as
``from support.<module> import ...`` (pytest puts ``tests/`` on the path; ``tests/conftest.py`` stays at
the root of ``tests/``, where pytest finds it).

- ``fake_api``: a fake X and Graph API on 127.0.0.1 that can answer slowly, with 429s, 5xx or not at all.
- ``pgcluster``: a throwaway local PostgreSQL server (the PostgreSQL test run and ``repmon bench``).
- ``e2e``: the Streamlit server and Chromium page of the end-to-end browser tests (and
  ``scripts/screenshots.py``).
- ``dashboard_data``: the small fixed database the dashboard tests walk through.
"""
