"""The pages share the catalogue (kiosk/texts/vi_pages.py): every key a template (``t("…")``), a script
(``T("…")``/``K.T("…")``) or the server (``page_text("…")``) names exists; no Vietnamese text is left in a converted
template or script (an explicit list of the files still to convert, which may only shrink); every text is NFC,
polite ("Quý khách", never "bạn"); ``/texts/vi.js`` serves exactly the catalogue, cacheable, as a script file."""
from __future__ import annotations

import json
import re
import string
import unicodedata
from pathlib import Path

import pytest

from kiosk.devices.health import KINDS
from kiosk.texts.vi import PAGES, page_text, page_texts

KIOSK = Path(__file__).resolve().parents[2] / "kiosk"
WEB = KIOSK / "web"
CITY = KIOSK / "city" / "dashboard"  # the city's dashboard, a service of its own over the same catalogue
PAGE_FILES = sorted([*WEB.glob("templates/*.html"), *WEB.glob("static/js/*.js"), *CITY.glob("templates/*.html"),
                     *CITY.glob("static/*.js")])
# Still to convert (other work was changing them at the time): remove a file from here once it is converted.
# (glob patterns under kiosk/web/; a pattern must still match a file with Vietnamese text)
NOT_YET: set[str] = set()  # every page is converted (the console, the kiosk); keep the check for new work
# Templates kept as strings in Python: (module, name) -> still to convert
STRING_TEMPLATES = {("kiosk.web.pages.devices", "TRACK_PAGE"): False, ("kiosk.web.pages.devices", "DEMO_PAGE"): False}
# Keys built at run time from a prefix and a code (common.js table(), monitor_devices.js's kinds)
DYNAMIC = {
    "priority": ("normal", "elderly", "disabled", "pregnant", "merit"),
    "ticket_state": ("waiting", "called", "serving", "done", "no_show", "held", "cancelled", "expired"),
    "counter_state": ("open", "paused", "closed"),
    "weekday": tuple(str(d) for d in range(7)),
    "monitor.kind": KINDS,
    "admin.role": ("officer", "manager", "admin", "kiosk", "display", "rating"),
    "reports.by": ("service", "counter", "officer", "day", "hour", "month"),
    "rating.score": ("1", "2", "3", "4", "5"),
    "counter.pause_reason": ("break", "meeting", "backlog", "guiding", "it_fault"),
    "monitor.event": ("ticket_issued", "ticket_called", "ticket_recalled", "ticket_started", "ticket_finished",
                      "ticket_no_show", "ticket_transferred", "ticket_held", "ticket_returned", "ticket_cancelled",
                      "ticket_expired", "ticket_noted", "counter_opened", "counter_paused", "counter_resumed", "counter_closed"),
}
USE = re.compile(r"""(?<![\w.])(?:K\.)?(?:t|T|page_text)\(\s*["'](\w+(?:\.\w+)+)["']\s*[,)]""")


def _name(path: Path) -> str:
    return path.relative_to(WEB if path.is_relative_to(WEB) else KIOSK).as_posix()


def _not_yet(path: Path) -> bool:
    return any(path.match(str(WEB / pattern)) for pattern in NOT_YET)


def _without_comments(path: Path, text: str) -> str:
    if path.suffix == ".js":
        text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
        return re.sub(r"(^|[^:\"'\\])//.*$", r"\1", text, flags=re.M)
    return re.sub(r"\{#.*?#\}|<!--.*?-->", "", text, flags=re.S)


def _vietnamese(text: str) -> list[str]:
    """The lines holding a letter beyond ASCII (Vietnamese diacritics; the pages hold no other script)."""
    return [line.strip() for line in text.splitlines()
            if any(ord(c) > 127 and unicodedata.category(c).startswith("L") for c in line)]


def _used_keys() -> set[str]:
    sources = [*PAGE_FILES, *KIOSK.rglob("*.py")]
    return {key for path in sources for key in USE.findall(path.read_text(encoding="utf-8"))}


def test_the_scan_finds_the_keys_of_templates_scripts_and_server():
    used = _used_keys()
    assert {"common.offline", "rate.thanks", "devices.unprinted", "devices.rating.never", "error.invalid_id_number"} \
        <= used


@pytest.mark.parametrize("key", sorted(_used_keys()))
def test_every_key_used_is_in_the_catalogue(key):
    assert key in page_texts(), f"{key!r} is used by a page but not in kiosk/texts/vi_pages.py (or vi.py ERRORS)"


@pytest.mark.parametrize("prefix", sorted(DYNAMIC))
def test_every_key_built_at_run_time_is_in_the_catalogue(prefix):
    missing = [f"{prefix}.{code}" for code in DYNAMIC[prefix] if f"{prefix}.{code}" not in PAGES]
    assert not missing


@pytest.mark.parametrize("path", [p for p in PAGE_FILES if not _not_yet(p)], ids=_name)
def test_no_vietnamese_text_is_left_in_a_converted_file(path):
    left = _vietnamese(_without_comments(path, path.read_text(encoding="utf-8")))
    assert not left, f"{_name(path)} still holds Vietnamese text (move it to kiosk/texts/vi_pages.py): {left[:5]}"


@pytest.mark.parametrize("where", sorted(STRING_TEMPLATES), ids=lambda w: w[1])
def test_no_vietnamese_text_is_left_in_a_template_kept_in_python(where):
    import importlib

    text = getattr(importlib.import_module(where[0]), where[1])
    left = _vietnamese(re.sub(r"\{#.*?#\}|<!--.*?-->", "", text, flags=re.S))
    assert bool(left) == STRING_TEMPLATES[where], left[:5] or f"{where[1]} is converted: mark it False"


@pytest.mark.parametrize("pattern", sorted(NOT_YET))
def test_the_list_of_files_to_convert_only_shrinks(pattern):
    left = [p for p in WEB.glob(pattern) if _vietnamese(_without_comments(p, p.read_text(encoding="utf-8")))]
    assert left, f"{pattern} names no file with Vietnamese text any more: remove it from NOT_YET"


@pytest.mark.parametrize("key", sorted(PAGES))
def test_every_text_is_nfc_polite_and_well_formed(key):
    text = PAGES[key]
    assert text and unicodedata.normalize("NFC", text) == text, "not NFC"
    assert not re.search(r"\bbạn\b", text, re.IGNORECASE), f"'bạn' instead of 'Quý khách': {text}"
    assert re.fullmatch(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+", key), "keys are page.what"
    fields = [f for _, f, spec, conv in string.Formatter().parse(text) if f is not None]
    assert all(re.fullmatch(r"[a-z_]+", f) for f in fields), f"placeholders are {{name}}: {text}"
    assert page_text(key, **{f: "X" for f in fields}).count("{") == 0


def test_the_script_serves_the_catalogue_cacheable_under_the_csp(client):
    page = client.get("/login")
    url = re.search(r'<script src="(/texts/vi\.js\?v=\w+)"></script>', page.text).group(1)
    r = client.get(url)
    assert r.status_code == 200 and r.mimetype == "text/javascript"
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert "script-src 'self'" in r.headers["Content-Security-Policy"]
    body = r.get_data(as_text=True)
    assert json.loads(body[body.index("Object.freeze(") + 14:body.rindex(");")]) == page_texts()
    assert client.get(url, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    assert client.get("/texts/vi.js").headers["Cache-Control"] == "public, max-age=300"  # unversioned: rechecked
    # the pages load it before their own scripts, so common.js's K.T finds the texts
    assert page.text.index(url) < page.text.index("</body>")


def test_the_rating_levels_read_as_the_server_names_them():
    from kiosk.queue.ratings import SCORES_VI  # the core keeps its own copy (it imports nothing of kiosk)

    assert {score: PAGES[f"rating.score.{score}"] for score in SCORES_VI} == SCORES_VI


def test_no_key_is_written_twice_in_the_catalogue():
    import ast
    from collections import Counter

    tree = ast.parse((KIOSK / "texts" / "vi_pages.py").read_text(encoding="utf-8"))
    keys = [k.value for node in ast.walk(tree) if isinstance(node, ast.Dict) for k in node.keys]
    assert [k for k, n in Counter(keys).items() if n > 1] == []  # a second one would silently win


def test_the_kiosk_session_shows_the_catalogue_s_sentences():
    """kiosk/session/flow.py's prompts, notices and tiles, and kiosk/pager/labels.py's refusals, are the catalogue's
    (English beside them stays there); only flow.py's consent text is kept in the code (its wording is versioned:
    [kiosk] consent_text_version)."""
    import ast

    from kiosk.pager import labels
    from kiosk.session import flow

    shown = [*flow.PROMPTS.values(), *flow.NOTICES.values(), *flow.TILE_LABELS.values(), flow.CONFIRM_PROMPT,
             flow.SERVICES_PROMPT_NAMED, flow.PAGER_PROMPT, *labels.REFUSALS.values()]  # a pager card read there
    assert [vi for vi, _en in shown if vi not in PAGES.values()] == []
    consent = " ".join(flow.CONSENT_TEXT.values())
    for path in (KIOSK / "session" / "flow.py", KIOSK / "pager" / "labels.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef)) and ast.get_docstring(node)}
        left = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
                and isinstance(node.value, str) and id(node) not in docstrings and _vietnamese(node.value)
                and node.value not in consent]
        assert left == [], f"Vietnamese left in {path.name} (move it to kiosk/texts/vi_pages.py): {left[:3]}"
