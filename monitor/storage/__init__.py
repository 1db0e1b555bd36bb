"""Storage: SQLAlchemy models, Alembic migrations and the one ``Store`` API."""

from monitor.storage.store import OPEN_STATUSES, SavedPage, SourceState, Store, database_url

__all__ = ["OPEN_STATUSES", "SavedPage", "SourceState", "Store", "database_url"]
