"""The vision worker's framed protocol and its presence gate, in this process (no worker started)."""
from __future__ import annotations

import io
import json
import struct

import cv2
import numpy as np
import pytest

from kiosk.vision.cccd import CccdRecord, parse_cccd
from kiosk.vision.observation import FaceView, Observation
from kiosk.vision.sources import _empty_room, demo_card_frame, demo_payload
from kiosk.vision.worker.presence import (
    GateSettings,
    PresenceGate,
    jpeg_size,
    small_from_jpeg,
    small_from_rgb,
)
from kiosk.vision.worker.protocol import (
    MAGIC,
    FrameError,
    ProtocolError,
    check_jpeg,
    check_rgb,
    decode_observation,
    encode_observation,
    pack,
    read_message,
)


def _jpeg(frame: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    assert ok
    return buf.tobytes()


_LAYOUT = json.dumps({"t": "x", "b": [["a", 5]]}).encode()


def test_messages_round_trip_with_named_binary_parts():
    stream = io.BytesIO(pack({"t": "frame", "seq": 3, "ts": 1.5}, [("data", b"\x00\x01" * 10), ("x", b"")])
                        + pack({"t": "ping", "id": 1}))
    header, blobs = read_message(stream)
    assert header == {"t": "frame", "seq": 3, "ts": 1.5} and blobs == {"data": b"\x00\x01" * 10, "x": b""}
    assert read_message(stream) == ({"t": "ping", "id": 1}, {})
    assert read_message(stream) is None  # a clean end between messages


@pytest.mark.parametrize("data, words", [
    (b"GET / HTTP/1.1\r\n\r\n", "bad magic"),
    (pack({"t": "ping"})[:-3], "ended inside a message"),
    (MAGIC + struct.pack(">II", 1 << 30, 0), "over the limits"),
    (MAGIC + struct.pack(">II", 4, 0) + b"\xff\xfe{}", "not UTF-8 JSON"),
    (MAGIC + struct.pack(">II", 2, 0) + b"[]", "type"),
    (MAGIC + struct.pack(">II", len(_LAYOUT), 3) + _LAYOUT + b"abc", "body layout"),
])
def test_a_broken_stream_is_a_clear_protocol_error(data, words):
    with pytest.raises(ProtocolError, match=words):
        read_message(io.BytesIO(data))


def test_observations_cross_the_pipe_whole():
    record = parse_cccd(demo_payload())
    face = FaceView(1_000_004, (0.1, 0.2, 0.3, 0.4), "identified", "live", True, "17", True, (), 2)
    obs = Observation(12.5, True, (face,), record, True, False, None, ((0.1, 0.1), (0.2, 0.1), (0.2, 0.2), (0.1, 0.2)),
                      (1280, 720), b"\xff\xd8\xffjpeg", 21.5, True, "PAGER:1:105")
    templates = {1_000_004: [np.full(128, 0.25, np.float32), np.full(128, -0.5, np.float32)]}
    header, blobs = encode_observation(obs, templates, {"seq": 9})
    got, tpl = decode_observation(*read_message(io.BytesIO(pack(header, blobs))))
    assert got == obs and isinstance(got.card, CccdRecord) and got.card.full_name == "Nguyễn Văn An"
    assert header["seq"] == 9 and set(tpl) == {1_000_004} and np.allclose(tpl[1_000_004][1], -0.5)
    assert "Nguyễn" not in repr(got) and "PAGER" not in repr(got)
    h, b = encode_observation(Observation(3.0, False))
    lost, none = decode_observation(h, dict(b))
    assert lost == Observation(3.0, False) and none == {}
    bad = dict(header, faces=[["x"]])
    with pytest.raises(ProtocolError, match="bad observation"):
        decode_observation(bad, {})
    with pytest.raises(ProtocolError):
        decode_observation(dict(header, card={"id_number": "1"}), {})
    with pytest.raises(ProtocolError):
        decode_observation(dict(header, err=["not", "a", "code"]), {})


def test_card_records_round_trip_through_json():
    record = parse_cccd(demo_payload())
    assert CccdRecord.from_json(json.loads(json.dumps(record.to_json()))) == record
    with pytest.raises(ValueError, match="not a card record") as err:
        CccdRecord.from_json({**record.to_json(), "date_of_birth": "15/03/1958"})
    assert "001058012345" not in str(err.value)


def test_pushed_frames_are_checked_before_they_are_sent():
    good = _jpeg(_empty_room(64, 48))
    assert check_jpeg(bytearray(good)) == good
    for bad, words in [(b"", "empty"), (b"\x89PNG\r\n\x1a\n" + b"0" * 40, "not a JPEG"),
                       (good[: len(good) // 2], "truncated"), ("text", "must be bytes")]:
        with pytest.raises(FrameError, match=words):
            check_jpeg(bad)
    assert check_rgb(np.zeros((20, 30, 3), np.uint8)).flags["C_CONTIGUOUS"]
    for bad in (np.zeros((20, 30), np.uint8), np.zeros((20, 30, 3), np.float32), np.zeros((8, 8, 3), np.uint8), b"x"):
        with pytest.raises(FrameError):
            check_rgb(bad)


def test_the_presence_gate_runs_the_full_pipeline_only_when_something_is_there():
    gate = PresenceGate(GateSettings(presence_fps=2.0, max_fps=10.0, hold_s=2.0))
    empty = small_from_rgb(_empty_room(1280, 720))
    noisy = _empty_room(1280, 720).astype(np.int16) + np.random.default_rng(1).integers(-4, 5, (720, 1280, 3))
    assert gate.moved(empty, -3.0) and gate.full_wanted(-3.0, False)  # the first look is a full one
    gate.saw(Observation(-3.0, True), -3.0)
    assert not gate.moved(empty, 0.0) and not gate.full_wanted(0.0, False)
    assert not gate.moved(small_from_rgb(np.clip(noisy, 0, 255).astype(np.uint8)), 0.5)  # sensor noise
    assert gate.period(0.5, False) == 0.5 and gate.period(0.5, True) == pytest.approx(0.1)
    card = small_from_rgb(demo_card_frame(demo_payload(), width=1280, height=720))
    assert gate.moved(card, 1.0) and gate.full_wanted(1.0, False) and gate.motion_fraction > 0.01
    assert gate.full_wanted(2.9, False) and not gate.full_wanted(3.1, False)  # held for hold_s
    gate.saw(Observation(3.0, True, card_seen=True), 3.0)  # the card is still seen: held on
    assert gate.full_wanted(4.9, False) and gate.state(4.9, False) == "full"
    assert not gate.full_wanted(5.1, False) and gate.full_wanted(5.1, True)  # a session keeps it full
    # pushed frames: at the current rate, with 20 % of jitter allowed
    gate.moved(card, 5.2)
    assert not gate.due(5.3, False) and gate.due(5.2 + 0.41, False)
    gate.saw(Observation(5.6, True), 5.6)
    assert gate.due(5.6 + 0.09, True) and not gate.due(5.6 + 0.07, True)
    # nothing moved for recheck_s: one full frame all the same (someone may stand perfectly still)
    assert not gate.moved(card, 15.0) and not gate.full_wanted(15.0, False)
    assert not gate.moved(card, 15.7) and gate.full_wanted(15.7, False)
    gate.saw(Observation(15.7, True), 15.7)
    assert not gate.moved(card, 16.2) and not gate.full_wanted(16.2, False)


def test_the_gate_decodes_a_jpeg_at_a_quarter_size_and_refuses_garbage():
    frame = _empty_room(640, 480)
    small_jpeg, small_rgb = small_from_jpeg(_jpeg(frame)), small_from_rgb(frame)
    assert small_jpeg.shape == small_rgb.shape == (120, 160)
    assert np.abs(small_jpeg.astype(int) - small_rgb.astype(int)).mean() < 3
    assert jpeg_size(_jpeg(frame)) == (640, 480) and jpeg_size(b"\xff\xd8\xff\xd9") is None
    with pytest.raises(ValueError, match="decoded"):
        small_from_jpeg(b"\xff\xd8\xff" + b"\x00" * 100 + b"\xff\xd9")


def test_the_service_side_imports_no_image_library():
    """The web process may run under gevent: cv2, dlib and zxing must not even be imported there."""
    import subprocess
    import sys

    code = ("import sys; import kiosk.vision.worker, kiosk.session.setup, kiosk.web.realtime.kiosk; "
            "print(sorted(m for m in ('cv2', 'dlib', 'zxingcpp', 'face_recognition') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
