"""Vietnamese labels of report rows and the column titles of the downloads."""
from __future__ import annotations

from datetime import date

WEEKDAYS_VI = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ Nhật")
TOTAL_VI = "Tổng cộng"
NOT_CALLED_VI = "Chưa được gọi đến quầy"
NO_OFFICER_VI = "Không ghi nhận cán bộ"

# the grouping -> the title of its label column, and how the period is said in a title row
BY_VI = {"service": "Lĩnh vực", "counter": "Quầy", "officer": "Cán bộ", "day": "Ngày", "hour": "Khung giờ",
         "month": "Tháng"}
# the same words, without marks, in file names
BY_SLUG = {"service": "linh-vuc", "counter": "quay", "officer": "can-bo", "day": "ngay", "hour": "khung-gio",
           "month": "thang"}

# ROW key -> column title of the CSV/XLSX (the label column takes BY_VI)
COLUMNS_VI = {
    "key": "Mã",
    "issued": "Số phiếu đã cấp",
    "served": "Đã phục vụ",
    "no_show": "Vắng mặt khi được gọi",
    "cancelled": "Đã hủy",
    "expired": "Hết giờ làm việc, chưa được phục vụ",
    "wait_mean_s": "Thời gian chờ trung bình (giây)",
    "wait_p90_s": "90% công dân chờ không quá (giây)",
    "wait_max_s": "Thời gian chờ lâu nhất (giây)",
    "service_mean_s": "Thời gian phục vụ trung bình (giây)",
    "over_sla_pct": "Tỷ lệ chờ quá thời gian quy định (%)",
    "ratings": "Số lượt đánh giá",
    "satisfied_pct": "Tỷ lệ hài lòng (%)",
    "dossiers": "Số phiếu có mã hồ sơ",
}

MONTHLY_COLUMNS_VI = {
    "issued": "Số phiếu đã cấp",
    "served": "Đã phục vụ",
    "served_in_target": "Phục vụ đúng thời gian quy định",
    "over_target": "Chờ quá thời gian quy định",
    "no_show": "Vắng mặt khi được gọi",
    "satisfied_pct": "Tỷ lệ hài lòng (%)",
}


def day_label(day: str) -> str:
    d = date.fromisoformat(day)
    return f"{WEEKDAYS_VI[d.weekday()]} {d:%d/%m/%Y}"


def hour_label(hour: int) -> str:
    return f"{hour:02d}:00–{hour + 1:02d}:00"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"Tháng {number}/{year}"


def period_vi(first: date, last: date) -> str:
    if first == last:
        return f"Ngày {first:%d/%m/%Y}"
    return f"Từ ngày {first:%d/%m/%Y} đến ngày {last:%d/%m/%Y}"
