"""Protocol v1.1 decisions on the base-station side: the simulated base station (the reference for
firmware) over its real pty, the test playing the PC byte for byte; and the driver and simulator
together where the decision is about both (line noise, BUSY, pairing, UNPAIR)."""
from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator

import pytest
from pager_wire import BY_NAME, WirePeer, sent

from hardware.pager import config_keys
from hardware.pager.driver import PagerDriver
from hardware.pager.errors import PagerNakError
from hardware.pager.messages import (
    FLAG_FROM_BASE,
    BaseInfo,
    Frame,
    Hello,
    MsgType,
    NakBody,
    NakCode,
    Page,
)
from hardware.pager.simulator import PagerSimulator

pytestmark = pytest.mark.timeout(30)

NOISE = bytes(range(1, 256)) + bytes(range(1, 60))
FAST = {"ack_timeout": 0.1, "heartbeat_s": 0.3, "link_timeout": 3.0, "backoff_min": 0.05, "backoff_max": 0.3}


@pytest.fixture
def sim() -> Iterator[PagerSimulator]:
    simulator = PagerSimulator(cards=3, heartbeat_s=0.3, ack_timeout=0.1).start()
    yield simulator
    simulator.stop()


@pytest.fixture
def pc(sim: PagerSimulator) -> Iterator[WirePeer]:
    peer = WirePeer.serial(sim.url)
    yield peer
    peer.close()


class Asker:
    """The test as the PC: numbers its frames and waits for each answer."""

    def __init__(self, peer: WirePeer, seq: int = 0x60) -> None:
        self.peer = peer
        self.seq = seq

    def ask(self, msg_type: int, node: int = 0, body: bytes = b"", *, version: int = 1, flags: int = 0) -> Frame:
        seq = self.seq
        self.seq = (self.seq + 1) & 0xFF
        self.peer.send_frame(Frame(type=msg_type, node=node, seq=seq, body=body, version=version, flags=flags))
        return self.peer.expect_answer(seq)

    def nak(self, *args, **kwargs) -> int | None:
        """The NAK code of the answer, None for an ACK."""
        answer = self.ask(*args, **kwargs)
        return NakBody.unpack(answer.body).code if answer.type == MsgType.NAK else None

    def hello(self, session_id: int = 0x1111, window: int = 4) -> Frame:
        answer = self.ask(MsgType.HELLO, 0, Hello(session_id, window=window).pack())
        assert answer.type == MsgType.ACK, answer
        return answer


def page_body(page_id: int = 77, text: str = "", flags: int = 0) -> bytes:
    return Page(page_id=page_id, ticket="A001", counter=1, text=text, flags=flags).pack()


def test_not_ready_before_hello_is_the_golden_nak(pc: WirePeer) -> None:
    pc.send(sent("page"))
    nak = pc.expect_answer(1)
    assert NakBody.unpack(nak.body).code == NakCode.NOT_READY
    pc.wait_bytes(sent("nak_not_ready"))
    pc.send(sent("page"))  # not cached: still NOT_READY, and after HELLO the same frame is acted on
    pc.expect_answer(1)
    assert bytes(pc.raw).count(sent("nak_not_ready")) == 2


def test_hello_then_the_96_byte_page_is_the_golden_exchange(sim: PagerSimulator, pc: WirePeer) -> None:
    pc.send(sent("hello"))
    answer = pc.expect_answer(0)
    assert BaseInfo.unpack(answer.body).boot_id == sim.boot_id
    pc.send(sent("page_text_96"))
    pc.expect_answer(1)
    pc.wait_bytes(sent("page_ack"))  # the golden ACK: seq 1 about card 2
    assert sim.wait_until(lambda: [p.text for p in sim.pages(2)] == [BY_NAME["page_text_96"]["body"]["text"]], 2)


def test_base_frames_lead_with_a_delimiter(pc: WirePeer) -> None:
    pc.quiet(0.8)  # BOOT, heartbeats
    blocks = bytes(pc.raw).split(b"\x00")
    framed = [i for i, block in enumerate(blocks) if block]
    assert len(framed) >= 2 and all(i > 0 and blocks[i - 1] == b"" for i in framed)


def test_a_new_session_hello_is_never_answered_from_the_old_ring(pc: WirePeer) -> None:
    asker = Asker(pc)
    asker.hello(0xAAAA)
    reused = asker.seq
    assert asker.nak(MsgType.PAGE, 2, page_body()) is None  # ACK about card 2, stored under `reused`
    asker.seq = reused  # a restarted PC process happens to start at the same number
    answer = asker.ask(MsgType.HELLO, 0, Hello(0xBBBB).pack())
    assert (answer.type, answer.node) == (MsgType.ACK, 0)
    assert len(answer.body) == 11, "answered with the old session's ACK to the PAGE"
    # and the ring was cleared: the old PAGE's seq is acted on afresh in the new session
    asker.seq = reused
    assert asker.nak(MsgType.PAGE, 2, page_body(78)) is None


@pytest.mark.parametrize("body, code", [
    (struct.pack(">IBB", 1, 2, 4), NakCode.UNSUPPORTED_VERSION),
    (struct.pack(">IBB", 1, 1, 0), NakCode.BAD_VALUE),
    (struct.pack(">IBB", 1, 1, 17), NakCode.BAD_VALUE),
    (struct.pack(">IB", 1, 1), NakCode.BAD_LENGTH),
], ids=["version-2", "window-0", "window-17", "short"])
def test_a_bad_hello_is_refused_and_opens_no_session(pc: WirePeer, body: bytes, code: int) -> None:
    asker = Asker(pc)
    assert asker.nak(MsgType.HELLO, 0, body) == code
    assert asker.nak(MsgType.PAGE, 2, page_body()) == NakCode.NOT_READY


def test_echoed_and_foreign_version_frames(pc: WirePeer) -> None:
    asker = Asker(pc)
    asker.hello()
    # A frame with FROM_BASE set (our own echo) is never answered.
    pc.send_frame(Frame(type=MsgType.PAGE, node=2, seq=0x10, body=page_body(), flags=FLAG_FROM_BASE))
    # An unreliable type of another version is ignored; a reliable one gets UNSUPPORTED_VERSION.
    pc.send_frame(Frame(type=MsgType.HEARTBEAT, seq=0x11, body=b"\x00" * 9, version=2))
    pc.quiet(0.4)
    assert not [f for f in pc.frames if f.type in (MsgType.ACK, MsgType.NAK) and f.seq in (0x10, 0x11)]
    answer = asker.ask(MsgType.PAGE, 2, page_body(), version=2)
    assert (answer.version, NakBody.unpack(answer.body).code) == (1, NakCode.UNSUPPORTED_VERSION)


def test_page_refusals(sim: PagerSimulator, pc: WirePeer) -> None:
    asker = Asker(pc)
    asker.hello()
    assert asker.nak(MsgType.PAGE, 0, page_body()) == NakCode.BAD_VALUE
    assert asker.nak(MsgType.PAGE, 0xFFFF, page_body()) == NakCode.BAD_VALUE
    assert asker.nak(MsgType.PAGE, 9, page_body()) == NakCode.UNKNOWN_NODE
    zero_id = b"\x00\x00\x00\x00" + page_body()[4:]
    assert asker.nak(MsgType.PAGE, 2, zero_id) == NakCode.BAD_VALUE
    text_97 = page_body(80)[:-1] + bytes([97]) + "ồ".encode() * 32 + b"x"
    assert asker.nak(MsgType.PAGE, 2, text_97) == NakCode.BAD_LENGTH
    # Reserved page flag bits are ignored, like the header's: the page is shown.
    assert asker.nak(MsgType.PAGE, 2, page_body(81, "Mời", flags=0xFC | 0x01)) is None
    assert sim.wait_until(lambda: [(p.page_id, p.recall, p.test) for p in sim.pages(2)] == [(81, True, False)], 2)
    assert asker.nak(0x7E, 0, b"") == NakCode.UNKNOWN_TYPE
    assert asker.nak(MsgType.BUTTON, 2, b"\x00\x01\x01\x00\x00") == NakCode.UNKNOWN_TYPE  # wrong direction


def test_config_refusals(sim: PagerSimulator, pc: WirePeer) -> None:
    asker = Asker(pc)
    asker.hello()
    assert asker.nak(MsgType.CONFIG_GET, 0, b"\x7f") == NakCode.BAD_VALUE  # unknown key
    assert asker.nak(MsgType.CONFIG_SET, 0, b"\x7f\x01") == NakCode.BAD_VALUE
    assert asker.nak(MsgType.CONFIG_GET, 0, b"") == NakCode.BAD_LENGTH
    assert asker.nak(MsgType.CONFIG_SET, 0, b"\x01\x00\x03") == NakCode.BAD_LENGTH  # radio_channel is 1 byte
    assert asker.nak(MsgType.CONFIG_SET, 0, b"\x01\x10") == NakCode.BAD_VALUE  # 16 > 15
    card_min = config_keys.pack_config_value("card_id_min", 100)
    assert asker.nak(MsgType.CONFIG_SET, 0, card_min) == NakCode.BAD_VALUE  # above card_id_max 64
    beep = config_keys.pack_config_value("beep_volume", 1)
    assert asker.nak(MsgType.CONFIG_SET, 0xFFFF, beep) == NakCode.BAD_VALUE
    assert asker.nak(MsgType.CONFIG_SET, 9, beep) == NakCode.UNKNOWN_NODE
    assert asker.nak(MsgType.CONFIG_SET, 2, beep) is None
    # site_id: only with no card paired (cards and their labels carry the site), the same value is fine
    assert asker.nak(MsgType.CONFIG_SET, 0, config_keys.pack_config_value("site_id", 5)) == NakCode.BAD_VALUE
    assert asker.nak(MsgType.CONFIG_SET, 0, config_keys.pack_config_value("site_id", 1)) is None
    for card in (1, 2, 3):
        assert asker.nak(MsgType.UNPAIR, card) is None
    assert asker.nak(MsgType.CONFIG_SET, 0, config_keys.pack_config_value("site_id", 5)) is None
    assert asker.nak(MsgType.UNPAIR, 0) == NakCode.BAD_VALUE
    assert asker.nak(MsgType.UNPAIR, 2) == NakCode.UNKNOWN_NODE


def test_a_final_nak_of_a_button_ends_it(sim: PagerSimulator, pc: WirePeer) -> None:
    asker = Asker(pc)
    asker.hello()
    press_id = sim.press(1, "next")
    button = pc.expect(lambda f: f.type == MsgType.BUTTON)
    pc.send_frame(Frame(type=MsgType.NAK, node=button.node, seq=button.seq, body=bytes([NakCode.BAD_LENGTH])))
    pc.quiet(0.6)  # the base retransmits after 0.1 s if it kept the frame
    assert [f.seq for f in pc.frames if f.type == MsgType.BUTTON] == [button.seq]
    assert press_id in sim.cards[1].confirmed and sim.idle


def test_a_frame_right_after_line_noise_reaches_the_base_first_time(sim: PagerSimulator) -> None:
    """The leading 0x00 the driver now writes: 314 bytes of noise at the base's receiver, then a request;
    the base acts on the first transmission (no retransmission by the driver)."""
    driver = PagerDriver(sim.url, **FAST).start()
    try:
        assert driver.wait_link(5)
        time.sleep(0.2)
        before = driver.stats["retransmits"], sim.stats["rx_frames"]
        sim.line_noise(NOISE)
        assert driver.config_get("radio_channel", timeout=2) == 3
        assert driver.stats["retransmits"] == before[0]
        sim.line_noise(NOISE, to_pc=True)  # and the other way: the base's next frame still arrives
        sim.press(1, "finish")
        assert sim.wait_until(lambda: sim.idle, 2)
        assert sim.stats["rx_frames"] > before[1]
    finally:
        driver.stop()


def test_busy_for_longer_than_the_retry_limit_does_not_reset_the_link() -> None:
    """The driver counted BUSY answers as silence and reset the link after 6 of them (0.7 s of a full
    base station); a BUSY base is alive, so the page just waits for a slot."""
    simulator = PagerSimulator(cards=[5], queue_slots=1, radio_delay_s=1.0, heartbeat_s=0.3).start()
    try:
        driver = PagerDriver(simulator.url, **{**FAST, "max_retries": 6}).start()
        try:
            assert driver.wait_link(5)
            ids = [driver.page(5, f"D{n:03d}", 1) for n in range(3)]
            assert all(driver.wait_page(page_id, 6) == "delivered" for page_id in ids)
            assert [page.page_id for page in simulator.pages(5)] == ids
            assert driver.stats["connects"] == 1
        finally:
            driver.stop()
    finally:
        simulator.stop()


def test_pairing_windows(sim: PagerSimulator) -> None:
    results: list[tuple[int, int, int]] = []
    cards: list[tuple[int, dict]] = []
    driver = PagerDriver(sim.url, on_pair_result=lambda *args: results.append(args),
                         on_card_status=lambda *args: cards.append(args), **FAST).start()
    try:
        assert driver.wait_link(5)
        driver.start_pairing(17)  # window_s 0: the base's pairing_window_s (60 s by default)
        card, left = sim.pairing
        assert card == 17 and 55 < left <= 60
        driver.config_set("pairing_window_s", 10)
        driver.start_pairing(18)  # a second window replaces the first, which ends as TIMEOUT at once
        assert sim.wait_until(lambda: results == [(17, 1, 0)], 2)
        card, left = sim.pairing
        assert card == 18 and 5 < left <= 10
        driver.start_pairing(18, window_s=300)  # the same id again: the window restarts
        assert 290 < sim.pairing[1] <= 300
        for taken in (2, 100, 0):  # paired already, outside card_id_min..max, the base station itself
            with pytest.raises(PagerNakError) as refused:
                driver.start_pairing(taken)
            assert refused.value.code == NakCode.BAD_VALUE
        assert sim.join_card(0x5A0000AA) == 18
        assert sim.wait_until(lambda: results[-1] == (18, 0, 0x5A0000AA), 2)
        assert len(results) == 2
        assert sim.wait_until(lambda: [(c, i["online"]) for c, i in cards] == [(18, True)], 2)  # first heard
    finally:
        driver.stop()


def test_unpair_ends_the_cards_queued_pages_at_once() -> None:
    simulator = PagerSimulator(cards=3, heartbeat_s=0.3, radio_retry_s=30.0).start()
    statuses: list[tuple[int, int, str]] = []
    lock = threading.Lock()

    def note(*args) -> None:
        with lock:
            statuses.append(args)

    try:
        driver = PagerDriver(simulator.url, on_page_status=note, **FAST).start()
        try:
            assert driver.wait_link(5)
            simulator.set_in_range(3, False)
            page_id = driver.page(3, "C001", 2)
            assert simulator.wait_until(lambda: driver.page_status(page_id) == "sent", 2)
            driver.unpair(3)
            assert driver.wait_page(page_id, 2) == "unreachable"
            time.sleep(0.3)
            with lock:
                assert [s for pid, _, s in statuses if pid == page_id] == ["sent", "unreachable"]
            assert simulator.wait_until(lambda: simulator.idle, 2)
        finally:
            driver.stop()
    finally:
        simulator.stop()


def test_an_offline_card_status_has_the_golden_body(sim: PagerSimulator, pc: WirePeer) -> None:
    Asker(pc).hello()
    sim.set_in_range(3, False)
    status = pc.expect(lambda f: f.type == MsgType.CARD_STATUS)
    assert status.node == 3
    assert status.body == bytes.fromhex(BY_NAME["card_status_offline"]["body_hex"].replace(" ", ""))
    assert pc.expect(lambda f: f.type == MsgType.CARD_STATUS, timeout=1.0).seq == status.seq  # not ACKed: again


def test_a_page_that_expires_while_the_base_is_busy_is_no_longer_sent() -> None:
    """With BUSY no longer resetting the link, a page can be refused for as long as the base is full;
    when it expires (reported unreachable) the driver stops retransmitting it, so it can never turn up
    on a card after the screens were told it did not."""
    simulator = PagerSimulator(cards=[5], queue_slots=1, radio_delay_s=3.0, heartbeat_s=0.3).start()
    tries: list[int] = []
    simulator.frame_hook = lambda frame, at: tries.append(Page.unpack(frame.body).page_id) \
        if frame.type == MsgType.PAGE else None
    try:
        driver = PagerDriver(simulator.url, **{**FAST, "page_expiry": 1.0}).start()
        try:
            assert driver.wait_link(5)
            driver.page(5, "E001", 1)  # takes the only slot for 3 s
            second = driver.page(5, "E002", 1)  # BUSY, retransmitted every 100 ms, until it expires
            assert driver.wait_page(second, 3) == "unreachable"
            time.sleep(0.2)
            sent_before = tries.count(second)
            assert sent_before >= 3
            time.sleep(0.6)
            assert tries.count(second) == sent_before
        finally:
            driver.stop()
    finally:
        simulator.stop()
