"""WAV synthesis: espeak-ng, the chime, and assembly from a folder of recorded clips."""
from __future__ import annotations

import io
import shutil
import wave
from pathlib import Path

import numpy as np
import pytest

from kiosk.display.announcement import Call, all_clip_names, build_announcement
from kiosk.display.tts import (
    CHIME_TONE_S,
    CHIME_TONES_HZ,
    EspeakEngine,
    Voice,
    VoiceConfig,
    VoiceError,
    chime,
    read_wav,
    resample,
    wav_bytes,
    wav_duration,
)

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (Debian package espeak-ng)"
)
CLIP_RATE = 16000
OUT_RATE = 22050


def parse(wav: bytes) -> tuple[np.ndarray, int]:
    """Samples (float) and rate, checking the WAV is mono 16-bit PCM as the hall page expects."""
    with wave.open(io.BytesIO(wav)) as handle:
        assert handle.getnchannels() == 1
        assert handle.getsampwidth() == 2
        assert handle.getcomptype() == "NONE"
        frames = handle.readframes(handle.getnframes())
        assert len(frames) == handle.getnframes() * 2
        return np.frombuffer(frames, dtype="<i2").astype(np.float64) / 32768.0, handle.getframerate()


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1.0 / rate)[np.argmax(spectrum)])


def segments(samples: np.ndarray, rate: int, min_gap_s: float = 0.005) -> list[tuple[int, int]]:
    """(start, length) of the non-silent runs separated by at least ``min_gap_s`` of exact silence."""
    loud = np.flatnonzero(samples != 0)
    if len(loud) == 0:
        return []
    breaks = np.flatnonzero(np.diff(loud) > round(min_gap_s * rate))
    starts = np.concatenate(([loud[0]], loud[breaks + 1]))
    ends = np.concatenate((loud[breaks], [loud[-1]]))
    return [(int(s), int(e - s + 1)) for s, e in zip(starts, ends, strict=True)]


def write_tone(path: Path, seconds: float, freq: float, *, rate: int = CLIP_RATE, width: int = 2,
               channels: int = 1, lead_silence_s: float = 0.0) -> None:
    """A test clip: a sine tone (optionally after silence, like a real recording) in any PCM format."""
    n = round(seconds * rate)
    tone = 0.5 * np.sin(2 * np.pi * freq * (np.arange(n) + 1) / rate)
    tone = np.concatenate((np.zeros(round(lead_silence_s * rate)), tone))
    if width == 1:
        pcm = (tone * 127 + 128).round().astype(np.uint8)
    elif width == 2:
        pcm = (tone * 32767).round().astype("<i2")
    else:
        ints = (tone * (2**23 - 1)).round().astype(np.int32)
        pcm = np.stack([ints & 0xFF, (ints >> 8) & 0xFF, (ints >> 16) & 0xFF], axis=1).astype(np.uint8)
    if channels == 2:
        pcm = np.repeat(pcm.reshape(n + round(lead_silence_s * rate), -1), 2, axis=0).reshape(-1)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())


@pytest.fixture
def clips_dir(tmp_path: Path) -> tuple[Path, dict[str, float]]:
    """A complete clips folder: every clip a tone of its own length (30 ms + 7 ms x index)."""
    folder = tmp_path / "clips"
    folder.mkdir()
    lengths: dict[str, float] = {}
    for index, name in enumerate(sorted(all_clip_names())):
        lengths[name] = 0.030 + 0.007 * index
        kwargs: dict[str, object] = {}
        if name == "letter_a":
            kwargs = {"width": 1, "channels": 2}  # 8-bit stereo: mixed down to mono
        elif name == "word_lam":
            kwargs = {"width": 3, "rate": 44100, "lead_silence_s": 0.2}  # 24-bit, leading silence trimmed
        write_tone(folder / f"{name}.wav", lengths[name], 300 + 10 * index, **kwargs)  # type: ignore[arg-type]
    return folder, lengths


def clip_config(folder: Path, **overrides: object) -> VoiceConfig:
    settings: dict[str, object] = dict(clips_dir=folder, chime=False, repeat=1, sample_rate=OUT_RATE,
                                       word_gap_s=0.02, phrase_gap_s=0.1)
    settings.update(overrides)
    return VoiceConfig(**settings)  # type: ignore[arg-type]


def test_chime_is_two_tones() -> None:
    tone = round(CHIME_TONE_S * OUT_RATE)
    samples = chime(OUT_RATE)
    assert len(samples) == 2 * tone
    assert dominant_hz(samples[:tone], OUT_RATE) == pytest.approx(CHIME_TONES_HZ[0], abs=10)
    assert dominant_hz(samples[tone:], OUT_RATE) == pytest.approx(CHIME_TONES_HZ[1], abs=10)
    assert chime(OUT_RATE) is samples  # cached


@needs_espeak
def test_espeak_announcement_is_valid_wav_with_chime_first() -> None:
    audio = Voice(VoiceConfig(repeat=1)).render(Call("A015", 3))
    samples, rate = parse(audio.wav)
    assert rate == OUT_RATE
    assert audio.source == "espeak"
    assert audio.duration_s == pytest.approx(len(samples) / rate)
    assert audio.duration_s > 2.0
    tone = round(CHIME_TONE_S * rate)
    assert dominant_hz(samples[:tone], rate) == pytest.approx(CHIME_TONES_HZ[0], abs=10)
    assert dominant_hz(samples[tone:2 * tone], rate) == pytest.approx(CHIME_TONES_HZ[1], abs=10)
    speech = samples[2 * tone:]
    assert np.sqrt(np.mean(speech**2)) > 0.02  # the sentence follows the chime
    assert np.max(np.abs(samples)) < 1.0


@needs_espeak
def test_repeat_says_the_sentence_again() -> None:
    once = Voice(VoiceConfig(repeat=1, chime=False)).render(Call("B021", 14))
    three = Voice(VoiceConfig(repeat=3, chime=False, repeat_gap_s=0.5)).render(Call("B021", 14))
    speech = once.duration_s - 0.1  # without the short tail
    assert three.duration_s == pytest.approx(3 * speech + 2 * 0.5 + 0.1, abs=0.002)


@needs_espeak
def test_recall_is_served_from_cache_and_digits_change_the_audio() -> None:
    voice = Voice(VoiceConfig(repeat=1))
    first = voice.render(Call("A015", 3))
    assert voice.render(Call("A015", 3, recall=True)) is first
    by_digits = Voice(VoiceConfig(repeat=1, digits=True)).render(Call("A015", 3))
    assert by_digits.spoken_text.endswith("a, không một năm, đến quầy số ba")
    assert by_digits.wav != first.wav


def test_clip_assembly_order_and_lengths(clips_dir: tuple[Path, dict[str, float]]) -> None:
    folder, lengths = clips_dir
    call = Call("A015", 21)
    announcement = build_announcement(call)
    audio = Voice(clip_config(folder)).render(call)
    assert audio.source == "clips"
    samples, rate = parse(audio.wav)
    assert rate == OUT_RATE
    found = segments(samples, rate)
    expected = [round(round(lengths[name] * CLIP_RATE) * OUT_RATE / CLIP_RATE) for name in announcement.clip_names]
    assert len(found) == len(expected)
    for (_, got), want in zip(found, expected, strict=True):
        # Resampling and trimming to the clip's first/last audible sample may move an edge a little.
        assert abs(got - want) <= 3, (got, want)
    # Gaps: 0.1 s between phrases (intro | letter | number | counter ...), 0.02 s between words.
    gaps = [found[i + 1][0] - (found[i][0] + found[i][1]) for i in range(len(found) - 1)]
    phrase, word = round(0.1 * rate), round(0.02 * rate)
    # word_lam.wav starts with 0.2 s of silence: trimmed to the 10 ms margin kept before the voice.
    margin = round(0.01 * rate)
    want_gaps = [phrase, phrase, word + margin, phrase, word, word, word]
    assert all(abs(g - w) <= 3 for g, w in zip(gaps, want_gaps, strict=True)), gaps


def test_clip_assembly_with_digits_and_custom_chime(clips_dir: tuple[Path, dict[str, float]]) -> None:
    folder, lengths = clips_dir
    write_tone(folder / "chime.wav", 0.5, 1000.0)
    audio = Voice(clip_config(folder, chime=True, digits=True, after_chime_s=0.3)).render(Call("C105", 3))
    samples, rate = parse(audio.wav)
    found = segments(samples, rate)
    assert found[0][1] == pytest.approx(0.5 * rate, abs=3)  # the centre's chime.wav, not the generated one
    assert dominant_hz(samples[: found[0][1]], rate) == pytest.approx(1000.0, abs=10)
    names = build_announcement(Call("C105", 3), digits=True).clip_names
    assert names[2:5] == ("digit_1", "digit_0", "digit_5")
    assert len(found) == 1 + len(names)


def test_missing_clip_error_policy(clips_dir: tuple[Path, dict[str, float]]) -> None:
    folder, _ = clips_dir
    (folder / "word_lam.wav").unlink()
    with pytest.raises(VoiceError, match="word_lam.wav"):
        Voice(clip_config(folder, missing_clips="error")).render(Call("A015", 3))
    # A call that needs no missing clip is still assembled from clips.
    assert Voice(clip_config(folder, missing_clips="error")).render(Call("A016", 3)).source == "clips"


@needs_espeak
def test_missing_clip_falls_back_to_espeak(clips_dir: tuple[Path, dict[str, float]]) -> None:
    folder, lengths = clips_dir
    (folder / "word_lam.wav").unlink()
    whole = Voice(clip_config(folder)).render(Call("A015", 3))
    assert whole.source == "espeak"
    mixed = Voice(clip_config(folder, missing_clips="words")).render(Call("A015", 3))
    assert mixed.source == "clips+espeak"
    found = segments(*parse(mixed.wav))
    # phrase_intro, letter_a, word_muoi_ten from clips; then espeak's "lăm", longer than any test clip.
    first = [round(round(lengths[n] * CLIP_RATE) * OUT_RATE / CLIP_RATE) for n in
             ("phrase_intro", "letter_a", "word_muoi_ten")]
    assert [abs(got - want) <= 3 for (_, got), want in zip(found[:3], first, strict=True)] == [True] * 3
    assert max(length for _, length in found[3:]) > 0.1 * OUT_RATE


def test_bad_clip_file_is_a_clear_error(clips_dir: tuple[Path, dict[str, float]]) -> None:
    folder, _ = clips_dir
    (folder / "digit_3.wav").write_bytes(b"this is not a wav file")
    with pytest.raises(VoiceError, match="digit_3.wav"):
        Voice(clip_config(folder)).render(Call("A015", 3))


def test_missing_clips_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceError, match="clips folder not found"):
        Voice(clip_config(tmp_path / "nowhere")).render(Call("A015", 3))


def test_missing_espeak_is_a_clear_error() -> None:
    voice = Voice(VoiceConfig(espeak_executable="espeak-ng-not-installed-here"))
    with pytest.raises(VoiceError, match="apt-get install espeak-ng"):
        voice.render(Call("A015", 3))


@pytest.mark.parametrize(
    "settings",
    [{"repeat": 0}, {"repeat": 9}, {"repeat": True}, {"missing_clips": "skip"}, {"sample_rate": 1000},
     {"word_gap_s": -1.0}, {"speed_wpm": 10}],
)
def test_bad_config(settings: dict[str, object]) -> None:
    with pytest.raises(VoiceError):
        VoiceConfig(**settings)  # type: ignore[arg-type]


def test_wav_round_trip_and_resample() -> None:
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(8000) / 8000)
    data = wav_bytes(tone, 8000)
    back, rate = read_wav(data)
    assert rate == 8000 and np.max(np.abs(back - tone)) < 1e-3
    assert wav_duration(data) == pytest.approx(1.0)
    up = resample(back, 8000, 22050)
    assert len(up) == 22050
    assert dominant_hz(up, 22050) == pytest.approx(440, abs=3)


@pytest.mark.parametrize("data", [b"", b"RIFF", b"RIFF\x00\x00\x00\x00WAVEjunk", b"\x00" * 100])
def test_read_wav_rejects_garbage(data: bytes) -> None:
    with pytest.raises(VoiceError):
        read_wav(data)


@needs_espeak
def test_espeak_engine_handles_text_starting_with_a_dash() -> None:
    samples, rate = EspeakEngine().synthesize("-v mười lăm")
    assert rate == OUT_RATE and len(samples) > 0.3 * rate
