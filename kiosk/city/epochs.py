"""How the city counts an event once across epochs (docs/city.md "Epochs and restores").

Each (site, local day) is read from one epoch: the newest that has events of that day. Days a restored
backup still holds are in both epochs (the new one counts); days only the old epoch has (lost at the
centre by the restore) count from the old epoch. The rollups and the dashboard's queries use this one rule.
"""
from __future__ import annotations

# the epoch that counts for each (site, day); join events or ratings to it on (site, day, epoch)
DAY_EPOCHS_SQL = "SELECT site, day, max(epoch) AS epoch FROM events GROUP BY site, day"

# the events that count, each once
COUNTED_EVENTS_SQL = (f"SELECT e.* FROM events e JOIN ({DAY_EPOCHS_SQL}) d "
                      f"ON d.site = e.site AND d.day = e.day AND d.epoch = e.epoch")
