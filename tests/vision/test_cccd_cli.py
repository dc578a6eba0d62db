"""``kiosk cccd decode IMAGE...``: one JSON line per image with exactly the DESIGN.md keys, exit 0."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np
from click.testing import CliRunner

from kiosk.cli.cccd import DECODE_KEYS, cccd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import card_images  # noqa: E402

KEYS = [
    "file",
    "ok",
    "id_number",
    "old_id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "address",
    "issue_date",
    "extra_fields",
    "warnings",
    "error",
    "ms",
]
PAYLOAD = (
    "001090984192|323442571|Nguyễn Văn Toàn|15081990|Nam|"
    "Số 1 phố Tạ Quang Bửu, Phường Bách Khoa, Quận Hai Bà Trưng, Thành phố Hà Nội|20042021"
)


def _run(*args: str) -> tuple[int, list[dict]]:
    result = CliRunner().invoke(cccd, ["decode", *args])
    lines = result.stdout_bytes.decode("utf-8").splitlines()
    return result.exit_code, [json.loads(line) for line in lines]


def test_keys_are_the_design_keys() -> None:
    assert list(DECODE_KEYS) == KEYS


def test_shared_images_print_their_payload_fields(shared_testdata: Path) -> None:
    images = shared_testdata / "cccd" / "images"
    expected = json.loads((images / "expected.json").read_text(encoding="utf-8"))
    cases = json.loads((shared_testdata / "cccd" / "payloads.json").read_text(encoding="utf-8"))
    names = sorted(expected)
    code, lines = _run(*(str(images / name) for name in names))
    assert code == 0 and len(lines) == len(names) == 20
    for name, line in zip(names, lines, strict=True):
        assert list(line) == KEYS
        assert line["file"] == str(images / name) and line["ok"] is True and line["error"] is None
        assert {k: line[k] for k in cases[expected[name]]["expected"]} == cases[expected[name]]["expected"]
        assert isinstance(line["ms"], float) and line["ms"] >= 0


def test_generated_frames_and_failures_in_one_run(tmp_path: Path) -> None:
    mirrored = card_images.make_frame(
        PAYLOAD, card_images.Distortion(module_px=3.0, angle_deg=25, mirrored=True, tilt_x_deg=30), seed=9
    ).frame
    cv2.imwrite(str(tmp_path / "mirrored.jpg"), mirrored)
    url = card_images.make_frame(
        "https://example.com/a|b", card_images.Distortion(module_px=4.0), seed=1
    ).frame
    cv2.imwrite(str(tmp_path / "url.png"), url)
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((480, 640, 3), 200, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image", encoding="utf-8")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "truncated.png").write_bytes((tmp_path / "url.png").read_bytes()[:200])
    files = ["mirrored.jpg", "url.png", "blank.png", "notes.txt", "empty.png", "truncated.png", "missing.png"]
    code, lines = _run(*(str(tmp_path / f) for f in files))
    assert code == 0 and len(lines) == len(files)
    assert all(list(line) == KEYS for line in lines)
    by_file = {Path(line["file"]).name: line for line in lines}
    good = by_file["mirrored.jpg"]
    assert (
        good["ok"] is True
        and good["full_name"] == "Nguyễn Văn Toàn"
        and good["date_of_birth"] == "1990-08-15"
    )
    assert good["old_id_number"] == "323442571" and good["extra_fields"] == [] and good["warnings"] == []
    expected_errors = {
        "url.png": "url",
        "blank.png": "no_qr",
        "notes.txt": "not_an_image",
        "empty.png": "not_an_image",
        "truncated.png": "not_an_image",
        "missing.png": "unreadable_file",
    }
    for name, code_prefix in expected_errors.items():
        line = by_file[name]
        assert line["ok"] is False and line["id_number"] is None and line["full_name"] is None
        assert line["error"].split(":")[0] == code_prefix, (name, line["error"])


def test_output_is_utf8_json_not_escaped(tmp_path: Path) -> None:
    frame = card_images.make_frame(PAYLOAD, card_images.Distortion(module_px=3.0), seed=2).frame
    cv2.imwrite(str(tmp_path / "card.png"), frame)
    result = CliRunner().invoke(cccd, ["decode", str(tmp_path / "card.png")])
    assert "Nguyễn Văn Toàn".encode() in result.stdout_bytes and b"\\u" not in result.stdout_bytes


def test_no_image_argument_is_a_usage_error() -> None:
    result = CliRunner().invoke(cccd, ["decode"])
    assert result.exit_code == 2
