"""The CLI's public commands and the configuration layers."""
from __future__ import annotations

import os
import subprocess

import pytest
from server_process import KIOSK

from kiosk.config.core import Config, ConfigError


def test_token_create_prints_one_token_and_it_works(tmp_path):
    out = subprocess.run([str(KIOSK), "token", "create", "--role", "kiosk", "--data-dir", str(tmp_path)],
                         capture_output=True, text=True, check=True).stdout
    lines = out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("kt_")
    from kiosk.accounts.registry import token_principal
    from kiosk.store import open_store

    store = open_store(tmp_path)
    assert token_principal(store.conn(), lines[0]).role == "kiosk"
    store.close()


def test_token_create_bad_counter_is_a_usage_error(tmp_path):
    r = subprocess.run([str(KIOSK), "token", "create", "--role", "officer", "--counter", "42", "--data-dir",
                        str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "no counter number 42" in r.stderr and r.stdout == ""


def test_config_layers(tmp_path):
    f = tmp_path / "kiosk.toml"
    f.write_text('[kiosk]\nport = 9000\npriority_policy = "interleave"\ncentre_name = "UBND phường Hà Đông"\n')
    cfg = Config.load(f, env={"KIOSK_PORT": "9100", "KIOSK_DISPLAY_PUBLIC": "false"}, data_dir=str(tmp_path))
    assert cfg.port == 9100 and cfg.priority_policy == "interleave" and cfg.display_public is False
    assert cfg.centre_name == "UBND phường Hà Đông" and cfg.data_dir == tmp_path


@pytest.mark.parametrize("content,message", [
    ("port = 'abc'", "port"),
    ("port = 70000", "port"),
    ("priority_policy = 'vip'", "priority_policy"),
    ("display_public = 'maybe'", "display_public"),
    ("this is not toml", "not valid TOML"),
])
def test_bad_config_is_a_clear_error(tmp_path, content, message):
    f = tmp_path / "bad.toml"
    f.write_text(content)
    with pytest.raises(ConfigError, match=message):
        Config.load(f, env={})


def test_serve_with_bad_config_exits_with_message(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("port = 'abc'")
    r = subprocess.run([str(KIOSK), "serve", "--config", str(f), "--data-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "port" in r.stderr


def test_newer_schema_refused(tmp_path):
    from kiosk.store import open_store

    store = open_store(tmp_path)
    with store.transaction() as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (999, 'future', 0)")
    store.close()
    with pytest.raises(RuntimeError, match="newer"):
        open_store(tmp_path)


def test_serve_with_bad_device_table_exits_with_message(tmp_path):
    f = tmp_path / "bad.toml"
    f.write_text("[pager]\nurl = 5\n")
    r = subprocess.run([str(KIOSK), "serve", "--config", str(f), "--data-dir", str(tmp_path)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2 and "[pager] url" in r.stderr


@pytest.mark.parametrize("content, env, message", [
    ("[appointments]\nslot_minute = 20\n", {},
     "Error: [appointments] slot_minute: unknown setting (known: book_address_window_minutes, book_days_ahead,"),
    ('[appointments]\nopening_hours = "07:30-11:30"\n', {},
     'Error: [appointments] opening_hours: must be a list of "HH:MM-HH:MM" spans, not a string'),
    ("[vision]\nbackoff_initial_s = 5\nbackoff_max_s = 1\n", {},
     "Error: [vision] backoff_max_s: must be at least backoff_initial_s"),
    ("[pager]\nofficer_cards = { 101 = 1 }\n", {}, "Error: [pager] officer_cards: card 101 lies in the citizen_cards"),
    ("port = 9000\n", {"KIOSK_PORT": "abc"}, 'Error: [kiosk] port: must be a whole number, not "abc" (from KIOSK_PORT)'),
    ("", {"KIOSK_VISION_ENABLED": "maybe"}, "Error: [vision] enabled: KIOSK_VISION_ENABLED must be 0 or 1"),
])
def test_serve_refuses_a_bad_table_before_anything_starts(tmp_path, content, env, message):
    config = tmp_path / "kiosk.toml"
    config.write_text(content, encoding="utf-8")
    data = tmp_path / "data"
    r = subprocess.run([str(KIOSK), "serve", "--config", str(config), "--data-dir", str(data)],
                       capture_output=True, text=True, timeout=60, env={**os.environ, **env})
    assert r.returncode == 2, r.stderr
    assert message in r.stderr and r.stdout == ""
    assert "Traceback" not in r.stderr and "pydantic" not in r.stderr and "Usage:" not in r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kiosk.toml"]  # no data dir, no database, no log


def test_serve_lists_every_problem_on_its_own_line(tmp_path):
    config = tmp_path / "kiosk.toml"
    config.write_text('port = 0\n[voice]\nrepeat = 9\n[appointments]\nslot_minute = 20\n', encoding="utf-8")
    r = subprocess.run([str(KIOSK), "serve", "--config", str(config), "--data-dir", str(tmp_path / "data")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert r.stderr.splitlines() == [
        "Error: 3 problems in the configuration:",
        "  [kiosk] port: must be between 1 and 65535, not 0",
        "  [voice] repeat: must be between 1 and 5, not 9",
        "  [appointments] slot_minute: unknown setting (known: book_address_window_minutes, book_days_ahead, "
        "book_id_window_hours, book_per_address, book_per_id, cancel_address_window_minutes, "
        "cancel_code_window_hours, cancel_failures_per_address, cancel_failures_per_code, capacity, "
        "early_minutes, late_minutes, opening_hours, slot_minutes, weekdays)",
    ]
    assert not (tmp_path / "data").exists()


def test_port_option_is_checked_like_the_file(tmp_path):
    r = subprocess.run([str(KIOSK), "serve", "--port", "70000", "--data-dir", str(tmp_path / "data")],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "[kiosk] port: must be between 1 and 65535, not 70000" in r.stderr
    assert not (tmp_path / "data").exists()
