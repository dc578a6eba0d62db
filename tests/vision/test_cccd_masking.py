"""Masked display of CCCD numbers and names."""

from __future__ import annotations

import unicodedata

import pytest

from kiosk.citizens.masking import mask_id_number, mask_name


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        ("001099012345", "0010******45"),
        ("323442571", "3234***71"),
        ("1234567", "1234*67"),
        ("123456", "******"),
        ("", ""),
        (None, ""),
    ],
)
def test_mask_id_number(number: str | None, masked: str) -> None:
    assert mask_id_number(number) == masked


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("Nguyễn Văn An", "Nguyễn V. A."),
        ("Trần Thị Bảo Ngọc", "Trần T. B. N."),
        ("H'Luyến Êban", "H'Luyến Ê."),
        ("NGUYỄN THỊ HOÀI THƯƠNG", "NGUYỄN T. H. T."),
        ("  Lê   Anh  ", "Lê A."),
        ("Vy", "Vy"),
        ("", ""),
        ("   ", ""),
        (None, ""),
    ],
)
def test_mask_name(name: str | None, masked: str) -> None:
    assert mask_name(name) == masked


def test_mask_name_gives_nfc_initials_from_nfd_input() -> None:
    masked = mask_name(unicodedata.normalize("NFD", "Đặng Ứng Ân"))
    assert masked == "Đặng Ứ. Â."
    assert unicodedata.is_normalized("NFC", masked)
