"""``kiosk announce TICKET COUNTER [--out FILE.wav] [--text] [--digits]``."""
from __future__ import annotations

import shutil
import wave
from pathlib import Path

import pytest
from click.testing import CliRunner

from kiosk.cli.announce import CLIPS_ENV, announce
from kiosk.display.announcement import all_clip_names

needs_espeak = pytest.mark.skipif(
    shutil.which("espeak-ng") is None, reason="espeak-ng not installed (Debian package espeak-ng)"
)


def run(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(announce, list(args), env=env or {CLIPS_ENV: ""})
    return result.exit_code, result.stdout, result.stderr


def test_text_prints_the_sentence() -> None:
    code, out, _ = run("A015", "3", "--text")
    assert code == 0
    assert out == "Xin mời công dân có số thứ tự A015 đến quầy số 3\n"


def test_spoken_and_digits() -> None:
    code, out, _ = run("a015", "3", "--spoken", "--digits")
    assert code == 0
    assert out == "Xin mời công dân có số thứ tự, a, không một năm, đến quầy số ba\n"


@needs_espeak
def test_out_writes_a_wav(tmp_path: Path) -> None:
    target = tmp_path / "call.wav"
    code, out, err = run("B021", "14", "--out", str(target), "--repeat", "2")
    assert code == 0, err
    assert out == ""
    with wave.open(str(target)) as handle:
        assert handle.getnchannels() == 1 and handle.getnframes() / handle.getframerate() > 3.0
    assert "espeak" in err


def test_clips_folder_option(tmp_path: Path) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in all_clip_names():
        with wave.open(str(folder / f"{name}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(16000)
            out.writeframes(b"\x00\x10" * 800)
    target = tmp_path / "call.wav"
    code, _, err = run("A015", "3", "--out", str(target), env={CLIPS_ENV: str(folder)})
    assert code == 0, err
    assert "clips" in err and target.stat().st_size > 1000


@pytest.mark.parametrize(
    ("args", "message"),
    [(["A0x5", "3", "--text"], "not a ticket number"), (["A015", "0", "--text"], "not a counter number"),
     (["A015", "3"], "nothing to do"), (["A015", "3", "--repeat", "9", "--text"], "repeat")],
)
def test_bad_input_is_a_usage_error(args: list[str], message: str) -> None:
    code, out, err = run(*args)
    assert code == 2
    assert message in err and "Traceback" not in err


@needs_espeak
def test_unwritable_out_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run("A015", "3", "--out", str(tmp_path / "missing" / "x.wav"))
    assert code == 1
    assert "cannot write" in err
