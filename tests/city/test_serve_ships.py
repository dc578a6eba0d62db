"""The real `kiosk serve` (gevent) with a [city] dsn ships in the background and stays quick meanwhile."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import requests
from centres import assert_city_equals_centre, centre_rows

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/server_process.py
from server_process import ServerProcess, create_token  # noqa: E402
from test_resilience import site_state, wait_for  # noqa: E402


def test_kiosk_serve_ships_its_events(city_dsn, centres, tmp_path):
    site, data = "long-bien", centres["long-bien"]
    conf = tmp_path / "kiosk.toml"
    conf.write_text(f'[city]\ndsn = "{city_dsn}"\nsite_code = "{site}"\nsite_name = "Phường Long Biên"\n'
                    "interval_s = 1\nbatch_size = 200\n", encoding="utf-8")
    token = create_token(data, "kiosk")
    server = ServerProcess(data, demo=False, extra_args=["--config", str(conf)]).start()
    try:
        newest = max(r["id"] for r in centre_rows(data, "events", "id"))
        slowest = 0.0
        deadline = time.monotonic() + 60
        while (site_state(city_dsn, site) or (0, 0))[1] < newest and time.monotonic() < deadline:
            t = time.monotonic()
            assert requests.get(server.url + "/healthz", timeout=5).ok
            slowest = max(slowest, time.monotonic() - t)
            time.sleep(0.02)
        assert site_state(city_dsn, site)[1] >= newest
        assert slowest < 1.0  # the catch-up never stalled the service
        issued = requests.post(server.url + "/api/v1/tickets", json={"service": "HT"},
                               headers={"Authorization": f"Bearer {token}"}, timeout=5)
        assert issued.status_code == 201, issued.text
        assert wait_for(lambda: site_state(city_dsn, site)[1] > newest, timeout=30)
    finally:
        t = time.monotonic()
        server.stop()
        assert server.proc.returncode == 0 and time.monotonic() - t < 6
    log = Path(server.log.name).read_text(errors="replace")
    assert "city shipping to postgresql://postgres@127.0.0.1" in log and "Traceback" not in log, log[-3000:]
    assert_city_equals_centre(city_dsn, data, site)
