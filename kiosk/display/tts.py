"""Turn an announcement into WAV audio: a two-tone chime, then the sentence, repeated.

Two sources of speech, both offline:
- espeak-ng's Vietnamese voice (Debian package ``espeak-ng``), the default;
- a folder of recorded clips (a real voice recorded by the centre: fixed phrases, digits, number
  words, letter names; file names in ``announcement.all_clip_names()``, see docs/voice.md). When a
  clips folder is configured the announcement is assembled from it, converting each clip to the
  output sample rate and to mono.

When clips are missing, ``VoiceConfig.missing_clips`` decides: ``"espeak"`` (default) says the whole
sentence with espeak-ng, because one robotic word inside a human sentence is harder to follow
than a consistent voice; ``"words"`` fills only the missing words with espeak-ng; ``"error"``
raises VoiceError.

The output is mono 16-bit PCM WAV bytes, which the hall display page plays in the browser;
``play_wav`` optionally plays them on the PC's own speaker (aplay/paplay when present).
"""
from __future__ import annotations

import io
import logging
import shutil
import struct
import subprocess
import threading
import wave
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np

from kiosk.display.announcement import Announcement, Call, build_announcement

log = logging.getLogger(__name__)

DEFAULT_SAMPLE_RATE = 22050  # espeak-ng's native rate: no resampling in the default path
CHIME_TONES_HZ: tuple[float, float] = (880.0, 660.0)
CHIME_TONE_S = 0.32
CHIME_CLIP = "chime"  # a clips folder may hold chime.wav to replace the generated chime
_SPEECH_PEAK = 0.85
_CHIME_PEAK = 0.5
_SILENCE_THRESHOLD = 0.01  # about -40 dBFS: below this a recorded clip's edge counts as silence
_TRIM_MARGIN_S = 0.01

MissingClipPolicy = Literal["espeak", "words", "error"]


class VoiceError(RuntimeError):
    """Audio could not be produced (espeak-ng missing or failing, unreadable or missing clips)."""


@dataclass(frozen=True)
class VoiceConfig:
    """Settings of the hall voice; the defaults suit a Hanoi one-stop hall."""

    clips_dir: Path | None = None
    missing_clips: MissingClipPolicy = "espeak"
    digits: bool = False  # read A015 as "a không một năm" instead of "a mười lăm"
    repeat: int = 2  # how many times the sentence is said after the chime
    chime: bool = True
    voice: str = "vi"
    speed_wpm: int = 140  # slower than espeak's 175: a hall echoes
    sample_rate: int = DEFAULT_SAMPLE_RATE
    word_gap_s: float = 0.06
    phrase_gap_s: float = 0.22
    repeat_gap_s: float = 0.9
    after_chime_s: float = 0.25
    espeak_executable: str = "espeak-ng"
    cache_size: int = 8  # recent renders (~0.5 MiB each): a recall comes minutes after its call, not hours

    def __post_init__(self) -> None:
        if self.missing_clips not in ("espeak", "words", "error"):
            raise VoiceError(f"missing_clips must be 'espeak', 'words' or 'error', not {self.missing_clips!r}")
        if isinstance(self.repeat, bool) or not isinstance(self.repeat, int) or not 1 <= self.repeat <= 5:
            raise VoiceError(f"repeat must be a whole number 1..5, not {self.repeat!r}")
        if not 8000 <= int(self.sample_rate) <= 48000:
            raise VoiceError(f"sample_rate must be 8000..48000 Hz, not {self.sample_rate!r}")
        if not 80 <= int(self.speed_wpm) <= 450:
            raise VoiceError(f"speed_wpm must be 80..450, not {self.speed_wpm!r}")
        for name in ("word_gap_s", "phrase_gap_s", "repeat_gap_s", "after_chime_s"):
            value = getattr(self, name)
            if not 0 <= value <= 5:
                raise VoiceError(f"{name} must be 0..5 seconds, not {value!r}")
        if self.clips_dir is not None:
            object.__setattr__(self, "clips_dir", Path(self.clips_dir))


@dataclass(frozen=True)
class RenderedAudio:
    """Audio for one announcement: WAV bytes plus what a player or a listener needs to know."""

    wav: bytes
    duration_s: float
    display_text: str
    spoken_text: str
    source: Literal["espeak", "clips", "clips+espeak"]


# ---------------------------------------------------------------- WAV reading / writing


def wav_bytes(samples: np.ndarray, sample_rate: int) -> bytes:
    """Mono 16-bit PCM WAV bytes from float samples in -1..1 (clipped)."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(int(sample_rate))
        out.writeframes(pcm.tobytes())
    return buffer.getvalue()


def _pcm_to_float(raw: bytes, width: int, channels: int) -> np.ndarray:
    if width == 1:  # 8-bit WAV is unsigned
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 3:
        b = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        ints = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        ints = np.where(ints >= 1 << 23, ints - (1 << 24), ints)
        data = ints.astype(np.float32) / float(1 << 23)
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / float(1 << 31)
    else:
        raise VoiceError(f"unsupported sample width {width} bytes")
    usable = len(data) - len(data) % channels
    # Mix down to mono: the hall has one voice, and clips may be recorded in stereo.
    return data[:usable].reshape(-1, channels).mean(axis=1)


def read_wav(source: bytes | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples and the sample rate of a PCM WAV file or bytes (8/16/24/32-bit)."""
    name = str(source) if isinstance(source, Path) else "WAV data"
    try:
        handle = wave.open(str(source)) if isinstance(source, Path) else wave.open(io.BytesIO(source))
        with handle as wav:
            channels, width, rate = wav.getnchannels(), wav.getsampwidth(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError, OSError, struct.error) as exc:
        raise VoiceError(f"cannot read {name} as PCM WAV (16-bit mono recommended): {exc}") from exc
    if channels < 1 or rate <= 0:
        raise VoiceError(f"{name}: invalid WAV header ({channels} channels, {rate} Hz)")
    return _pcm_to_float(raw, width, channels), rate


def _parse_streamed_wav(data: bytes) -> tuple[np.ndarray, int]:
    """Samples of espeak-ng's ``--stdout`` WAV, whose header sizes are placeholders (0x7ffff000)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise VoiceError("espeak-ng did not produce WAV data")
    pos, fmt = 12, None
    while pos + 8 <= len(data):
        chunk_id, size = data[pos:pos + 4], struct.unpack("<I", data[pos + 4:pos + 8])[0]
        body = pos + 8
        if chunk_id == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[body:body + 16])
        elif chunk_id == b"data":
            if fmt is None or fmt[0] != 1:
                raise VoiceError("espeak-ng WAV has no PCM format chunk before its data")
            channels, rate, width = fmt[1], fmt[2], fmt[5] // 8
            # The declared size is a streaming placeholder: the samples run to the end of the output.
            return _pcm_to_float(data[body:], width, channels), rate
        pos = body + size + (size & 1)
    raise VoiceError("espeak-ng WAV has no data chunk")


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Linear-interpolation resampling; enough for speech clips between common rates."""
    if source_rate == target_rate or len(samples) == 0:
        return samples.astype(np.float32, copy=False)
    count = max(1, round(len(samples) * target_rate / source_rate))
    positions = np.arange(count, dtype=np.float64) * (source_rate / target_rate)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def silence(seconds: float, sample_rate: int) -> np.ndarray:
    """``seconds`` of silence."""
    return np.zeros(round(seconds * sample_rate), dtype=np.float32)


def wav_duration(wav: bytes) -> float:
    """Duration in seconds of WAV bytes."""
    try:
        with wave.open(io.BytesIO(wav)) as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (wave.Error, EOFError, struct.error) as exc:
        raise VoiceError(f"not WAV data: {exc}") from exc


# ---------------------------------------------------------------- chime


@lru_cache(maxsize=8)
def chime(sample_rate: int = DEFAULT_SAMPLE_RATE) -> np.ndarray:
    """The generated two-tone "ding-dong" (880 Hz then 660 Hz, bell-like decay). Cached, read-only."""
    n = round(CHIME_TONE_S * sample_rate)
    t = np.arange(n, dtype=np.float64) / sample_rate
    envelope = np.exp(-t * 6.0) * np.minimum(1.0, t / 0.005)  # 5 ms attack avoids a click
    tones = []
    for freq in CHIME_TONES_HZ:
        # A soft second harmonic makes it sound like a bell rather than a test tone.
        wave_ = np.sin(2 * np.pi * freq * t) + 0.25 * np.sin(4 * np.pi * freq * t)
        tones.append(wave_ * envelope)
    out = (np.concatenate(tones) / 1.25 * _CHIME_PEAK).astype(np.float32)
    out.setflags(write=False)
    return out


# ---------------------------------------------------------------- espeak-ng


class EspeakEngine:
    """espeak-ng run as a subprocess (``espeak-ng -v vi --stdout``); text goes in on stdin."""

    def __init__(self, voice: str = "vi", speed_wpm: int = 140, executable: str = "espeak-ng") -> None:
        self.voice = voice
        self.speed_wpm = int(speed_wpm)
        self.executable = executable

    def available(self) -> bool:
        """True when the espeak-ng program is installed."""
        return shutil.which(self.executable) is not None

    def synthesize(self, text: str) -> tuple[np.ndarray, int]:
        """Mono float32 samples and sample rate of ``text`` spoken by espeak-ng."""
        program = shutil.which(self.executable)
        if program is None:
            raise VoiceError(
                f"{self.executable} not found: install the Debian package espeak-ng (apt-get install espeak-ng)"
            )
        command = [program, "-v", self.voice, "-s", str(self.speed_wpm), "-b", "1", "--stdout"]
        try:
            # -b 1: the input is UTF-8; stdin keeps text starting with "-" from being read as an option.
            done = subprocess.run(command, input=text.encode("utf-8"), capture_output=True, timeout=15)
        except subprocess.TimeoutExpired as exc:
            raise VoiceError("espeak-ng took more than 15 s") from exc
        if done.returncode != 0:
            message = done.stderr.decode("utf-8", "replace").strip()
            raise VoiceError(f"espeak-ng failed ({done.returncode}): {message}")
        return _parse_streamed_wav(done.stdout)


# ---------------------------------------------------------------- recorded clips


def _trim(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """Cut leading/trailing silence from a recorded clip, keeping a short margin."""
    loud = np.flatnonzero(np.abs(samples) > _SILENCE_THRESHOLD)
    if len(loud) == 0:
        return samples[:0]
    margin = round(_TRIM_MARGIN_S * sample_rate)
    return samples[max(0, loud[0] - margin): loud[-1] + 1 + margin]


class ClipLibrary:
    """A folder of recorded clips, ``<name>.wav``, loaded on first use and kept in memory."""

    def __init__(self, folder: Path, sample_rate: int = DEFAULT_SAMPLE_RATE) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise VoiceError(f"clips folder not found: {self.folder}")
        self.sample_rate = int(sample_rate)
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def path(self, name: str) -> Path:
        """Where the clip ``name`` lives (it may not exist)."""
        return self.folder / f"{name}.wav"

    def has(self, name: str) -> bool:
        """True when the clip file exists."""
        return name in self._cache or self.path(name).is_file()

    def missing(self, names: tuple[str, ...] | list[str]) -> list[str]:
        """The clip names (in order, without duplicates) whose files are absent."""
        return [name for name in dict.fromkeys(names) if not self.has(name)]

    def get(self, name: str) -> np.ndarray:
        """The clip as mono float32 at the library's sample rate, silence trimmed."""
        with self._lock:
            cached = self._cache.get(name)
        if cached is not None:
            return cached
        samples, rate = read_wav(self.path(name))
        clip = _trim(resample(samples, rate, self.sample_rate), self.sample_rate)
        if len(clip) == 0:
            raise VoiceError(f"clip {self.path(name)} is silent")
        clip.setflags(write=False)
        with self._lock:
            self._cache[name] = clip
        return clip


# ---------------------------------------------------------------- the voice


class Voice:
    """Renders calls to WAV with a VoiceConfig; thread-safe, caches recent renders (a recall is instant)."""

    def __init__(self, config: VoiceConfig | None = None, engine: EspeakEngine | None = None) -> None:
        self.config = config or VoiceConfig()
        self.engine = engine or EspeakEngine(self.config.voice, self.config.speed_wpm,
                                             self.config.espeak_executable)
        self._clips: ClipLibrary | None = None
        self._cache: OrderedDict[tuple[str, str], RenderedAudio] = OrderedDict()
        self._lock = threading.Lock()
        self._warned: set[str] = set()

    @property
    def clips(self) -> ClipLibrary | None:
        """The recorded clips, when a clips folder is configured (opened on first use)."""
        if self.config.clips_dir is not None and self._clips is None:
            self._clips = ClipLibrary(self.config.clips_dir, self.config.sample_rate)
        return self._clips

    def render(self, call: Call | Announcement) -> RenderedAudio:
        """Chime + sentence x repeat, as WAV bytes. Raises VoiceError or AnnouncementError."""
        announcement = call if isinstance(call, Announcement) else build_announcement(
            call, digits=self.config.digits)
        key = (announcement.display_text, announcement.spoken_text)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        rendered = self._render(announcement)
        with self._lock:
            self._cache[key] = rendered
            while len(self._cache) > self.config.cache_size:
                self._cache.popitem(last=False)
        return rendered

    def warm_up(self) -> None:
        """Prepare what every announcement shares (chime, clips) so the first call is fast."""
        self._chime()
        library = self.clips
        if library is not None:
            for name in ("phrase_intro", "phrase_counter"):
                if library.has(name):
                    library.get(name)

    def _chime(self) -> np.ndarray:
        library = self.clips
        if library is not None and library.has(CHIME_CLIP):
            return library.get(CHIME_CLIP)
        return chime(self.config.sample_rate)

    def _espeak(self, text: str) -> np.ndarray:
        samples, rate = self.engine.synthesize(text)
        return resample(samples, rate, self.config.sample_rate)

    def _speech(self, announcement: Announcement) -> tuple[np.ndarray, str]:
        cfg = self.config
        library = self.clips
        if library is None:
            return self._espeak(announcement.spoken_text), "espeak"
        missing = library.missing(announcement.clip_names)
        if missing and cfg.missing_clips == "error":
            raise VoiceError(f"clips missing in {library.folder}: {', '.join(m + '.wav' for m in missing)}")
        if missing and cfg.missing_clips == "espeak":
            self._warn_missing(missing)
            return self._espeak(announcement.spoken_text), "espeak"
        if missing:
            self._warn_missing(missing)
        parts: list[np.ndarray] = []
        for index, group in enumerate(announcement.groups):
            if index:
                parts.append(silence(cfg.phrase_gap_s, cfg.sample_rate))
            for position, word in enumerate(group):
                if position:
                    parts.append(silence(cfg.word_gap_s, cfg.sample_rate))
                parts.append(self._espeak(word.text) if word.clip in missing else library.get(word.clip))
        return np.concatenate(parts), "clips+espeak" if missing else "clips"

    def _warn_missing(self, missing: list[str]) -> None:
        with self._lock:
            new = [name for name in missing if name not in self._warned]
            self._warned.update(new)
        if new:
            log.warning("voice clips missing (%s): %s", self.config.missing_clips,
                        ", ".join(n + ".wav" for n in new))

    def _render(self, announcement: Announcement) -> RenderedAudio:
        cfg = self.config
        speech, source = self._speech(announcement)
        peak = float(np.max(np.abs(speech))) if len(speech) else 0.0
        if peak > 0:
            speech = speech * (_SPEECH_PEAK / peak)
        parts: list[np.ndarray] = []
        if cfg.chime:
            parts += [self._chime(), silence(cfg.after_chime_s, cfg.sample_rate)]
        for index in range(cfg.repeat):
            if index:
                parts.append(silence(cfg.repeat_gap_s, cfg.sample_rate))
            parts.append(speech)
        parts.append(silence(0.1, cfg.sample_rate))  # some players clip the last few ms
        samples = np.concatenate(parts)
        return RenderedAudio(
            wav=wav_bytes(samples, cfg.sample_rate),
            duration_s=len(samples) / cfg.sample_rate,
            display_text=announcement.display_text,
            spoken_text=announcement.spoken_text,
            source=source,  # type: ignore[arg-type]
        )


# ---------------------------------------------------------------- PC speaker


def find_player() -> list[str] | None:
    """The command that plays WAV from stdin on this PC (aplay or paplay), or None."""
    if shutil.which("aplay"):
        return ["aplay", "-q", "-"]
    if shutil.which("paplay"):
        return ["paplay"]
    return None


def play_wav(wav: bytes, command: list[str] | None = None, timeout_s: float = 120.0) -> bool:
    """Play WAV bytes on the PC's speaker and wait until done; False when no player exists or it fails."""
    command = command or find_player()
    if command is None:
        return False
    try:
        done = subprocess.run(command, input=wav, capture_output=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired) as exc:
        log.warning("playing on the PC speaker failed: %s", exc)
        return False
    if done.returncode != 0:
        log.warning("playing on the PC speaker failed: %s", done.stderr.decode("utf-8", "replace").strip())
        return False
    return True
