"""Reading CCCD QR codes from frames: the shared clean images and generated hard cases."""

from __future__ import annotations

import datetime
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.vision.cccd import parse_cccd
from kiosk.vision.qr import PASSES, read_cccd, read_qr_symbols, to_gray

sys.path.insert(0, str(Path(__file__).resolve().parent))
import card_images  # noqa: E402

TODAY = datetime.date(2026, 11, 21)
# Invented people, so these tests do not need the shared data.
PAYLOADS = [
    "001090984192|323442571|Nguyễn Văn Toàn|15081990|Nam|"
    "Số 1 phố Tạ Quang Bửu, Phường Bách Khoa, Quận Hai Bà Trưng, Thành phố Hà Nội|20042021",
    "038213258699||Tạ Duy Hiển|07092013|Nam|Phường Hạc Thành, Tỉnh Thanh Hóa|12052026||||",
]


def _shared_images(root: Path) -> list[tuple[Path, dict]]:
    cases = json.loads((root / "cccd" / "payloads.json").read_text(encoding="utf-8"))
    expected = json.loads((root / "cccd" / "images" / "expected.json").read_text(encoding="utf-8"))
    return [(root / "cccd" / "images" / name, cases[index]) for name, index in expected.items()]


def test_shared_clean_images_read_exactly(shared_testdata: Path) -> None:
    images = _shared_images(shared_testdata)
    assert len(images) == 20
    for path, case in images:
        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        scan = read_cccd(frame, today=TODAY)
        assert scan.ok, (path.name, scan.error)
        assert scan.record.to_json() == case["expected"], path.name
        assert scan.decoder == "zxing" and scan.pass_name == "plain"


def test_zbar_default_mode_misdecodes_utf8_but_binary_mode_does_not(shared_testdata: Path) -> None:
    """Why zbar is only ever run in binary mode: its charset guess turns 56.png into Shift-JIS mojibake."""
    pyzbar = pytest.importorskip("pyzbar.pyzbar", exc_type=ImportError, reason="libzbar0 not installed")
    image = cv2.imread(str(shared_testdata / "cccd" / "images" / "56.png"), cv2.IMREAD_GRAYSCALE)
    truth = parse_cccd(
        json.loads((shared_testdata / "cccd" / "payloads.json").read_text("utf-8"))[56]["payload"],
        today=TODAY,
    )
    default = pyzbar.decode(image, symbols=[pyzbar.ZBarSymbol.QRCODE])
    assert len(default) == 1
    with pytest.raises(ValueError) as info:
        parse_cccd(default[0].data, today=TODAY)
    assert info.value.code == "mojibake"
    scan = read_cccd(image, today=TODAY, passes=0, use_zbar=True)
    assert scan.ok and scan.decoder == "zbar" and scan.record == truth


@pytest.mark.parametrize("kind", list(card_images.KINDS))
def test_generated_hard_cases_read_exactly(kind: str) -> None:
    for frame in card_images.distorted_set(PAYLOADS, [kind], seed=11):
        assert frame.frame.shape == (card_images.FRAME_H, card_images.FRAME_W, 3)
        scan = read_cccd(frame.frame, today=TODAY)
        assert scan.ok, (frame.name, frame.distortion, scan.error)
        assert scan.record == parse_cccd(frame.payload, today=TODAY)
        xs = [x for x, _ in scan.corners]
        ys = [y for _, y in scan.corners]
        cx, cy = frame.distortion.center
        if frame.distortion.mirrored:
            cx = 1 - cx
        # The reported corners surround the QR, which was placed at distortion.center.
        assert min(xs) < cx * card_images.FRAME_W < max(xs) and min(ys) < cy * card_images.FRAME_H < max(ys)


def test_the_fix_passes_add_reads_plain_zxing_misses() -> None:
    """Half a module of blur defeats the plain pass; the sharpen pass reads it."""
    d = card_images.Distortion(module_px=4.0, angle_deg=17, blur_sigma=2.0)
    frame = card_images.make_frame(PAYLOADS[0], d, seed=3).frame
    assert not read_cccd(frame, today=TODAY, passes=1).ok
    scan = read_cccd(frame, today=TODAY)
    assert scan.ok and scan.pass_name != "plain"
    assert scan.record == parse_cccd(PAYLOADS[0], today=TODAY)


def test_mirrored_frame_reads_the_same_card() -> None:
    d = card_images.Distortion(module_px=3.5, angle_deg=40)
    frame = card_images.make_frame(PAYLOADS[1], d, seed=5).frame
    straight = read_cccd(frame, today=TODAY)
    mirrored = read_cccd(cv2.flip(frame, 1), today=TODAY)
    assert straight.ok and mirrored.ok and straight.record == mirrored.record


def test_rgb_grey_and_bgra_frames_read_alike() -> None:
    frame = card_images.make_frame(PAYLOADS[0], card_images.Distortion(module_px=3.0), seed=2).frame
    variants = [
        frame,
        cv2.cvtColor(frame, cv2.COLOR_BGR2RGB),
        cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY),
        cv2.cvtColor(frame, cv2.COLOR_BGR2BGRA),
        frame[:, ::-1][:, ::-1],
    ]
    records = {read_cccd(v, today=TODAY).record for v in variants}
    assert records == {parse_cccd(PAYLOADS[0], today=TODAY)}


@pytest.mark.parametrize("codec", ["shift_jis", "big5", "cp1252"])
def test_a_qr_holding_mojibake_is_rejected(codec: str) -> None:
    garbled = card_images.mojibake(PAYLOADS[0], codec)
    frame = card_images.make_frame(garbled, card_images.Distortion(module_px=3.0), seed=1).frame
    assert [s.data for s in read_qr_symbols(frame)] == [garbled.encode("utf-8")]
    scan = read_cccd(frame, today=TODAY)
    assert not scan.ok and scan.record is None
    assert scan.error.code in ("mojibake", "field_count", "id_format")
    assert scan.corners is not None


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ("https://dichvucong.gov.vn/p/home/dvc-trang-chu.html", "url"),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ0ZXN0In0.c2lnbmF0dXJl", "vneid_token"),
        ("Xin chào quý khách", "field_count"),
    ],
)
def test_other_qr_codes_are_rejected_with_a_reason(payload: str, code: str) -> None:
    frame = card_images.make_frame(payload, card_images.Distortion(module_px=4.0), seed=4).frame
    scan = read_cccd(frame, today=TODAY)
    assert not scan.ok and scan.error.code == code


def test_card_is_found_next_to_another_qr() -> None:
    card = card_images.make_frame(
        PAYLOADS[0], card_images.Distortion(module_px=3.0, center=(0.7, 0.5)), seed=6
    )
    poster = card_images.render_qr("https://example.com/", module_px=5)
    frame = card.frame.copy()
    frame[40 : 40 + poster.shape[0], 40 : 40 + poster.shape[1]] = poster[..., None]
    scan = read_cccd(frame, today=TODAY)
    assert scan.ok and scan.record == parse_cccd(PAYLOADS[0], today=TODAY)


def test_frame_without_qr() -> None:
    frame = np.full((720, 1280, 3), 128, np.uint8)
    cv2.rectangle(frame, (100, 100), (400, 300), (20, 40, 60), -1)
    scan = read_cccd(frame, today=TODAY)
    assert not scan.ok and scan.error.code == "no_qr" and scan.corners is None


def test_damaged_qr_is_reported_unreadable() -> None:
    frame = card_images.make_frame(PAYLOADS[0], card_images.Distortion(module_px=4.0), seed=8).frame
    rng = np.random.default_rng(0)
    # Scratch the data area (not the finder patterns) beyond what error correction can repair.
    region = frame[360 - 50 : 360 + 50, 640 - 50 : 640 + 50]
    region[:] = rng.choice([0, 255], size=region.shape[:2])[..., None].astype(np.uint8)
    scan = read_cccd(frame, today=TODAY)
    assert not scan.ok and scan.error.code == "qr_unreadable"
    xs = [x for x, _ in scan.corners]
    assert min(xs) < 640 < max(xs)


@pytest.mark.parametrize(
    "bad",
    [
        None,
        "frame.png",
        np.zeros((10, 10), np.uint8),
        np.zeros((100, 100), np.float32),
        np.zeros((100, 100, 2), np.uint8),
        np.zeros((4, 100, 100, 3), np.uint8),
    ],
)
def test_bad_frames_are_a_clear_value_error(bad: object) -> None:
    with pytest.raises(ValueError, match="frame"):
        read_cccd(bad)  # type: ignore[arg-type]


def test_to_gray_keeps_grey_frames() -> None:
    grey = np.arange(100 * 120, dtype=np.uint32).reshape(100, 120).astype(np.uint8)
    assert to_gray(grey) is grey or np.array_equal(to_gray(grey), grey)
    assert to_gray(grey[..., None]).shape == (100, 120)


def test_passes_are_named_and_cheapest_first() -> None:
    assert [name for name, _, _ in PASSES] == ["plain", "sharpen", "upscale", "sharpen_upscale"]


def test_symbol_repr_hides_the_payload() -> None:
    frame = card_images.make_frame(PAYLOADS[0], card_images.Distortion(module_px=3.0), seed=2).frame
    (symbol,) = read_qr_symbols(frame)
    assert "001090984192" not in repr(symbol) and "Toàn" not in repr(symbol)
