"""The ``[appointments]`` table: when and how many appointments the centre offers.

    [appointments]
    opening_hours = ["07:30-11:30", "13:30-17:00"]   # "HH:MM-HH:MM" spans of the day, in order, apart
    weekdays = [0, 1, 2, 3, 4]     # 0 = Monday .. 6 = Sunday
    slot_minutes = 15              # 5..240; every span holds at least one slot
    capacity = 2                   # 1..50 appointments per slot and service
    book_days_ahead = 14           # 0..365
    early_minutes = 30             # 0..240: check-in opens this long before the slot ...
    late_minutes = 15              # 0..240: ... and closes this long after its start
    # abuse limits of the public booking page (docs/booking.md says why these defaults)
    book_per_address = 5                  # 1..1000 bookings from one address ...
    book_address_window_minutes = 60      # 1..1440 ... within this many minutes
    book_per_id = 3                       # 1..100 bookings of one citizen (ID number + name) ...
    book_id_window_hours = 24             # 1..720 ... within this many hours (counted in the store)
    cancel_failures_per_address = 10      # 1..1000 wrong code/ID digits from one address ...
    cancel_address_window_minutes = 60    # 1..1440 ... within this many minutes
    cancel_failures_per_code = 5          # 1..100 wrong ID digits for one code ...
    cancel_code_window_hours = 24         # 1..720 ... within this many hours

Converted to kiosk.queue.appointments.AppointmentRules by ``rules()``.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BeforeValidator, Field, model_validator

from kiosk.config.base import Table, listed, toml_value

if TYPE_CHECKING:
    from kiosk.queue.appointments import AppointmentRules

SPAN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
SPANS = 'a list of "HH:MM-HH:MM" spans'


def _minutes(span: str) -> tuple[int, int]:
    match = SPAN.match(span)
    if match is None:
        raise ValueError(f'must be {SPANS} like ["07:30-11:30", "13:30-17:00"]; {toml_value(span)} is not one')
    h1, m1, h2, m2 = map(int, match.groups())
    return h1 * 60 + m1, h2 * 60 + m2


def _spans(value: Any) -> Any:
    if isinstance(value, str):
        raise ValueError(f"must be {SPANS}, not a string ({toml_value(value)}); write [{toml_value(value)}]")
    if isinstance(value, list):
        for item in value:
            if isinstance(item, str):
                _minutes(item)
        return tuple(value)
    return value


class AppointmentSettings(Table):
    """``[appointments]``; see the module docstring."""

    table = "appointments"

    opening_hours: Annotated[listed(str, SPANS), BeforeValidator(_spans)] = ("07:30-11:30", "13:30-17:00")
    weekdays: listed(Annotated[int, Field(ge=0, le=6)], "a list of weekday numbers, 0 = Monday") = (0, 1, 2, 3, 4)
    slot_minutes: Annotated[int, Field(ge=5, le=240)] = 15
    capacity: Annotated[int, Field(ge=1, le=50)] = 2
    book_days_ahead: Annotated[int, Field(ge=0, le=365)] = 14
    early_minutes: Annotated[int, Field(ge=0, le=240)] = 30
    late_minutes: Annotated[int, Field(ge=0, le=240)] = 15
    book_per_address: Annotated[int, Field(ge=1, le=1000)] = 5
    book_address_window_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    book_per_id: Annotated[int, Field(ge=1, le=100)] = 3
    book_id_window_hours: Annotated[int, Field(ge=1, le=720)] = 24
    cancel_failures_per_address: Annotated[int, Field(ge=1, le=1000)] = 10
    cancel_address_window_minutes: Annotated[int, Field(ge=1, le=1440)] = 60
    cancel_failures_per_code: Annotated[int, Field(ge=1, le=100)] = 5
    cancel_code_window_hours: Annotated[int, Field(ge=1, le=720)] = 24

    @model_validator(mode="after")
    def _rules(self) -> AppointmentSettings:
        previous_end, previous = -1, ""
        for span in self.opening_hours:
            start, end = _minutes(span)
            if start >= end:
                raise ValueError(f'opening_hours: "{span}" ends before it starts')
            if end - start < self.slot_minutes:
                raise ValueError(f'opening_hours: "{span}" is shorter than one slot ({self.slot_minutes} minutes)')
            if start < previous_end:
                raise ValueError(f'opening_hours: "{span}" does not come after "{previous}" (spans in order, apart)')
            previous_end, previous = end, span
        if len(set(self.weekdays)) != len(self.weekdays):
            raise ValueError(f"weekdays: {toml_value(self.weekdays)} names a day twice")
        return self

    def rules(self) -> AppointmentRules:
        """The queue's AppointmentRules."""
        from kiosk.queue.appointments import AppointmentRules

        return AppointmentRules(**self.model_dump())
