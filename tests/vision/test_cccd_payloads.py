"""parse_cccd on the 130 shared payload cases, on generated mojibake, and on arbitrary text."""

from __future__ import annotations

import datetime
import json
import sys
import unicodedata
from pathlib import Path

import pytest
import shared_data
from hypothesis import given, settings
from hypothesis import strategies as st

from kiosk.vision.cccd import REASON_CODES, WARNING_CODES, CccdError, CccdRecord, has_mojibake, parse_cccd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from card_images import mojibake  # noqa: E402

TODAY = datetime.date(2026, 11, 21)  # the day payloads.json was made (see its README)


def _cases() -> list[dict]:
    root = shared_data.testdata_dir()
    path = root / "cccd" / "payloads.json" if root else None
    return json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else []


CASES = _cases()


@pytest.mark.parametrize(
    "case", CASES or [None], ids=lambda c: f"{c['index']}-{c['expect']}" if c else "absent"
)
def test_shared_payload_case(case: dict | None, shared_testdata: Path) -> None:
    if case is None:
        pytest.skip("payloads.json not found under the shared test data")
    if not case["ok"]:
        with pytest.raises(CccdError) as info:
            parse_cccd(case["payload"], today=TODAY)
        assert info.value.code in [case["reason"], *case["also_violates"]]
        return
    record = parse_cccd(case["payload"], today=TODAY)
    assert record.to_json() == case["expected"]
    assert bool(record.warnings) == (case["expect"] == "warning")


def test_all_130_cases_are_present(shared_testdata: Path) -> None:
    cases = json.loads((shared_testdata / "cccd" / "payloads.json").read_text(encoding="utf-8"))
    assert len(cases) == 130 == len(CASES)


BASE = (
    "001090984192|323442571|Nguyễn Văn Toàn|15081990|Nam|"
    "Số 1 phố Tạ Quang Bửu, Phường Bách Khoa, Quận Hai Bà Trưng, Thành phố Hà Nội|20042021"
)
BASE11 = (
    "079303294570||Trần Thị Bảo Ngọc|21032003|Nữ|"
    "Số 25 Đường Nguyễn Huệ, Phường Sài Gòn, Thành phố Hồ Chí Minh|14082025||||"
)


def test_record_fields_and_types() -> None:
    record = parse_cccd(BASE, today=TODAY)
    assert record.id_number == "001090984192"
    assert record.old_id_number == "323442571"
    assert record.date_of_birth == datetime.date(1990, 8, 15)
    assert record.issue_date == datetime.date(2021, 4, 20)
    assert record.sex == "Nam" and record.field_count == 7 and record.extra_fields == ()
    eleven = parse_cccd(BASE11, today=TODAY)
    assert eleven.old_id_number is None
    assert eleven.extra_fields == ("", "", "", "") and eleven.field_count == 11
    assert eleven.to_json()["date_of_birth"] == "2003-03-21"


def test_bytes_are_decoded_as_strict_utf8() -> None:
    assert parse_cccd(BASE.encode("utf-8"), today=TODAY) == parse_cccd(BASE, today=TODAY)
    with pytest.raises(CccdError) as info:
        parse_cccd(BASE.encode("utf-16"), today=TODAY)
    assert info.value.code == "not_utf8"
    with pytest.raises(CccdError) as info:
        parse_cccd(BASE.encode("cp1258", errors="replace"), today=TODAY)
    assert info.value.code == "not_utf8"


def test_non_text_payload_is_a_clear_error() -> None:
    with pytest.raises(CccdError) as info:
        parse_cccd(12345, today=TODAY)  # type: ignore[arg-type]
    assert info.value.code == "payload_type" and "int" in info.value.message


def test_text_comes_out_nfc() -> None:
    record = parse_cccd(unicodedata.normalize("NFD", BASE11), today=TODAY)
    assert record.full_name == "Trần Thị Bảo Ngọc"
    assert unicodedata.is_normalized("NFC", record.full_name + record.address + record.sex)


def test_repr_and_str_hide_the_number_and_name() -> None:
    record = parse_cccd(BASE, today=TODAY)
    for text in (repr(record), str(record), repr([record]), f"{record}"):
        assert "001090984192" not in text and "Nguyễn Văn Toàn" not in text and "Toàn" not in text
        assert "0010******92" in text


def test_error_message_does_not_repeat_the_payload() -> None:
    with pytest.raises(CccdError) as info:
        parse_cccd(BASE.replace("|Nam|", "|Male|"), today=TODAY)
    assert info.value.code == "sex_invalid"
    assert "001090984192" not in str(info.value) and "Toàn" not in str(info.value)


def test_dates_depend_on_the_injected_today() -> None:
    late_issue = BASE.replace("|20042021", "|20042027")
    with pytest.raises(CccdError) as info:
        parse_cccd(late_issue, today=TODAY)
    assert info.value.code == "issue_date_in_future"
    assert parse_cccd(late_issue, today=datetime.date(2027, 4, 20)).issue_date == datetime.date(2027, 4, 20)


def test_age_on_counts_whole_years() -> None:
    record = parse_cccd(BASE, today=TODAY)  # born 1990-08-15
    assert record.age_on(datetime.date(2050, 8, 14)) == 59
    assert record.age_on(datetime.date(2050, 8, 15)) == 60


@pytest.mark.parametrize("codec", ["shift_jis", "big5", "cp1252", "gb18030", "euc_kr", "latin-1"])
@pytest.mark.parametrize("payload", [BASE, BASE11])
def test_wrong_charset_decodes_are_rejected(payload: str, codec: str) -> None:
    garbled = mojibake(payload, codec)
    assert garbled != payload
    with pytest.raises(CccdError) as info:
        parse_cccd(garbled, today=TODAY)
    # Usually 'mojibake'; a decode that also ate a '|' or a digit fails an earlier field check.
    assert info.value.code in REASON_CODES


def test_cjk_in_extra_fields_is_rejected() -> None:
    with pytest.raises(CccdError) as info:
        parse_cccd(BASE11[:-4] + "|盻�|||", today=TODAY)
    assert info.value.code == "mojibake"


def test_mojibake_alphabet() -> None:
    assert not has_mojibake("H'Luyến Êban, Số 12/3A (cũ) - Đắk Lắk.")
    for bad in ("Nguy盻�n", "ﾄハ", "Nguyá»…n", "To\u00e0\u00a0n", "\ufffd", "\uf6b1", "Toàn;"):
        assert has_mojibake(bad), bad


def test_codes_are_stable() -> None:
    assert set(WARNING_CODES) == {
        "id_century_sex_mismatch",
        "id_birth_year_mismatch",
        "unknown_province_code",
        "old_id_12_digits",
    }
    assert "mojibake" in REASON_CODES and "field_count" in REASON_CODES


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_gives_a_record_or_a_cccd_error(text: str) -> None:
    try:
        record = parse_cccd(text, today=TODAY)
    except CccdError as exc:
        assert exc.code in REASON_CODES
    else:
        assert isinstance(record, CccdRecord)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet="0123456789|Nam Nữ", max_size=14), min_size=7, max_size=11))
def test_field_shaped_noise_never_crashes(fields: list[str]) -> None:
    try:
        parse_cccd("|".join(fields), today=TODAY)
    except CccdError as exc:
        assert exc.code in REASON_CODES
