"""The announcement queue: in order, one at a time, never overlapping, recalls announced again."""
from __future__ import annotations

import threading
import time
import wave

import numpy as np
import pytest

from kiosk.display.announcement import AnnouncementError, Call, all_clip_names
from kiosk.display.announcer import (
    AnnouncementResult,
    Announcer,
    AnnouncerError,
    AudioStore,
    ClockSpeaker,
)
from kiosk.display.tts import RenderedAudio, Voice, VoiceConfig, wav_duration

SCALE = 0.02  # modelled playback runs 50x faster than real time


@pytest.fixture(scope="module")
def voice(tmp_path_factory: pytest.TempPathFactory) -> Voice:
    """A real Voice assembling from a generated clips folder (fast and independent of espeak-ng)."""
    folder = tmp_path_factory.mktemp("clips")
    rate = 16000
    for index, name in enumerate(sorted(all_clip_names())):
        n = round((0.05 + 0.01 * index) * rate)
        pcm = (0.4 * np.sin(2 * np.pi * (200 + 5 * index) * (np.arange(n) + 1) / rate) * 32767).astype("<i2")
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(pcm.tobytes())
    return Voice(VoiceConfig(clips_dir=folder, repeat=2, missing_clips="error"))


class Recorder:
    """Listener that records each result and when it arrived."""

    def __init__(self) -> None:
        self.results: list[tuple[float, AnnouncementResult]] = []
        self.lock = threading.Lock()

    def __call__(self, result: AnnouncementResult) -> None:
        with self.lock:
            self.results.append((time.monotonic(), result))


def test_announcements_never_overlap_and_keep_order(voice: Voice) -> None:
    speaker, recorder = ClockSpeaker(time_scale=SCALE), Recorder()
    announcer = Announcer(voice.render, listeners=[recorder], player=speaker, time_scale=SCALE)
    submitted: dict[int, Call] = {}
    per_thread: dict[int, list[int]] = {}
    lock = threading.Lock()

    def officer(counter: int) -> None:
        for k in range(4):
            call = Call(f"A{counter * 10 + k:03d}", counter, recall=(k == 3))
            seq = announcer.submit(call)
            with lock:
                submitted[seq] = call
                per_thread.setdefault(counter, []).append(seq)

    threads = [threading.Thread(target=officer, args=(c,)) for c in (1, 2, 3, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert announcer.wait_idle(timeout=30)
    announcer.close()

    assert sorted(submitted) == list(range(1, 17))
    for seqs in per_thread.values():
        assert seqs == sorted(seqs)  # one officer's calls keep their order
    # Listeners get every announcement once, in submission order, with the right call.
    assert [r.seq for _, r in recorder.results] == list(range(1, 17))
    assert all(r.call == submitted[r.seq] for _, r in recorder.results)
    # Playback: in order, each starts only after the previous one ended.
    played = speaker.played
    assert [seq for seq, _, _ in played] == list(range(1, 17))
    for (_, _, end), (_, start, _) in zip(played, played[1:], strict=False):
        assert start >= end
    # Each modelled playback lasted (at least) the announcement's duration.
    for (_seq, start, end), (_, result) in zip(played, recorder.results, strict=True):
        assert end - start >= result.duration_s * SCALE * 0.95
    # The hall page never receives the next announcement while the previous one is still being said.
    for (_, _, end), (arrived, _) in zip(played, recorder.results[1:], strict=False):
        assert arrived >= end


def test_recall_is_announced_again(voice: Voice) -> None:
    recorder = Recorder()
    with Announcer(voice.render, listeners=[recorder], time_scale=SCALE) as announcer:
        announcer.submit({"number": "A015", "counter": 3, "recall": False})
        announcer.submit({"number": "A015", "counter": 3, "recall": True})
        assert announcer.wait_idle(timeout=10)
    calls = [r.call for _, r in recorder.results]
    assert calls == [Call("A015", 3), Call("A015", 3, recall=True)]
    first, again = (r for _, r in recorder.results)
    assert again.wav == first.wav and again.key != first.key


def test_pacing_without_a_speaker_spaces_the_announcements(voice: Voice) -> None:
    recorder = Recorder()
    with Announcer(voice.render, listeners=[recorder], time_scale=SCALE) as announcer:
        for number in ("A001", "B002", "C003"):
            announcer.submit(Call(number, 1))
        assert announcer.wait_idle(timeout=10)
    times = [(t, r.duration_s) for t, r in recorder.results]
    for (t0, duration), (t1, _) in zip(times, times[1:], strict=False):
        assert t1 - t0 >= duration * SCALE * 0.95


def test_a_failing_render_or_listener_does_not_stop_the_queue(voice: Voice) -> None:
    errors: list[tuple[int, str]] = []
    recorder = Recorder()

    def render(call: Call) -> RenderedAudio:
        if call.number == "B666":  # a failure injected into the real renderer
            raise RuntimeError("speech engine crashed")
        return voice.render(call)

    def broken_listener(result: AnnouncementResult) -> None:
        raise ValueError("display offline")

    announcer = Announcer(render, listeners=[broken_listener, recorder], time_scale=SCALE,
                          on_error=lambda seq, call, exc: errors.append((seq, call.number)))
    for number in ("A001", "B666", "A002"):
        announcer.submit(Call(number, 2))
    assert announcer.wait_idle(timeout=10)
    announcer.close()
    assert errors == [(2, "B666")]
    assert [r.call.number for _, r in recorder.results] == ["A001", "A002"]


def test_bad_input_is_rejected_at_submit(voice: Voice) -> None:
    announcer = Announcer(voice.render, time_scale=SCALE)
    with pytest.raises(AnnouncementError):
        announcer.submit({"number": "A-1", "counter": 3})
    with pytest.raises(AnnouncementError):
        announcer.submit({"counter": 3})
    assert announcer.pending() == 0
    announcer.close()
    with pytest.raises(AnnouncerError, match="closed"):
        announcer.submit(Call("A001", 1))


def test_queue_limit_and_close_without_drain(voice: Voice) -> None:
    recorder = Recorder()
    entered, gate = threading.Event(), threading.Event()

    def slow_render(call: Call) -> RenderedAudio:
        entered.set()
        gate.wait(5)
        return voice.render(call)

    announcer = Announcer(slow_render, listeners=[recorder], max_pending=2, time_scale=SCALE)
    announcer.submit(Call("A001", 1))
    assert entered.wait(5)  # the worker has taken A001 and waits at the gate
    announcer.submit(Call("A002", 1))
    announcer.submit(Call("A003", 1))
    with pytest.raises(AnnouncerError, match="already waiting"):
        announcer.submit(Call("A004", 1))
    gate.set()
    started = time.monotonic()
    announcer.close(drain=False, timeout=5)
    assert time.monotonic() - started < 2
    assert [r.call.number for _, r in recorder.results] == ["A001"]  # the one under way was not cut


def test_idle_worker_does_not_spin(voice: Voice) -> None:
    announcer = Announcer(voice.render, time_scale=SCALE)
    announcer.start()
    cpu = time.process_time()
    time.sleep(0.4)
    assert time.process_time() - cpu < 0.1
    announcer.close()


def test_audio_store_keeps_the_latest(voice: Voice) -> None:
    store = AudioStore(max_items=2)
    keys: list[str] = []
    with Announcer(voice.render, listeners=[store.put_result], time_scale=SCALE) as announcer:
        announcer.add_listener(lambda r: keys.append(r.key))
        for number in ("A001", "A002", "A003"):
            announcer.submit(Call(number, 1))
        assert announcer.wait_idle(timeout=10)
    assert len(keys) == 3 and len(set(keys)) == 3
    assert store.get(keys[0]) is None  # forgotten: only the last two are kept
    for key in keys[1:]:
        wav = store.get(key)
        assert wav is not None and wav_duration(wav) > 0
    assert len(store) == 2
    assert store.get("no-such-key") is None


def test_bad_scales_are_rejected(voice: Voice) -> None:
    with pytest.raises(ValueError):
        ClockSpeaker(time_scale=0)
    with pytest.raises(ValueError):
        Announcer(voice.render, time_scale=-1)
