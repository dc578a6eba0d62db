"""The managers' /reports page in Chromium against the real server: the table and the four charts show what
GET /api/v1/reports answers, a new grouping redraws them, and the download links give the same period as files."""
from __future__ import annotations

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from e2e_helpers import login

pytestmark = pytest.mark.e2e


def _cells(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "(cells) => cells.map((c) => c.textContent.trim())")


def test_reports_page_shows_the_api_figures_and_downloads_them(new_page, server, shots):
    admin, officer = server.tokens["admin"], server.tokens["officer2"]
    services = server.api("GET", "/services", admin).json()
    code = services[0]["code"]
    for _ in range(3):
        server.issue(code)
    server.api("POST", "/counters/2/open", officer)
    called = server.api("POST", "/counters/2/next", officer).json()["ticket"]
    assert called is not None
    server.api("POST", "/counters/2/start", officer)
    server.api("POST", "/counters/2/finish", officer)

    page = new_page(1366, 900)
    login(page, server, "lanhdao", "/reports")
    page.wait_for_function("document.body.dataset.loaded === '1'", timeout=15000)
    today = dt.datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()  # the centre's day, not the test machine's
    start = today.replace(day=1).isoformat()
    assert page.input_value("#report-from") == start and page.input_value("#report-to") == today.isoformat()

    api = server.api("GET", f"/reports?from={start}&to={today.isoformat()}&by=service", admin).json()
    total = _cells(page, "#report-table tfoot td")
    assert total[1] == f"{api['total']['issued']:,}".replace(",", ".") and api["total"]["issued"] >= 3
    assert int(total[2].replace(".", "")) == api["total"]["served"] >= 1
    labels = _cells(page, "#report-table tbody tr td:first-child")
    assert labels == [row["label"] for row in api["rows"]]
    assert page.inner_text("#report-label-head") == "Lĩnh vực"

    hours = server.api("GET", f"/reports?from={start}&to={today.isoformat()}&by=hour", admin).json()
    drawn = page.evaluate("""() => {
        const c = (id) => window.Chart.getChart(document.getElementById(id));
        return { hours: c('chart-hours').data.datasets[0].data, waits: c('chart-waits').data.datasets[0].data,
                 days: c('chart-days').data.labels.length, ratings: c('chart-ratings').data.datasets[0].data };
    }""")
    assert drawn["hours"] == [row["issued"] for row in hours["rows"]]
    assert sum(drawn["waits"]) == sum(b["count"] for b in api["wait_distribution"])
    assert drawn["days"] >= 1 and len(drawn["ratings"]) == 5
    page.screenshot(path=str(shots / "reports.png"), full_page=True)

    page.select_option("#report-by", "counter")
    page.click("#report-form button[type=submit]")
    page.wait_for_function("document.getElementById('report-label-head').textContent === 'Quầy'")
    by_counter = server.api("GET", f"/reports?from={start}&to={today.isoformat()}&by=counter", admin).json()
    page.wait_for_function(f"document.querySelectorAll('#report-table tbody tr').length === {len(by_counter['rows'])}")
    assert _cells(page, "#report-table tbody tr td:first-child") == [row["label"] for row in by_counter["rows"]]

    href = page.get_attribute("#download-xlsx", "href")
    assert href.startswith("/api/v1/reports?") and "by=counter" in href and "format=xlsx" in href
    xlsx = page.request.get(server.url + href)
    assert xlsx.status == 200 and xlsx.body()[:2] == b"PK"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(xlsx.body())).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert by_counter["total"]["issued"] in values
    csv = page.request.get(server.url + page.get_attribute("#download-csv", "href"))
    assert csv.status == 200 and csv.body().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8 with its BOM
    assert "Quầy" in csv.body().decode("utf-8-sig")
