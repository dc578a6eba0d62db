"""Report downloads: CSV (UTF-8 with a BOM, so Excel reads Vietnamese right) and XLSX (openpyxl), the same
rows and total row as the JSON, numbers as numbers, Vietnamese column titles.

The XLSX sheet starts with title rows (the centre's name, the report, the period, when it was made); the
CSV is the bare table (header, rows, total), for other programs to read.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from kiosk.reports import labels as vi

Columns = Sequence[tuple[str, str]]  # (ROW key, column title)
BOM = "\ufeff"


def report_columns(by: str) -> list[tuple[str, str]]:
    keys = ("key", "label", "issued", "served", "no_show", "cancelled", "expired", "wait_mean_s", "wait_p90_s",
            "wait_max_s", "service_mean_s", "over_sla_pct", "ratings", "satisfied_pct")
    return [(k, vi.BY_VI[by] if k == "label" else vi.COLUMNS_VI[k]) for k in keys]


def centre_report_columns(by: str) -> list[tuple[str, str]]:
    """The centre's report: the shared columns (the city's as well) and the tickets with a dossier code."""
    return [*report_columns(by), ("dossiers", vi.COLUMNS_VI["dossiers"])]


def monthly_columns() -> list[tuple[str, str]]:
    return [("key", vi.COLUMNS_VI["key"]), ("label", vi.BY_VI["month"]),
            *((k, t) for k, t in vi.MONTHLY_COLUMNS_VI.items())]


def _cells(columns: Columns, row: dict[str, Any]) -> list[Any]:
    return [row.get(k) for k, _ in columns]


def to_csv(columns: Columns, rows: list[dict[str, Any]], total: dict[str, Any] | None) -> bytes:
    """TOTAL None: no total row (a list of tickets has none)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([title for _, title in columns])
    for row in [*rows, *([total] if total is not None else [])]:
        writer.writerow(["" if v is None else v for v in _cells(columns, row)])
    return (BOM + out.getvalue()).encode("utf-8")


def to_xlsx(titles: list[str], columns: Columns, rows: list[dict[str, Any]], total: dict[str, Any] | None,
            sheet: str = "Báo cáo") -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    ws = book.active
    ws.title = sheet[:31]
    for i, text in enumerate(titles):
        ws.append([text])
        ws.cell(row=i + 1, column=1).font = Font(bold=True, size=14 if i == 0 else 12)
    ws.append([])
    ws.append([title for _, title in columns])
    header = ws.max_row
    for cell in ws[header]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(_cells(columns, row))
    if total is not None:
        ws.append(_cells(columns, total))
        for cell in ws[ws.max_row]:
            cell.font = Font(bold=True)
    for i, (key, _) in enumerate(columns, start=1):
        ws.column_dimensions[get_column_letter(i)].width = 32 if key in ("label", "note") else 14
        if key.endswith("_s") or key.endswith("_pct"):
            for (cell,) in ws.iter_rows(min_row=header + 1, min_col=i, max_col=i):
                cell.number_format = "0.0"
    ws.freeze_panes = ws.cell(row=header + 1, column=3)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def report_titles(centre: str, by: str, first: date, last: date, made_at: str) -> list[str]:
    return [centre, f"Báo cáo tình hình tiếp nhận và phục vụ theo {vi.BY_VI[by].lower()}",
            vi.period_vi(first, last), f"Lập lúc {made_at}"]


def report_filename(by: str, first: date, last: date, ext: str) -> str:
    """bao-cao-2026-11.xlsx for a calendar month by service; the grouping is added for others."""
    if first == last:
        period = first.isoformat()
    elif first.day == 1 and first.year == last.year and first.month == last.month and \
            (date(last.year + last.month // 12, last.month % 12 + 1, 1) - last).days == 1:
        period = f"{first:%Y-%m}"
    else:
        period = f"{first.isoformat()}_{last.isoformat()}"
    suffix = "" if by == "service" else f"-theo-{vi.BY_SLUG[by]}"
    return f"bao-cao-{period}{suffix}.{ext}"
