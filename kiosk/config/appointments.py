"""The ``[appointments]`` table: when and how many appointments the centre offers.

    [appointments]
    opening_hours = ["07:30-11:30", "13:30-17:00"]   # "HH:MM-HH:MM" spans of the day, in order, apart
    weekdays = [0, 1, 2, 3, 4]     # 0 = Monday .. 6 = Sunday
    slot_minutes = 15              # 5..240; every span holds at least one slot
    capacity = 2                   # 1..50 appointments per slot and service
    book_days_ahead = 14           # 0..365
    early_minutes = 30             # 0..240: check-in opens this long before the slot ...
    late_minutes = 15              # 0..240: ... and closes this long after its start

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
