"""repmon's Streamlit dashboard: ``repmon dashboard`` (or ``streamlit run dashboard/app.py``).

It reads and writes through the storage layer only (``dashboard/data.py``); pages live in
``dashboard/screens/``; who may see and do what is decided by ``monitor.users.can``.
"""
