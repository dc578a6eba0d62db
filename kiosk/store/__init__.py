"""The SQLite store: one file in the data directory, WAL, foreign keys, versioned migrations."""
from kiosk.store.db import Store, open_store

__all__ = ["Store", "open_store"]
