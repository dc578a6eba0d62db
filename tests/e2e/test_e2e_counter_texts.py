"""The officer's console reads its texts from the catalogue (kiosk/texts/vi_pages.py, via /texts/vi.js and
K.T): the page, its dialogs and the texts counter.js builds at load show the catalogue's sentences, never a
key (K.T shows an unknown key as itself). Read-only: it opens the pause dialog and cancels it."""
from __future__ import annotations

import re

import pytest

from kiosk.texts.vi import PAGES

pytestmark = pytest.mark.e2e

KEY = re.compile(r"\b(?:counter|common|counter_state|ticket_state|reports|admin|monitor|demo|index|error)\.[a-z_.]+")
REASONS = ("break", "meeting", "backlog", "guiding", "it_fault")


def test_the_console_shows_the_catalogue_texts_and_no_key(officer_page):
    console = officer_page(3)
    console.wait_for_selector("#act-next")
    every = console.evaluate("document.body.textContent")  # hidden dialogs included
    assert not KEY.findall(every), KEY.findall(every)
    assert console.title().startswith(PAGES["index.counter"] + " — ")
    assert console.inner_text("#counter-services").startswith("Lĩnh vực: ")
    assert console.inner_text("#shortcuts").startswith("Phím tắt / Shortcuts:")
    assert console.get_attribute("#act-next", "title") == "Phím tắt: N"
    assert console.inner_text("#act-pause span") == "Tạm dừng"
    heading = " ".join(console.text_content("#no-show-dialog h2").split())
    assert heading == "Xác nhận số vắng mặt? Confirm no-show"
    assert " ".join(console.text_content("#transfer-submit").split()) == "Chuyển Transfer"

    console.click("#act-pause")  # the reasons, built by counter.js from the catalogue when it loads
    console.wait_for_selector("#pause-dialog[open]")
    labels = [text.strip() for text in console.locator("#reason-list label").all_inner_texts()]
    assert labels == [PAGES[f"counter.pause_reason.{r}"] for r in REASONS]
    assert labels[0] == "Nghỉ giải lao"  # the reason the monitor and the reports already hold
    assert console.get_attribute("#pause-other", "placeholder") == "Nhập lý do…"
    console.click("#pause-dialog [data-close]")
    console.wait_for_selector("#pause-dialog:not([open])", state="attached")
    assert console.evaluate("document.body.dataset.counterState") == "open"
