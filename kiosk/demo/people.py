"""Invented citizens for the demo history: CCCD records and face templates of nobody real.

Names are random combinations of common Vietnamese family, middle and given names; ID numbers are
random digits behind a province code; a face is a random direction in the 128-d template space, and
its templates are that direction plus a little noise (as a camera's templates of one person scatter).
"""
from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

import numpy as np

FAMILY = ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô",
          "Dương", "Lý")
MIDDLE_M = ("Văn", "Đức", "Minh", "Quốc", "Hữu", "Thanh", "Công", "Xuân")
MIDDLE_F = ("Thị", "Thu", "Ngọc", "Thanh", "Minh", "Phương", "Kim", "Mai")
GIVEN_M = ("An", "Bình", "Cường", "Dũng", "Hải", "Hùng", "Khánh", "Long", "Nam", "Phong", "Quân", "Sơn", "Tuấn",
           "Việt")
GIVEN_F = ("Anh", "Chi", "Dung", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh", "Mai", "Nga", "Nhung", "Thảo", "Trang",
           "Yến")
STREETS = ("Quang Trung", "Trần Phú", "Lê Lợi", "Nguyễn Trãi", "Tô Hiệu", "Bà Triệu", "Lê Trọng Tấn", "Văn Phú")
WARD = "Phường Hà Đông, Thành phố Hà Nội"
TEMPLATE_SIZE = 128
TEMPLATE_NOISE = 0.25  # per-template scatter around the person's direction (well inside a match)


def invented_name(rng: random.Random, male: bool | None = None) -> str:
    male = rng.random() < 0.5 if male is None else male
    middle = MIDDLE_M if male else MIDDLE_F
    given = GIVEN_M if male else GIVEN_F
    return f"{rng.choice(FAMILY)} {rng.choice(middle)} {rng.choice(given)}"


def invented_card(rng: random.Random, today: date) -> dict[str, Any]:
    """The fields the kiosk reads from a CCCD QR code, for an invented adult."""
    male = rng.random() < 0.5
    name = invented_name(rng, male)
    born = today - timedelta(days=round(rng.triangular(18, 85, 30) * 365))  # more young adults than old
    century = (0 if born.year < 2000 else 2) + (0 if male else 1)  # the CCCD's sex-and-century digit
    id_number = f"001{century}{born.year % 100:02d}{rng.randrange(10**6):06d}"
    issued = today - timedelta(days=rng.randint(30, 8 * 365))
    return {
        "id_number": id_number, "old_id_number": "", "full_name": name, "date_of_birth": born.isoformat(),
        "sex": "Nam" if male else "Nữ", "address": f"Số {rng.randint(1, 300)} {rng.choice(STREETS)}, {WARD}",
        "issue_date": issued.isoformat(),
    }


def invented_face(rng: random.Random, count: int) -> list[np.ndarray]:
    """``count`` float32 templates of one invented face (unit vectors near one random direction)."""
    gen = np.random.default_rng(rng.getrandbits(64))
    base = gen.standard_normal(TEMPLATE_SIZE)
    base /= np.linalg.norm(base)
    out = []
    for _ in range(count):
        t = base + gen.standard_normal(TEMPLATE_SIZE) * (TEMPLATE_NOISE / np.sqrt(TEMPLATE_SIZE))
        out.append((t / np.linalg.norm(t)).astype(np.float32))
    return out
