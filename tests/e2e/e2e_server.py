"""The real service (`kiosk serve --demo`, gevent) in its own process group, with known logins.

The store is seeded in this process first (kiosk.demo.seed_demo returns the demo passwords), so the
server's own --demo seeding finds it full and only opens the counters; the tests then know every login.
"""
from __future__ import annotations

from pathlib import Path

import requests
from server_process import ServerProcess

from kiosk.accounts import registry as accounts
from kiosk.demo.centre import seed_demo
from kiosk.store import open_store


def _toml(value: float | int | str | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return repr(value)


class LiveServer(ServerProcess):
    """One demo centre on 127.0.0.1:PORT whose logins the tests know; start(), kill() (SIGKILL), stop()."""

    def __init__(self, data_dir: Path, vision: dict[str, float | int | str | bool] | None = None) -> None:
        """``vision``: None = no camera kiosk (its session overlay would cover the tiles most tests click);
        a dict = the demo camera on, with these ``[vision]`` settings (written to a config file)."""
        if vision is None:
            super().__init__(data_dir, demo=True, env={"KIOSK_VISION_ENABLED": "0"})
        else:
            config = data_dir.parent / f"vision-{data_dir.name}.toml"
            lines = ["[vision]"] + [f"{k} = {_toml(v)}" for k, v in vision.items()]
            config.write_text("\n".join(lines) + "\n", encoding="utf-8")
            super().__init__(data_dir, demo=True, env={"KIOSK_VISION_ENABLED": "1"},
                             extra_args=["--config", str(config)])
        store = open_store(data_dir)
        try:
            self.logins = seed_demo(store) or {}
            with store.transaction() as conn:
                self.tokens = {
                    "admin": accounts.create_token(conn, "admin", label="e2e admin"),
                    **{f"officer{n}": accounts.create_token(conn, "officer", counter=n, label=f"e2e {n}")
                       for n in range(1, 7)},
                }
        finally:
            store.close()

    def api(self, method: str, path: str, token: str, body: dict | None = None) -> requests.Response:
        """Call /api/v1 with a bearer token."""
        return requests.request(method, self.url + "/api/v1" + path, json=body, timeout=5,
                                headers={"Authorization": f"Bearer {token}"})

    def issue(self, service: str, priority: str = "normal") -> dict:
        r = self.api("POST", "/tickets", self.logins["kiosk-token"], {"service": service, "priority": priority})
        r.raise_for_status()
        return r.json()
