"""The ``[backup]`` table: the daily automatic backup made by ``kiosk serve`` (kiosk.runtime.backups).

    [backup]
    enabled = true
    dir = "/srv/kiosk-backups"   # default DATA_DIR/backups; better another disk, or a share copied off the PC
    keep_days = 14               # 1..3650: backups older than this are removed (the newest is always kept)
    at = "18:00"                 # "HH:MM" local time, after closing; a day missed (PC off) is made up
                                 # at the next start

The key file is never put in this folder (docs/operations.md: back it up apart).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from kiosk.config.base import PathText, Table, toml_value

AT = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _at(value: Any) -> Any:
    if isinstance(value, str) and AT.match(value.strip()) is None:
        raise ValueError(f'must be a time of day "HH:MM" like "18:00", not {toml_value(value)}')
    return value.strip() if isinstance(value, str) else value


class BackupSettings(Table):
    """``[backup]``; see the module docstring."""

    table = "backup"

    enabled: bool = True
    dir: PathText | None = None
    keep_days: Annotated[int, Field(ge=1, le=3650)] = 14
    at: Annotated[str, BeforeValidator(_at)] = "18:00"

    def folder(self, data_dir: Path) -> Path:
        """Where the daily backups go."""
        return Path(self.dir) if self.dir is not None else Path(data_dir) / "backups"

    def minute_of_day(self) -> int:
        hours, minutes = self.at.split(":")
        return int(hours) * 60 + int(minutes)
