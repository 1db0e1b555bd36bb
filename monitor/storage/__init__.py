"""Storage: SQLAlchemy models, Alembic migrations and the one ``Store`` API (a facade over one
repository per concept)."""

from monitor.storage.store import Store, database_url
from monitor.stored import SavedPage, SourceState

__all__ = ["SavedPage", "SourceState", "Store", "database_url"]
