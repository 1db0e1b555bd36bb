"""The Streamlit dashboard (built in a later issue); it reads and writes through the storage layer only."""
