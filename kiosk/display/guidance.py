"""Spoken guidance at the kiosk: each screen's sentence (kiosk/texts/vi.py GUIDANCE) as WAV, in the hall's voice.

The same espeak-ng engine (and speed) as the hall announcements (kiosk.display.tts), without the chime and
said once. Each sentence is rendered the first time a kiosk asks for it and kept (``Voice``'s cache): the
fixed sentences are the same for every citizen, and the ticket's sentence depends on the ticket number only
(never a name or any other personal data). The kiosk page plays them on the terminal's speaker
(static/js/kiosk_voice.js) when ``[kiosk] voice_guidance`` is on for that terminal.
"""
from __future__ import annotations

from kiosk.display.announcement import Announcement, Word, ticket_words
from kiosk.display.numbers_vi import nfc
from kiosk.display.tts import EspeakEngine, RenderedAudio, Voice, VoiceConfig
from kiosk.texts.vi import GUIDANCE

__all__ = ["GUIDANCE_KEYS", "Guidance"]

GUIDANCE_KEYS = tuple(GUIDANCE)
# the fixed sentences, plus the ticket numbers of the last few citizens (a repeat touch, a second terminal)
CACHE_SIZE = len(GUIDANCE) + 24  # ~300 KiB each: at most ~11 MiB


def _phrase(text: str, key: str) -> Word:
    return Word(nfc(text), f"guidance_{key}")  # no such clip is recorded: a clips voice says it with espeak-ng


def guidance_announcement(key: str, number: str | None = None, *, digits: bool = False) -> Announcement:
    """What is said for screen ``key`` (``number``: the ticket of the "ticket" screen). KeyError: unknown key;
    AnnouncementError: not a ticket number."""
    sentence = GUIDANCE[key]
    if "{number}" not in sentence:
        return Announcement(display_text=nfc(sentence), groups=((_phrase(sentence, key),),))
    if number is None:
        raise KeyError(f"{key} needs a ticket number")
    letters, numeral = ticket_words(number, digits=digits)
    before, after = sentence.split("{number}", 1)
    groups = tuple(g for g in ((_phrase(before.strip(), key),), letters, numeral,
                               (_phrase(after.strip(" ."), key + "_after"),)) if g and g[0].text)
    return Announcement(display_text=nfc(sentence.format(number=number.upper())), groups=groups)


class Guidance:
    """Renders and keeps the guidance clips; thread-safe (``Voice`` is)."""

    def __init__(self, engine: EspeakEngine | None = None, *, digits: bool = False) -> None:
        config = VoiceConfig(repeat=1, chime=False, digits=digits, cache_size=CACHE_SIZE)
        self.voice = Voice(config, engine=engine)  # the hall's engine when given: the same voice
        self.digits = digits

    def clip(self, key: str, number: str | None = None) -> RenderedAudio:
        """The WAV of screen ``key``. Raises KeyError, AnnouncementError, or VoiceError (no espeak-ng)."""
        return self.voice.render(guidance_announcement(key, number, digits=self.digits))
