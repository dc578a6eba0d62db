"""``kiosk announce TICKET COUNTER``: print the hall sentence or write its audio.

Registered by kiosk/cli/main.py as ``kiosk.cli.announce:announce``.
"""
from __future__ import annotations

import os
from pathlib import Path

import click

from kiosk.display.announcement import AnnouncementError, Call, build_announcement
from kiosk.display.tts import Voice, VoiceConfig, VoiceError, play_wav

CLIPS_ENV = "KIOSK_VOICE_CLIPS"


@click.command("announce")
@click.argument("ticket")
@click.argument("counter")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the announcement audio (chime + sentence) to this WAV file.")
@click.option("--text", "text", is_flag=True, help="Print the sentence shown in the hall.")
@click.option("--spoken", is_flag=True, help="Print the sentence as it is read aloud.")
@click.option("--digits", is_flag=True, help="Read the ticket number digit by digit (A015: a không một năm).")
@click.option("--clips", "clips", type=click.Path(file_okay=False, path_type=Path), default=None,
              help=f"Folder of recorded clips to assemble the audio from (default: ${CLIPS_ENV}).")
@click.option("--repeat", type=click.IntRange(1, 5), default=1, show_default=True,
              help="How many times the sentence is said after the chime.")
@click.option("--play", is_flag=True, help="Also play the audio on this PC's speaker (aplay/paplay).")
def announce(ticket: str, counter: str, out: Path | None, text: bool, spoken: bool, digits: bool,
             clips: Path | None, repeat: int, play: bool) -> None:
    """Announce TICKET (e.g. A015) at COUNTER (e.g. 3): print the sentence or write the audio."""
    try:
        call = Call(number=ticket, counter=counter)  # type: ignore[arg-type]  # Call parses "3"
        announcement = build_announcement(call, digits=digits)
    except AnnouncementError as exc:
        raise click.BadParameter(str(exc)) from exc
    if not (out or text or spoken or play):
        raise click.UsageError("nothing to do: give --text, --spoken, --out FILE.wav and/or --play")
    if text:
        click.echo(announcement.display_text)
    if spoken:
        click.echo(announcement.spoken_text)
    if not (out or play):
        return
    clips_dir = clips if clips is not None else (Path(os.environ[CLIPS_ENV]) if os.environ.get(CLIPS_ENV) else None)
    try:
        voice = Voice(VoiceConfig(clips_dir=clips_dir, digits=digits, repeat=repeat))
        audio = voice.render(announcement)
    except VoiceError as exc:
        raise click.ClickException(str(exc)) from exc
    if out:
        try:
            out.write_bytes(audio.wav)
        except OSError as exc:
            raise click.ClickException(f"cannot write {out}: {exc}") from exc
        click.echo(f"wrote {out} ({audio.duration_s:.2f} s, {audio.source})", err=True)
    if play and not play_wav(audio.wav):
        click.echo("no speaker player (aplay/paplay) on this PC, or playing failed", err=True)
