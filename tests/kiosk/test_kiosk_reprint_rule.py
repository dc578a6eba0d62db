"""The reprint rule (kiosk.terminals.reprint.check_reprint) and its settings: the window, the count, the terminal."""
from __future__ import annotations

import pytest

from kiosk.config.base import ConfigError
from kiosk.config.core import Config
from kiosk.terminals.reprint import ReprintRefused, check_reprint
from kiosk.texts.vi import error_vi

RULE = {"issued_at": 1000.0, "window_s": 60, "max_copies": 2, "number": "A015", "last_here": True}


def _refusal(**changes) -> ReprintRefused:
    with pytest.raises(ReprintRefused) as info:
        check_reprint(**{**RULE, "now": 1010.0, "copies": 0, **changes})
    return info.value


def test_a_copy_is_allowed_within_the_window_up_to_the_count():
    check_reprint(**RULE, now=1000.0, copies=0)
    check_reprint(**RULE, now=1060.0, copies=1)  # the 60th second still counts


def test_after_the_window_it_is_refused_with_the_seconds_in_vietnamese():
    exc = _refusal(now=1060.5)
    assert exc.code == "reprint_expired" and exc.status == 409
    assert error_vi(exc.code, exc.text, exc.values) == ("Đã quá 60 giây kể từ khi lấy số A015 nên không in lại được "
                                                        "phiếu. Quý khách vui lòng hỏi cán bộ hướng dẫn.")


def test_the_count_is_bounded():
    exc = _refusal(copies=2)
    assert exc.code == "reprint_limit"
    assert error_vi(exc.code, exc.text, exc.values).startswith("Phiếu số A015 đã được in lại 2 lần")


def test_only_the_last_ticket_of_this_terminal():
    assert _refusal(last_here=False).code == "reprint_not_last"


def test_a_window_of_zero_turns_reprints_off():
    assert _refusal(window_s=0, now=1000.0).code == "reprint_expired"


def test_settings_default_and_validated():
    config = Config.from_dict({})
    assert (config.reprint_window_s, config.reprint_max_copies) == (60, 2)
    assert config.voice_guidance is False and not config.guidance_on(3)
    assert Config.from_dict({"voice_guidance_terminals": [3]}).guidance_on(3)
    assert not Config.from_dict({"voice_guidance_terminals": [3]}).guidance_on(4)
    assert Config.from_dict({"voice_guidance": True}).guidance_on(None)
    for bad in ({"reprint_window_s": 601}, {"reprint_max_copies": 0}, {"voice_guidance_terminals": ["a"]},
                {"voice_guidance": "yes"}):
        with pytest.raises(ConfigError):
            Config.from_dict(bad)


def test_settings_from_the_environment():
    config = Config.load(env={"KIOSK_VOICE_GUIDANCE_TERMINALS": "2, 5", "KIOSK_REPRINT_WINDOW_S": "90"})
    assert config.voice_guidance_terminals == [2, 5] and config.reprint_window_s == 90
    with pytest.raises(ConfigError, match="KIOSK_VOICE_GUIDANCE_TERMINALS"):
        Config.load(env={"KIOSK_VOICE_GUIDANCE_TERMINALS": "two"})
