"""The house's rules (DESIGN.md, README "Layout"): rooms for what they hold, imports one way."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_the_package_root_holds_only_the_factory():
    loose = {p.name for p in (ROOT / "kiosk").glob("*.py")}
    assert loose <= {"__init__.py", "app.py", "__main__.py"}, loose


def test_the_queue_imports_no_other_part():
    for path in _files("kiosk/queue"):
        bad = {n for n in _imports(path) if n.startswith("kiosk.") and not n.startswith("kiosk.queue")}
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


def test_vision_and_hardware_know_nothing_of_flask_or_the_service_web():
    for folder in ("kiosk/vision", "hardware"):
        for path in _files(folder):
            bad = {n for n in _imports(path) if n.split(".")[0] in ("flask", "flask_socketio")
                   or n.startswith("kiosk.web")}
            assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"
    for path in _files("hardware"):
        assert not {n for n in _imports(path) if n.split(".")[0] == "kiosk"}, path


def test_nothing_below_the_web_layer_imports_it():
    for path in _files("kiosk"):
        rel = path.relative_to(ROOT).as_posix()
        # the city dashboard is a web layer of its own (it reuses the centre's error shape and headers)
        if rel.startswith(("kiosk/web/", "kiosk/cli/", "kiosk/city/dashboard/")) or \
                rel in ("kiosk/app.py", "kiosk/city/app.py"):
            continue
        bad = {n for n in _imports(path) if n.startswith("kiosk.web")}
        assert not bad, f"{rel} imports {sorted(bad)}"
