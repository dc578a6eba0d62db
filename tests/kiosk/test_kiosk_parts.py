"""The parts of the touch-free kiosk on their own: dwell, layout, cursor, frame sources, preview."""
from __future__ import annotations

import numpy as np
import pytest

from kiosk.session.flow import (
    DwellSelector,
    FlowError,
    FlowSettings,
    cursor_from_face,
    face_from_cursor,
    layout_tiles,
)
from kiosk.vision.pipeline import encode_preview
from kiosk.vision.qr import read_cccd
from kiosk.vision.sources import (
    CameraLost,
    OpenCVSource,
    ReconnectingSource,
    ScriptedSource,
    SourceError,
    TimedSource,
    demo_card_frame,
    demo_payload,
    demo_sequence,
    parse_camera_spec,
)


def test_dwell_selects_after_hold_and_resets_on_leaving():
    tiles = layout_tiles([("a", "A", ""), ("b", "B", "")])
    on_a = ((tiles[0].rect[0] + tiles[0].rect[2]) / 2, 0.6)
    on_b = ((tiles[1].rect[0] + tiles[1].rect[2]) / 2, 0.6)
    d = DwellSelector(hold_s=1.5)
    assert d.update(0.0, on_a, tiles) == ("a", 0.0, None)
    assert d.update(1.0, on_a, tiles)[1] == pytest.approx(2 / 3)
    assert d.update(1.2, on_b, tiles) == ("b", 0.0, None)  # moved: starts again
    assert d.update(2.6, on_b, tiles)[2] is None
    assert d.update(2.7, on_b, tiles) == ("b", 1.0, "b")
    # after a choice, holding still selects nothing until the cursor has left every tile
    assert d.update(9.0, on_b, tiles) == ("b", 0.0, None)
    assert d.update(9.1, (0.5, 0.6), tiles) == (None, 0.0, None)
    d.update(9.2, on_b, tiles)
    assert d.update(10.8, on_b, tiles)[2] == "b"


def test_layout_leaves_the_middle_free_and_cursor_is_mirrored():
    for n in range(1, 9):
        tiles = layout_tiles([(str(i), str(i), "") for i in range(n)])
        assert not any(t.contains((0.5, y)) for t in tiles for y in np.linspace(0, 1, 21))
        for t in tiles:
            assert 0 <= t.rect[0] < t.rect[2] <= 1 and 0 <= t.rect[1] < t.rect[3] <= 1
    s = FlowSettings()
    # the citizen moves to their right = to the left of the camera image: the cursor goes right
    assert cursor_from_face((0.4, 0.5), s)[0] > 0.5
    assert cursor_from_face((0.4, 0.5), FlowSettings(camera_mirrored=True))[0] < 0.5
    assert cursor_from_face((0.0, 1.0), s) == (1.0, 1.0)
    c = (0.2, 0.7)
    assert cursor_from_face(face_from_cursor(c, s), s) == pytest.approx(c)


def test_flow_settings_are_checked():
    with pytest.raises(FlowError, match="dwell_s"):
        FlowSettings(dwell_s=-1)
    with pytest.raises(FlowError, match="gain_x"):
        FlowSettings(gain_x=True)


def test_camera_specs():
    assert parse_camera_spec(0) == 0 and parse_camera_spec(" 2 ") == 2
    assert parse_camera_spec("rtsp://user:pw@cam/stream") == "rtsp://user:pw@cam/stream"
    assert "pw" not in repr(OpenCVSource("rtsp://user:pw@cam/stream"))
    for bad in (None, 1.5, "camera", "ftp://x", 99, [0]):
        with pytest.raises(SourceError):
            parse_camera_spec(bad)


def test_a_missing_camera_is_lost_not_a_crash():
    source = OpenCVSource("/dev/video63")
    with pytest.raises(CameraLost):
        source.read()
    source.close()


def test_reconnect_backs_off_exponentially_and_reports_changes():
    t = [0.0]
    frame = np.zeros((48, 64, 3), np.uint8)
    changes = []
    src = ReconnectingSource(ScriptedSource([frame, None, None, None, None, frame], loop=True),
                             initial_s=1.0, max_s=3.0, clock=lambda: t[0], on_change=changes.append)
    assert src.read() is frame and src.available is True
    tries = []
    for step in range(40):
        t[0] = step * 0.25
        before = src.failures
        got = src.read()
        if src.failures != before:
            tries.append(t[0])
        if got is not None and step > 0:
            break
    assert changes == [True, False, True]
    gaps = np.diff(tries)
    assert list(gaps) == pytest.approx([1.0, 2.0, 3.0])  # doubled, capped at max_s
    with pytest.raises(SourceError):
        ReconnectingSource(ScriptedSource([frame]), initial_s=0)


def test_scripted_source_checks_frames_and_ends():
    with pytest.raises(SourceError, match="frame 1"):
        ScriptedSource([np.zeros((4, 4, 3), np.uint8), np.zeros((4, 4), np.uint8)])
    with pytest.raises(SourceError):
        ScriptedSource([])
    src = ScriptedSource([np.zeros((4, 4, 3), np.uint8)])
    src.read()
    with pytest.raises(CameraLost):
        src.read()


def test_a_timed_sequence_keeps_its_pace_however_often_it_is_read():
    t = [0.0]
    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(5)] + [None]
    src = TimedSource(frames, fps=10, clock=lambda: t[0])
    seen = []
    for now in (0.0, 0.05, 0.31, 0.49, 0.71):  # read at 2, 5 or 20 frames a second: the clock decides
        t[0] = now
        seen.append(int(src.read()[0, 0, 0]))
    assert seen == [0, 0, 3, 4, 1]  # 0.71 s: frame 7 of a 6-frame loop, i.e. frame 1 again
    t[0] = 0.55
    with pytest.raises(CameraLost):
        src.read()  # the None in the sequence
    with pytest.raises(SourceError):
        TimedSource(frames, fps=0)
    assert not ReconnectingSource(src).can_grab


def test_grab_takes_frames_off_a_camera_without_decoding_and_backs_off_like_read():
    class Camera:
        def __init__(self):
            self.grabs, self.fail = 0, False

        def grab(self):
            if self.fail:
                raise CameraLost("unplugged")
            self.grabs += 1

        def read(self):
            return np.zeros((4, 4, 3), np.uint8)

        def close(self):
            pass

    t = [0.0]
    cam = Camera()
    src = ReconnectingSource(cam, initial_s=1.0, max_s=2.0, clock=lambda: t[0])
    assert src.can_grab and src.grab() and cam.grabs == 1 and src.available is True
    cam.fail = True
    assert not src.grab() and src.available is False and src.next_try == 1.0
    cam.fail = False
    assert not src.grab() and cam.grabs == 1  # waiting out the backoff: not even tried
    t[0] = 1.0
    assert src.grab() and src.available is True and src.read() is not None
    missing = ReconnectingSource(OpenCVSource("/dev/video63"), initial_s=0.1)
    assert missing.grab() is False and missing.available is False


def test_demo_sequence_needs_no_test_data_and_shows_a_valid_card():
    seq = demo_sequence(fps=2)
    reads = [read_cccd(f) for f in seq[:20]]
    ok = [r for r in reads if r.ok]
    assert ok and all(r.record.full_name == "Nguyễn Văn An" for r in ok)
    assert ok[0].record.age_on(ok[0].record.issue_date) >= 60
    mirrored = read_cccd(demo_card_frame(demo_payload(), mirrored=True))
    assert mirrored.ok


def test_preview_is_a_small_jpeg_in_memory():
    frame = demo_sequence(fps=1)[0]
    jpeg = encode_preview(frame, max_side=320)
    import cv2

    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert jpeg[:3] == b"\xff\xd8\xff" and max(img.shape[:2]) == 320 and len(jpeg) < 30_000
