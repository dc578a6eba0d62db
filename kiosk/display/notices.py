"""The hall's line of announcements (holidays, opening hours, notices), set by the centre's admin.

Kept as one JSON value in the ``settings`` table (key ``hall_notices``): a short list of lines of text,
Vietnamese first, shown one after another under the calls on /display. No migration: the table exists.
"""
from __future__ import annotations

import json
import unicodedata
from typing import Any

KEY = "hall_notices"
MAX_LINES = 10
MAX_CHARS = 300  # one line scrolls across the screen in about half a minute at this length


class NoticeError(ValueError):
    """A refused list of announcements; ``message_vi`` is for the admin page."""

    def __init__(self, message: str, message_vi: str) -> None:
        super().__init__(message)
        self.message, self.message_vi = message, message_vi


def parse_notices(body: Any) -> list[str]:
    """``{"lines": [str, ...]}`` -> the lines to keep: NFC, trimmed, blank ones dropped."""
    if not isinstance(body, dict) or set(body) != {"lines"} or not isinstance(body["lines"], list):
        raise NoticeError('the body must be {"lines": [text, ...]}',
                          "Dữ liệu thông báo không hợp lệ: cần một danh sách các dòng thông báo.")
    lines = []
    for i, line in enumerate(body["lines"], 1):
        if not isinstance(line, str):
            raise NoticeError(f"line {i} is not text", f"Dòng thông báo thứ {i} không phải là văn bản.")
        text = " ".join(unicodedata.normalize("NFC", line).split())
        if len(text) > MAX_CHARS:
            raise NoticeError(f"line {i} has {len(text)} characters, at most {MAX_CHARS}",
                              f"Dòng thông báo thứ {i} dài {len(text)} ký tự, tối đa {MAX_CHARS} ký tự.")
        if text:
            lines.append(text)
    if len(lines) > MAX_LINES:
        raise NoticeError(f"{len(lines)} lines, at most {MAX_LINES}",
                          f"Có {len(lines)} dòng thông báo, tối đa {MAX_LINES} dòng.")
    return lines


def load_notices(conn) -> list[str]:
    row = conn.execute("SELECT value FROM settings WHERE key = ?", [KEY]).fetchone()
    return list(json.loads(row["value"])["lines"]) if row else []


def save_notices(conn, lines: list[str]) -> None:
    conn.execute("INSERT INTO settings (key, value) VALUES (?, ?) "
                 "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                 [KEY, json.dumps({"lines": lines}, ensure_ascii=False)])
