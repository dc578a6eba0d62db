"""Driver + simulator end to end over a real pty (and socket://), with faults, unplugs and reboots."""
from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator

import pytest

from hardware.pager.driver import PagerDriver
from hardware.pager.errors import FrameError, PagerNakError
from hardware.pager.simulator import FaultConfig, PagerSimulator

pytestmark = pytest.mark.timeout(60)

FAST = {"ack_timeout": 0.1, "heartbeat_s": 0.3, "link_timeout": 1.5, "page_timeout": 1.0, "page_attempts": 10,
        "backoff_min": 0.05, "backoff_max": 0.3, "max_retries": 8}
BUTTONS = ("next", "recall", "no_show", "finish")


class Recorder:
    """Collects every callback of a driver."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.buttons: list[tuple[int, str]] = []
        self.statuses: list[tuple[int, int, str]] = []
        self.links: list[str] = []

    def kwargs(self) -> dict:
        return {"on_button": self.on_button, "on_page_status": self.on_page_status, "on_link": self.links.append}

    def on_button(self, card_id: int, button: str) -> None:
        with self.lock:
            self.buttons.append((card_id, button))

    def on_page_status(self, page_id: int, card_id: int, status: str) -> None:
        with self.lock:
            self.statuses.append((page_id, card_id, status))

    def final(self, page_id: int) -> list[str]:
        with self.lock:
            return [status for pid, _, status in self.statuses if pid == page_id]


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture
def sim() -> Iterator[PagerSimulator]:
    simulator = PagerSimulator(cards=3, heartbeat_s=0.3, ack_timeout=0.1).start()
    yield simulator
    simulator.stop()


def start_driver(url: str, recorder: Recorder, **overrides) -> PagerDriver:
    driver = PagerDriver(url, **recorder.kwargs(), **{**FAST, **overrides}).start()
    assert driver.wait_link(5), "link did not come up"
    return driver


def run_traffic(simulator: PagerSimulator, driver: PagerDriver, recorder: Recorder, count: int,
                unplug_at: int | None, reboot: bool) -> tuple[dict[int, int], dict[int, list[str]]]:
    pages: dict[int, int] = {}
    pressed: dict[int, list[str]] = defaultdict(list)
    for i in range(count):
        card = i % 3 + 1
        pages[driver.page(card, f"A{i:03d}", counter=card, text=f"Mời quầy {card}")] = card
        press_card = (i + 1) % 3 + 1
        button = BUTTONS[i % 4]
        simulator.press(press_card, button)
        pressed[press_card].append(button)
        if i == unplug_at:
            simulator.unplug(0.4, reboot=reboot)
        time.sleep(0.02)
    done = wait_for(lambda: all(driver.page_status(pid) in ("delivered", "unreachable") for pid in pages)
                    and simulator.idle and len(recorder.buttons) >= count, 40)
    assert done, f"traffic did not settle: {driver.stats} {simulator.stats}"
    time.sleep(0.3)  # late duplicates, if the protocol let any through, would arrive now
    return pages, pressed


def check_exactly_once(simulator: PagerSimulator, recorder: Recorder, pages: dict[int, int],
                       pressed: dict[int, list[str]]) -> None:
    for page_id in pages:
        assert recorder.final(page_id) == ["sent", "delivered"], page_id
    for card in (1, 2, 3):
        shown = [page.page_id for page in simulator.pages(card)]
        expected = [pid for pid, target in pages.items() if target == card]
        assert len(shown) == len(set(shown)), f"card {card} showed a page twice"
        assert sorted(shown) == sorted(expected)
        got = [button for card_id, button in recorder.buttons if card_id == card]
        assert got == pressed[card], f"card {card}: presses lost, doubled or reordered"
    assert Counter(card for card, _ in recorder.buttons) == Counter({c: len(b) for c, b in pressed.items()})


def test_exactly_once_over_pty_with_faults_and_an_unplug(sim: PagerSimulator) -> None:
    recorder = Recorder()
    driver = start_driver(sim.url, recorder)
    try:
        faults = FaultConfig(drop=0.1, corrupt=0.1, duplicate=0.05, delay=0.05, delay_s=0.03, seed=4)
        sim.set_faults(faults)
        pages, pressed = run_traffic(sim, driver, recorder, count=30, unplug_at=14, reboot=True)
        check_exactly_once(sim, recorder, pages, pressed)
        # The faults really happened, and the unplug was seen as a lost port and a rebooted base station.
        assert sim.stats["dropped"] > 0 and sim.stats["corrupted"] > 0 and sim.stats["duplicated"] > 0
        assert driver.stats["connects"] >= 2 and driver.stats["reboots_seen"] >= 1
        assert "down" in recorder.links and recorder.links[-1] == "up"
    finally:
        driver.stop()


def test_exactly_once_over_socket_with_faults_and_a_disconnect() -> None:
    simulator = PagerSimulator(cards=3, transport="tcp", heartbeat_s=0.3, ack_timeout=0.1,
                               faults=FaultConfig(drop=0.1, corrupt=0.1, duplicate=0.1, seed=9)).start()
    recorder = Recorder()
    try:
        assert simulator.url.startswith("socket://")
        driver = start_driver(simulator.url, recorder)
        try:
            # No reboot: the base station keeps its session and dedup memory across the disconnect.
            pages, pressed = run_traffic(simulator, driver, recorder, count=20, unplug_at=9, reboot=False)
            check_exactly_once(simulator, recorder, pages, pressed)
            assert driver.stats["reboots_seen"] == 0 and driver.stats["connects"] >= 2
        finally:
            driver.stop()
    finally:
        simulator.stop()


def test_base_station_reboot_mid_traffic(sim: PagerSimulator) -> None:
    recorder = Recorder()
    driver = start_driver(sim.url, recorder)
    try:
        first = driver.page(1, "B001", 1)
        assert driver.wait_page(first, 3) == "delivered"
        old_boot = sim.boot_id
        sim.reboot()
        pressed = sim.press(2, "recall")
        second = driver.page(2, "B002", 2)
        assert driver.wait_page(second, 5) == "delivered"
        assert wait_for(lambda: recorder.buttons == [(2, "recall")], 5)
        assert sim.boot_id != old_boot and driver.base_info.boot_id == sim.boot_id
        assert driver.stats["reboots_seen"] == 1
        assert pressed in sim.cards[2].confirmed
    finally:
        driver.stop()


def test_out_of_range_card_is_unreachable_and_its_presses_wait(sim: PagerSimulator) -> None:
    recorder = Recorder()
    driver = start_driver(sim.url, recorder, page_attempts=1)
    try:
        sim.set_in_range(3, False)
        page_id = driver.page(3, "C007", 4)
        assert driver.wait_page(page_id, 5) == "unreachable"
        assert wait_for(lambda: recorder.final(page_id) == ["sent", "unreachable"], 2)
        assert sim.pages(3) == []
        sim.press(3, "finish")
        time.sleep(0.3)
        assert recorder.buttons == []
        sim.set_in_range(3, True)
        assert wait_for(lambda: recorder.buttons == [(3, "finish")], 5)
    finally:
        driver.stop()


def test_unknown_card_is_unreachable_at_once(sim: PagerSimulator) -> None:
    recorder = Recorder()
    driver = start_driver(sim.url, recorder)
    try:
        page_id = driver.page(99, "A001", 1)
        assert driver.wait_page(page_id, 3) == "unreachable"
        assert wait_for(lambda: recorder.final(page_id) == ["unreachable"], 2)
    finally:
        driver.stop()


def test_busy_base_station_gets_every_page_in_order() -> None:
    simulator = PagerSimulator(cards=[5], queue_slots=1, radio_delay_s=0.05).start()
    recorder = Recorder()
    try:
        driver = start_driver(simulator.url, recorder)
        try:
            ids = [driver.page(5, f"D{n:03d}", 1) for n in range(6)]
            assert all(driver.wait_page(page_id, 5) == "delivered" for page_id in ids)
            assert [page.page_id for page in simulator.pages(5)] == ids
        finally:
            driver.stop()
    finally:
        simulator.stop()


def test_config_get_set_and_refusals(sim: PagerSimulator) -> None:
    driver = start_driver(sim.url, Recorder())
    try:
        assert driver.config_get("radio_channel") == 3
        driver.config_set("radio_channel", 9)
        assert driver.config_get("radio_channel") == 9
        driver.config_set("card_heartbeat_s", 120, node=2)
        assert driver.config_get("card_heartbeat_s", node=2) == 120
        with pytest.raises(PagerNakError) as refused:
            driver.config_set("card_heartbeat_s", 120, node=0)  # a card setting sent to the base
        assert refused.value.code == 6
        with pytest.raises(FrameError, match="radio_channel"):
            driver.config_set("radio_channel", 99)
        with pytest.raises(FrameError, match="unknown config key"):
            driver.config_get("colour")
    finally:
        driver.stop()


def test_pairing_a_new_card(sim: PagerSimulator) -> None:
    results: list[tuple[int, int, int]] = []
    driver = PagerDriver(sim.url, on_pair_result=lambda *args: results.append(args), **FAST).start()
    try:
        assert driver.wait_link(5)
        driver.start_pairing(17, window_s=10)
        assert sim.join_card(0x5A000011) == 17
        assert wait_for(lambda: results == [(17, 0, 0x5A000011)], 3)
        assert driver.wait_page(driver.page(17, "E001", 2), 3) == "delivered"
        driver.unpair(17)
        with pytest.raises(PagerNakError):
            driver.unpair(17)
    finally:
        driver.stop()


def test_a_failing_callback_does_not_stop_the_link(sim: PagerSimulator) -> None:
    seen: list[str] = []

    def broken(card_id: int, button: str) -> None:
        seen.append(button)
        raise RuntimeError("officer console is down")

    driver = PagerDriver(sim.url, on_button=broken, **FAST).start()
    try:
        assert driver.wait_link(5)
        sim.press(1, "next")
        sim.press(1, "finish")
        assert wait_for(lambda: seen == ["next", "finish"], 3)
        assert driver.wait_page(driver.page(1, "A002", 1), 3) == "delivered"
    finally:
        driver.stop()


def test_missing_port_keeps_trying_then_expires_pages(tmp_path) -> None:
    recorder = Recorder()
    driver = PagerDriver(str(tmp_path / "no-such-tty"), **recorder.kwargs(), **{**FAST, "page_expiry": 0.5}).start()
    try:
        page_id = driver.page(1, "A001", 1)
        assert not driver.wait_link(0.3)
        assert driver.wait_page(page_id, 3) == "unreachable"
    finally:
        started = time.monotonic()
        driver.stop()
        assert time.monotonic() - started < 1.5


def test_driver_finds_the_base_station_again_by_symlink(tmp_path) -> None:
    link = tmp_path / "kiosk-pager"
    simulator = PagerSimulator(cards=2, link_path=link, heartbeat_s=0.3, ack_timeout=0.1).start()
    recorder = Recorder()
    driver = PagerDriver(None, symlinks=[str(link)], usb_ids=[], **recorder.kwargs(), **FAST).start()
    try:
        assert driver.wait_link(5) and driver.port_name == str(link)
        simulator.unplug(0.3)
        assert wait_for(lambda: "down" in recorder.links, 3)
        assert wait_for(lambda: recorder.links[-1] == "up", 5)
        assert driver.wait_page(driver.page(2, "A009", 2), 3) == "delivered"
    finally:
        driver.stop()
        simulator.stop()


def test_page_rejects_bad_input_without_queueing(sim: PagerSimulator) -> None:
    driver = PagerDriver(sim.url, **FAST)
    with pytest.raises(FrameError, match="card_id"):
        driver.page(0, "A001", 1)
    with pytest.raises(FrameError, match="ticket"):
        driver.page(1, "A 01", 1)
    with pytest.raises(ValueError):
        PagerDriver(sim.url, window=0)
