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
                if kw.arg == "text" and _str(kw.value) and name in QUEUE_ERRORS | {"ApiError", "ack_refused"}:
                    texts.add(_str(kw.value))
            if name in ("ApiError", "error_response") and len(node.args) >= 2 and _str(node.args[1]):
                codes.add(_str(node.args[1]))
            if name == "ReportError" and len(node.args) >= 2 and _str(node.args[1]):
                texts.add(_str(node.args[1]))
            if name in ("throttled", "FrameRefused", "ack_refused") and node.args and _str(node.args[0]):
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
    assert {"counter_no_current", "prefix_taken", "not_your_counter", "no_counter", "kiosk_choice_unknown"} <= TEXTS
    assert {"not_jpeg", "too_frequent", "camera_off"} <= CODES  # the Socket.IO acks' codes (FrameRefused)


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
              "role": "kiosk", "field": "service", "kind": "int", "max_len": 120, "low": 1, "high": 999,
              "first": "2000-01-01", "last": "9998-12-31", "depth": 32, "fields": "«x»", "max_card": 65534,
              "max_days": 366}
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


def test_a_field_reads_by_its_vietnamese_name_and_an_unnamed_one_falls_back():
    assert vi.error_vi("invalid", "field_wrong_type", {"field": "service", "kind": "str"}) == \
        "Lĩnh vực không đúng kiểu: cần chữ."
    assert vi.error_vi("invalid", "field_required", {"field": "no_such_field"}) == vi.ERRORS["invalid"]


def test_every_field_and_kind_reads_as_vietnamese():
    for table in (vi.FIELDS, vi.KINDS):
        for word in table.values():
            assert unicodedata.normalize("NFC", word) == word
            assert not {w.lower() for w in re.findall(r"[A-Za-z]+", word)} & STOP, word


def _answer_vi(response) -> str:
    assert 400 <= response.status_code < 500, response.json
    sentence = response.json["error"]["message_vi"]
    _check_sentence(sentence)
    assert sentence not in vi.ERRORS.values(), f"the code's generic sentence, not the case's: {sentence}"
    return sentence


def test_bad_values_in_the_api_say_which_field_and_what_is_expected(client, tokens):
    from core_fixtures import bearer

    kiosk, admin, manager = (bearer(tokens[r]) for r in ("kiosk", "admin", "manager"))
    assert _answer_vi(client.post("/api/v1/tickets", json={"service": 5}, headers=kiosk)) == \
        "Lĩnh vực không đúng kiểu: cần chữ."
    assert _answer_vi(client.post("/api/v1/tickets", json={}, headers=kiosk)) == \
        "Chưa có Lĩnh vực: thông tin này là bắt buộc."
    assert "đối tượng JSON" in _answer_vi(client.post("/api/v1/tickets", json=[1], headers=kiosk))
    assert _answer_vi(client.post("/api/v1/tickets", data="{", headers={**kiosk, "Content-Type": "application/json"})) \
        == vi.REFUSALS["body_not_json"]
    assert _answer_vi(client.get("/api/v1/reports?from=12/02/2026&to=2026-12-02&by=day", headers=manager)) == \
        "Từ ngày phải là một ngày dạng năm-tháng-ngày, ví dụ 2026-12-02."
    assert _answer_vi(client.get("/api/v1/reports?from=2026-12-03&to=2026-12-02", headers=manager)) == \
        vi.REFUSALS["report_from_after_to"]
    assert _answer_vi(client.get("/api/v1/reports/monthly?year=1900", headers=manager)) == "Năm phải từ 2000 đến 2100."
    service = {"code": "XX", "name": "Thử", "prefix": "x1"}
    assert _answer_vi(client.post("/api/v1/admin/services", json=service, headers=admin)) == vi.REFUSALS["prefix_format"]
    service = {"code": "XX", "name": "", "prefix": "X"}
    assert _answer_vi(client.post("/api/v1/admin/services", json=service, headers=admin)) == \
        "Chưa có Tên: thông tin này là bắt buộc."
    service = {"code": "XX", "name": "Thử", "prefix": "X", "daily_limit": 5000}
    assert _answer_vi(client.post("/api/v1/admin/services", json=service, headers=admin)) == \
        "Số lượt tối đa trong ngày phải là số nguyên từ 1 đến 999."
    counter = {"number": 40, "name": "Quầy 40", "services": ["HT", "HT"]}
    assert _answer_vi(client.post("/api/v1/admin/counters", json=counter, headers=admin)) == \
        "Lĩnh vực HT được chọn hai lần cho cùng một quầy."
    assert _answer_vi(client.post("/api/v1/tickets/1/pager", json={"card": 1, "x": 2}, headers=kiosk)) == \
        "Dữ liệu gửi lên có thông tin không được nhận: «x»."


def test_settings_accounts_and_tokens_refusals_say_what_is_wrong_in_vietnamese(client, tokens):
    """The administrator's forms: each bad value gets its own sentence, with the field and its bounds."""
    from core_fixtures import bearer

    admin = bearer(tokens["admin"])
    user = {"username": "Cán Bộ", "password": "matkhau-dai", "role": "officer", "counter": 1}
    assert _answer_vi(client.post("/api/v1/admin/users", json=user, headers=admin)) == vi.REFUSALS["username_format"]
    user = {"username": "canbo2", "password": "ngan", "role": "officer", "counter": 1}
    assert _answer_vi(client.post("/api/v1/admin/users", json=user, headers=admin)) == vi.REFUSALS["password_short"]
    user = {"username": "canbo2", "password": "matkhau-dai", "role": "officer"}
    assert _answer_vi(client.post("/api/v1/admin/users", json=user, headers=admin)) == \
        "Tài khoản hoặc mã thiết bị của cán bộ cần gắn với một quầy."
    user = {"username": "canbo2", "password": "matkhau-dai", "role": "officer", "counter": 99}
    assert _answer_vi(client.post("/api/v1/admin/users", json=user, headers=admin)) == "Không có quầy số 99."
    assert _answer_vi(client.post("/api/v1/admin/tokens", json={"role": "rating"}, headers=admin)) == \
        "Tài khoản hoặc mã thiết bị của máy đánh giá cần gắn với một quầy."
    assert _answer_vi(client.post("/api/v1/admin/tokens", json={"role": "robot"}, headers=admin)) == \
        vi.REFUSALS["role_unknown"]
    assert _answer_vi(client.put("/api/v1/admin/settings", json={"no_show_min_s": 7200}, headers=admin)) == \
        "Thời gian tối thiểu trước khi đánh dấu vắng mặt (giây) phải là số nguyên từ 0 đến 3600."
    assert _answer_vi(client.put("/api/v1/admin/settings", json={"closing_time": "5pm"}, headers=admin)) == \
        vi.REFUSALS["closing_time_format"]
    assert _answer_vi(client.put("/api/v1/admin/settings", json={"policy": "random"}, headers=admin)) == \
        vi.REFUSALS["policy_unknown"]
    before = client.get("/api/v1/admin/settings", headers=admin).json
    assert _answer_vi(client.put("/api/v1/admin/settings", json={"interleave_every": 0}, headers=admin)) == \
        "Số lượt thường giữa hai lượt ưu tiên phải là số nguyên từ 1 đến 100."
    assert client.get("/api/v1/admin/settings", headers=admin).json == before  # refused: nothing changed
    assert _answer_vi(client.post("/api/v1/counters/1/pause", json={"reason": "  "}, headers=admin)) == \
        "Chưa có Lý do: thông tin này là bắt buộc."


# Raised only by the centre's own code with values it made itself (the kiosk worker's face-check answers),
# never from a request: their code's sentence is enough.
INTERNAL_ONLY = {("citizens/face_checks.py", "record_face_check")}
GENERIC_CODES = {"invalid", "not_found", "conflict", "illegal_transition", "bad_request"}


def _class_codes() -> dict[str, str]:
    """The ``code`` each error class of kiosk/ sets for itself."""
    codes = {}
    for path in KIOSK_SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name in QUEUE_ERRORS:
                for item in node.body:
                    if isinstance(item, ast.Assign) and [getattr(t, "id", "") for t in item.targets] == ["code"]:
                        codes[node.name] = _str(item.value) or ""
    return codes


CLASS_CODES = _class_codes()


def test_every_refusal_raised_in_the_source_has_a_specific_sentence():
    """No `raise InvalidInput("…")` with neither a specific sentence (`text=`) nor a code of its own: a refusal
    a staff member or a citizen can meet says what is wrong, not "Dữ liệu nhập vào không hợp lệ"."""
    vague = []
    for path in KIOSK_SOURCES:
        rel = path.relative_to(KIOSK).as_posix()
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) or (rel, func.name) in INTERNAL_ONLY:
                continue
            for node in ast.walk(func):
                if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
                    continue
                call = node.exc
                name = getattr(call.func, "id", getattr(call.func, "attr", ""))
                kws = {k.arg: k.value for k in call.keywords}
                if name == "ApiError":  # ApiError(status, code, message, text=…)
                    carried = "text" in kws or None in kws  # None: **values that hold the text
                    if not carried and len(call.args) >= 2 and _str(call.args[1]) in GENERIC_CODES:
                        vague.append(f"{rel}:{node.lineno}")
                    continue
                if name not in QUEUE_ERRORS:
                    continue
                code = _str(kws["code"]) if "code" in kws else (_str(call.args[1]) if len(call.args) >= 2 else None)
                if "code" in kws and isinstance(kws["code"], ast.JoinedStr):
                    code = "built"  # f"appointment_{state}": each value has its own sentence (APPOINTMENT_STATES)
                if code is None:
                    code = CLASS_CODES.get(getattr(call.func, "id", getattr(call.func, "attr", "")))
                specific_code = code is not None and code not in GENERIC_CODES
                if "text" not in kws and not specific_code:
                    vague.append(f"{rel}:{node.lineno}")
    assert not vague, f"refusals with only a generic sentence: {sorted(set(vague))}"
