"""The ``[city]`` table: where this centre ships its events (kiosk/city, docs/city.md).

    [city]
    dsn = "postgresql://kiosk_phuong_ha_dong@city.example:5432/city"   # unset or "": no shipping
    site_code = "ha-dong"             # unique per centre: 2..32 of a-z, 0-9 and "-"
    site_name = "Bộ phận Một cửa UBND phường Hà Đông"
    batch_size = 5000                 # 100..50000 events per PostgreSQL transaction
    interval_s = 10.0                 # 1..3600: how often `kiosk serve` ships (and sends its heartbeat)

With a ``dsn``, `kiosk serve` ships in the background and `kiosk ship` needs no ``--city``; a ``dsn``
needs a ``site_code`` and a ``site_name``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Annotated

from pydantic import Field, field_validator, model_validator

from kiosk.config.base import Table

SITE_CODE = re.compile(r"[a-z0-9-]{2,32}")


class CitySettings(Table):
    """The city database this centre ships to, and the centre's name there."""

    table = "city"

    dsn: str | None = None
    site_code: str | None = None
    site_name: Annotated[str, Field(max_length=200)] | None = None
    batch_size: Annotated[int, Field(ge=100, le=50_000)] = 5000
    interval_s: Annotated[float, Field(ge=1, le=3600)] = 10.0

    @field_validator("dsn", mode="before")
    @classmethod
    def _dsn(cls, value):
        if isinstance(value, str):
            value = value.strip() or None
            if value is not None and not value.startswith(("postgresql://", "postgres://")):
                raise ValueError('must be a PostgreSQL URL "postgresql://user@host:5432/dbname"')
        return value

    @field_validator("site_code")
    @classmethod
    def _site_code(cls, value):
        if value is not None and not SITE_CODE.fullmatch(value):
            raise ValueError(f'must be 2..32 of a-z, 0-9 and "-" (e.g. "ha-dong"), not {value!r}')
        return value

    @field_validator("site_name")
    @classmethod
    def _site_name(cls, value):
        if value is not None:
            value = unicodedata.normalize("NFC", value.strip())
            if not value:
                raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _joined(self) -> CitySettings:
        if self.dsn is not None and (self.site_code is None or self.site_name is None):
            missing = " and ".join(k for k in ("site_code", "site_name") if getattr(self, k) is None)
            raise ValueError(f"dsn: a centre that ships to the city needs {missing} as well")
        return self
