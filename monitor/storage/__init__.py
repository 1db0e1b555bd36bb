"""Storage: SQLAlchemy models, Alembic migrations and the one ``Store`` API (a facade over one
repository per concept)."""

from monitor.records import SavedPage, SourceState
from monitor.storage.store import Store, database_url

__all__ = ["SavedPage", "SourceState", "Store", "database_url"]
