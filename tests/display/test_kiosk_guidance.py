"""Spoken guidance at the kiosk (issue 13): one sentence per screen, in the hall's espeak-ng voice, rendered once,
served as real WAV by the app to kiosk terminals only; off by default."""
from __future__ import annotations

import shutil

import pytest
from app_support import bearer, make_app, role_tokens

from kiosk.display.guidance import GUIDANCE_KEYS, Guidance, guidance_announcement
from kiosk.display.tts import read_wav, wav_duration
from kiosk.texts.vi import GUIDANCE

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None,
                                  reason="espeak-ng not installed (Debian package espeak-ng)")
SCREENS = ("welcome", "card", "consent", "services", "ticket", "error")


def test_every_screen_has_one_polite_sentence_without_personal_data():
    assert set(SCREENS) <= set(GUIDANCE_KEYS)
    for key, sentence in GUIDANCE.items():
        assert "Quý khách" in sentence, key
        assert "{name" not in sentence and "bạn" not in sentence.lower().split()
    assert GUIDANCE["welcome"].startswith("Kính chào Quý khách")
    assert guidance_announcement("ticket", "A015").display_text.startswith("Số thứ tự của Quý khách là A015.")
    spoken = guidance_announcement("ticket", "A015").spoken_text
    assert spoken.startswith("Số thứ tự của Quý khách là, a, mười lăm"), spoken
    with pytest.raises(KeyError):
        guidance_announcement("ticket")
    with pytest.raises(KeyError):
        guidance_announcement("nobody")


@needs_espeak
def test_each_clip_is_rendered_once_and_cached():
    guidance = Guidance()
    calls = []
    real = guidance.voice.engine.synthesize
    guidance.voice.engine.synthesize = lambda text: calls.append(text) or real(text)
    first = guidance.clip("welcome")
    assert guidance.clip("welcome") is first and len(calls) == 1
    assert first.spoken_text == GUIDANCE["welcome"] and first.duration_s > 2.0
    samples, rate = read_wav(first.wav)
    assert rate == 22050 and float(abs(samples).max()) > 0.3  # speech, not silence (and no chime: said once)


@pytest.fixture
def app(tmp_path, seeded_demo):
    app = make_app(tmp_path, seeded_demo[0], {"devices": {"enabled": False}})
    yield app
    app.extensions["kiosk"].close()


@needs_espeak
def test_the_wav_route_serves_the_right_sentence_to_a_kiosk(app):
    client = app.test_client()
    tokens = role_tokens(app.extensions["kiosk"])
    kiosk = bearer(tokens["kiosk"])
    reference = Guidance()
    for key in SCREENS:
        url = "/kiosk/voice/ticket/A015.wav" if key == "ticket" else f"/kiosk/voice/{key}.wav"
        r = client.get(url, headers=kiosk)
        assert r.status_code == 200 and r.mimetype == "audio/wav", (key, r.data[:200])
        assert wav_duration(r.data) > 0.5
        # the same bytes as that sentence rendered by the same voice: the right sentence, not another one
        assert r.data == reference.clip(key, "A015" if key == "ticket" else None).wav, key
    assert wav_duration(client.get("/kiosk/voice/ticket/B107.wav", headers=kiosk).data) > 0
    assert client.get("/kiosk/voice/ticket/B107.wav", headers=kiosk).data != \
        client.get("/kiosk/voice/ticket/A015.wav", headers=kiosk).data
    assert client.get("/kiosk/voice/nobody.wav", headers=kiosk).status_code == 404
    assert client.get("/kiosk/voice/ticket.wav", headers=kiosk).status_code == 404
    assert client.get("/kiosk/voice/ticket/Nguyen.wav", headers=kiosk).status_code == 404
    assert client.get("/kiosk/voice/welcome.wav").status_code == 401
    assert client.get("/kiosk/voice/welcome.wav", headers=bearer(tokens["display"])).status_code == 403


def test_guidance_is_off_by_default(app):
    client = app.test_client()
    tokens = role_tokens(app.extensions["kiosk"])
    r = client.get("/api/v1/kiosk/assist", headers=bearer(tokens["kiosk"]))
    assert r.status_code == 200
    assert r.json == {"voice_guidance": False, "reprint_window_s": 60, "reprint_max_copies": 2}


def test_guidance_per_terminal(tmp_path, seeded_demo):
    from kiosk.accounts.registry import create_token, token_principal

    first = make_app(tmp_path, seeded_demo[0], {"devices": {"enabled": False}})
    kiosk = first.extensions["kiosk"]
    with kiosk.store.transaction() as conn:
        on, off = create_token(conn, "kiosk", label="Loa"), create_token(conn, "kiosk", label="Không loa")
    speaking = token_principal(kiosk.store.conn(), on).id
    kiosk.close()
    app = make_app(tmp_path, seeded_demo[0], {"devices": {"enabled": False}, "voice_guidance_terminals": [speaking]})
    try:
        client = app.test_client()
        assert client.get("/api/v1/kiosk/assist", headers=bearer(on)).json["voice_guidance"] is True
        assert client.get("/api/v1/kiosk/assist", headers=bearer(off)).json["voice_guidance"] is False
    finally:
        app.extensions["kiosk"].close()
