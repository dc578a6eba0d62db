"""The CLI's public commands and the configuration layers."""
from __future__ import annotations

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
