"""The vision side of pager labels: only the text of a non-card QR with the configured prefix is reported,
never a card's payload; the [vision] pager_prefix and demo loop settings are checked."""
from __future__ import annotations

import pytest

from kiosk.config.core import Config, ConfigError
from kiosk.pager.labels import PagerBindError, bind_label, refusal_text
from kiosk.session.setup import vision_config
from kiosk.vision.pipeline import PipelineSettings, VisionPipeline
from kiosk.vision.qr import read_cccd
from kiosk.vision.sources import demo_card_frame, demo_payload, demo_sequence

CARD = demo_payload()


def _frame(payload: str):
    return demo_card_frame(payload, width=960, height=540, module_px=4)


def test_label_text_is_reported_only_with_its_prefix():
    scan = read_cccd(_frame("PAGER:12:105"), keep_prefixes=(b"PAGER:",))
    assert scan.other == "PAGER:12:105" and scan.record is None and scan.error.code == "no_qr"
    assert "PAGER" not in repr(scan)
    # without the prefix configured it is an ordinary refused QR
    plain = read_cccd(_frame("PAGER:12:105"))
    assert plain.other is None and plain.error.code not in ("no_qr", "qr_unreadable")
    # other QR codes are never reported as labels
    assert read_cccd(_frame("https://example.vn/x"), keep_prefixes=(b"PAGER:",)).other is None
    # a card is a card, whatever prefix is asked for
    card = read_cccd(_frame(CARD), keep_prefixes=(b"PAGER:", b"001"))
    assert card.ok and card.other is None


def test_pipeline_reports_the_label_and_no_card_error():
    pipeline = VisionPipeline(None, settings=PipelineSettings(preview_interval_s=0, text_prefixes=("PAGER:",)))
    obs = pipeline.process(_frame("PAGER:1:101"), 1.0)
    assert obs.label == "PAGER:1:101" and obs.card_error is None and obs.card is None
    assert "PAGER" not in repr(obs) and "label=yes" in repr(obs)
    obs = pipeline.process(_frame(CARD), 2.0)
    assert obs.label is None and obs.card_seen
    with pytest.raises(ValueError, match="start with a letter"):
        PipelineSettings(text_prefixes=("0",))


@pytest.mark.parametrize("prefix", ["0PAGER:", "PAGER", ":", 7, "PAGER:X:"])
def test_bad_pager_prefix_is_refused(prefix):
    with pytest.raises(ConfigError, match="pager_prefix"):
        vision_config(Config.from_dict({"vision": {"pager_prefix": prefix}}), env={})


def test_vision_pager_and_demo_settings():
    cfg = vision_config(Config.from_dict({"demo": True, "vision": {"demo_empty_s": 0, "demo_pause_s": 60,
                                                                   "pager_prefix": "THE:"}}), env={})
    assert cfg.pager_prefix == "THE:" and cfg.demo_empty_s == 0 and cfg.demo_pause_s == 60
    assert vision_config(Config.from_dict({"vision": {"pager_prefix": ""}}), env={}).pager_prefix == ""
    with pytest.raises(ConfigError, match="demo_card_s"):
        vision_config(Config.from_dict({"vision": {"demo_card_s": 0}}), env={})
    seq = demo_sequence(640, 360, fps=2, empty_s=0, card_s=2, pause_s=5)
    assert len(seq) == 4 + 10 and read_cccd(seq[0]).ok and not read_cccd(seq[-1]).ok
    with pytest.raises(ValueError):
        demo_sequence(320, 180, empty_s=-1)


def test_bind_label_refusals_without_devices():
    with pytest.raises(PagerBindError) as err:
        bind_label(None, 1, "hello")
    assert err.value.code == "not_label"
    with pytest.raises(PagerBindError) as err:
        bind_label(None, 1, "PAGER:1:105")
    assert err.value.code == "no_pager" and err.value.card == 105
    assert refusal_text("card_busy", 105)[0] == "Thẻ rung số 105 đang được dùng cho số thứ tự khác — Quý khách vui lòng lấy thẻ khác"
    assert refusal_text("nonsense")[0].startswith("Chưa gắn được thẻ rung")
