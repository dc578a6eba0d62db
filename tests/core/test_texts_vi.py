"""Every refusal code raised anywhere in kiosk/ has a specific Vietnamese sentence in kiosk/texts/vi.py.

The codes are read from the source (AST), not from a hand list: the class attribute ``code`` of every error
class, every ``code=...`` keyword, the code argument of ``ApiError(status, code, ...)`` / ``error_response`` /
``throttled``, the second argument of the queue errors, and every ``text=`` key of a specific refusal.
"""
from __future__ import annotations

import ast
import re
import unicodedata
from pathlib import Path

import pytest

from kiosk.texts import vi
from kiosk.web.errors import HTTP_CODES

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
KIOSK_SOURCES = [p for p in KIOSK.rglob("*.py") if "city" not in p.relative_to(KIOSK).parts]


def _error_classes() -> set[str]:
    """Every class of kiosk/ derived (at any depth) from QueueError: a new error class is checked too."""
    bases: dict[str, set[str]] = {}
    for path in KIOSK_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(getattr(b, "id", getattr(b, "attr", "")) for b in node.bases)
    found = {"QueueError"}
    while True:
        more = {name for name, of in bases.items() if of & found} - found
        if not more:
            return found
        found |= more


QUEUE_ERRORS = _error_classes()
# English words that must never sit inside a Vietnamese sentence shown to staff or citizens
STOP = {"counter", "ticket", "service", "already", "not", "the", "is", "has", "no", "to", "of", "and", "or",
        "must", "invalid", "error", "cannot", "busy", "open", "closed", "paused", "waiting", "called", "serving",
        "held", "prefix", "code", "limit", "role", "may", "you", "your", "token", "card", "start", "finish"}
# Codes built at run time (f"appointment_{state}") whose every value the catalogue holds explicitly
APPOINTMENT_STATES = ("booked", "cancelled", "checked_in", "expired")


def _str(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _raised() -> tuple[set[str], set[str]]:
    """(error codes, specific refusal keys) found in the source of kiosk/ (the city dashboard apart)."""
    codes, texts = set(HTTP_CODES.values()), set()
    for path in KIOSK_SOURCES:  # the city's dashboard apart: another service with its own answers
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and any(getattr(b, "id", "") in QUEUE_ERRORS | {"Exception"}
                                                      for b in node.bases):
                for item in node.body:
                    if isinstance(item, ast.Assign) and [getattr(t, "id", "") for t in item.targets] == ["code"]:
                        codes.add(_str(item.value) or "")
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", getattr(node.func, "attr", ""))
            for kw in node.keywords:
                if kw.arg == "code" and _str(kw.value):
                    codes.add(_str(kw.value))
                if kw.arg == "text" and _str(kw.value) and name in QUEUE_ERRORS | {"ApiError"}:
                    texts.add(_str(kw.value))
            if name in ("ApiError", "error_response") and len(node.args) >= 2 and _str(node.args[1]):
                codes.add(_str(node.args[1]))
            if name == "throttled" and node.args and _str(node.args[0]):
                codes.add(_str(node.args[0]))
            if name in QUEUE_ERRORS and len(node.args) >= 2 and _str(node.args[1]):
                codes.add(_str(node.args[1]))
    # transitions.py returns its keys in tuples (English, key, values): every REFUSALS key it names
    source = (KIOSK / "queue" / "transitions.py").read_text(encoding="utf-8")
    texts |= {k for k in vi.REFUSALS if f'"{k}"' in source}
    codes |= {f"appointment_{s}" for s in APPOINTMENT_STATES}
    codes.discard("")
    return codes, texts


CODES, TEXTS = _raised()


def _check_sentence(sentence: str) -> None:
    assert sentence and sentence != vi.GENERIC
    assert unicodedata.normalize("NFC", sentence) == sentence, "not NFC"
    english = {w.lower() for w in re.findall(r"[A-Za-z]+", sentence)} & STOP
    assert not english, f"English inside a Vietnamese sentence: {english}: {sentence}"
    assert re.search(r"[À-ỹ]", sentence), f"no Vietnamese letter at all: {sentence}"
    assert not re.search(r"\bbạn\b", sentence, re.IGNORECASE), f"'bạn' instead of 'Quý khách': {sentence}"


def test_the_source_raises_many_codes():
    """The scan works: it finds the codes the issue names, and the specific keys of the engine."""
    assert {"illegal_transition", "exists", "no_pager", "card_busy", "outside_window", "slot_full"} <= CODES
    assert {"counter_no_current", "prefix_taken", "not_your_counter", "no_counter"} <= TEXTS


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_has_its_own_vietnamese_sentence(code):
    assert code in vi.ERRORS, f"code {code!r} is raised but has no sentence in kiosk/texts/vi.py"
    _check_sentence(vi.ERRORS[code])


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_every_specific_refusal_has_its_sentence(key):
    assert key in vi.REFUSALS, f"text {key!r} is raised but has no sentence in kiosk/texts/vi.py"


@pytest.mark.parametrize("key", sorted(vi.REFUSALS))
def test_specific_sentences_filled_with_values_read_as_vietnamese(key):
    values = {"counter": 1, "ticket": "A001", "service": "Tư pháp – Hộ tịch", "prefix": "A", "limit": 200,
              "count": 2, "holder": 3, "at": "07:00", "verb": "start", "state": "served", "counter_state": "paused",
              "role": "kiosk"}
    sentence = vi.error_vi("conflict", key, values)
    _check_sentence(sentence)
    assert "{" not in sentence


def test_the_issue_s_examples():
    assert vi.error_vi("illegal_transition", "counter_no_current", {"counter": 1, "verb": "start"}) == \
        "Quầy 1 chưa gọi số nào để bắt đầu phục vụ."
    assert vi.error_vi("exists", "prefix_taken", {"prefix": "A", "service": "Tư pháp – Hộ tịch"}) == \
        "Tiền tố A đã được dùng cho lĩnh vực Tư pháp – Hộ tịch."
    assert vi.error_vi("outside_window", "check_in_early", {"at": "07:00"}) == \
        "Chưa đến giờ làm thủ tục. Quý khách vui lòng quay lại từ 07:00."


def test_missing_values_fall_back_to_the_code_s_sentence():
    assert vi.error_vi("illegal_transition", "counter_no_current", {}) == vi.ERRORS["illegal_transition"]
    assert vi.error_vi("no_such_code") == vi.GENERIC
