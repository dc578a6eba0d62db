"""Protocol v1.1 decisions on the PC side: the real PagerDriver over a real pty, the test playing the base
station byte for byte with the golden frames of firmware_config/test_vectors/frames.json."""
from __future__ import annotations

import threading
import time
import unicodedata
from collections.abc import Iterator

import pytest
from pager_wire import BY_NAME, WirePeer, collect, sent, wire

from hardware.pager.driver import PagerDriver
from hardware.pager.errors import FrameError
from hardware.pager.messages import (
    FLAG_FROM_BASE,
    BaseInfo,
    Frame,
    MsgType,
    NakBody,
    NakCode,
    decode_frame,
    encode_frame,
)

pytestmark = pytest.mark.timeout(30)

NOISE = bytes(range(1, 256)) + bytes(range(1, 60))  # 314 bytes without 0x00: more than any frame (249)
TEXT_96 = BY_NAME["page_text_96"]["body"]["text"]


class Calls:
    def __init__(self) -> None:
        self.buttons: list[tuple[int, str]] = []
        self.cards: list[tuple[int, dict]] = []
        self.pairs: list[tuple[int, int, int]] = []

    def kwargs(self) -> dict:
        def note(target: list):
            return lambda *args: target.append(args)
        return {"on_button": note(self.buttons), "on_card_status": note(self.cards),
                "on_pair_result": note(self.pairs)}

    def wait(self, predicate, timeout: float = 3.0) -> bool:
        return _wait(predicate, timeout)


@pytest.fixture
def base() -> Iterator[WirePeer]:
    peer = WirePeer.pty()
    yield peer
    peer.close()


def connect(base: WirePeer, calls: Calls | None = None, **kwargs) -> PagerDriver:
    """A driver whose first frame is the golden 'hello' (session 0x12345678, seq 0), answered with the
    golden 'hello_ack'."""
    options = {"first_seq": 0, "ack_timeout": 0.2, "heartbeat_s": 0.3, "link_timeout": 10.0, **kwargs}
    driver = PagerDriver(base.url, **(calls.kwargs() if calls else {}), **options)
    driver.session_id = 0x12345678
    driver.start()
    base.expect(lambda f: f.type == MsgType.HELLO, what="HELLO")
    base.wait_bytes(sent("hello"))
    base.send(sent("hello_ack"))
    assert driver.wait_link(3)
    return driver


def ack(frame: Frame, body: bytes = b"") -> bytes:
    return b"\x00" + encode_frame(Frame(type=MsgType.ACK, node=frame.node, seq=frame.seq, body=body,
                                        flags=FLAG_FROM_BASE))


def test_every_frame_the_driver_writes_starts_with_a_delimiter(base: WirePeer) -> None:
    driver = connect(base)
    try:
        base.quiet(0.7)  # HELLO, heartbeats
        blocks = bytes(base.raw).split(b"\x00")
        assert blocks[0] == b"", "the first byte on the wire is 0x00"
        framed = [i for i, block in enumerate(blocks) if block]
        assert len(framed) >= 3
        assert all(blocks[i - 1] == b"" for i in framed), "a frame followed the previous one without its own 0x00"
    finally:
        driver.stop()


def test_a_frame_right_after_long_garbage_reaches_the_base(base: WirePeer) -> None:
    """Section 2 vs the checklist: > 249 bytes of noise, then the driver's frame. The noise ends at the
    frame's leading 0x00, so the base's receiver (the reference FrameProtocol) gets the frame; the v1.0
    form (no leading 0x00) loses it."""
    driver = connect(base, first_page_id=1000)
    try:
        driver.page(2, "A015", 3, "Mời quầy 3")
        base.expect(lambda f: f.type == MsgType.PAGE)
        base.wait_bytes(sent("page"))  # the golden 'page' frame, with the leading delimiter
        received = collect(NOISE + sent("page"))
        assert [(f.type, f.node, f.seq) for f in received.frames] == [(MsgType.PAGE, 2, 1)]
        assert len(received.errors) == 1  # the noise, dropped and counted
        assert collect(NOISE + wire("page")).frames == []  # what a v1.0 sender lost
    finally:
        driver.stop()


def test_the_driver_hears_a_frame_right_after_long_garbage(base: WirePeer) -> None:
    calls = Calls()
    driver = connect(base, calls)
    try:
        base.send(NOISE + sent("button_seq_255"))
        assert calls.wait(lambda: calls.buttons == [(4, "next")])
        answer = base.expect_answer(255)
        assert (answer.type, answer.node) == (MsgType.ACK, 4)
    finally:
        driver.stop()


@pytest.mark.parametrize("incoming, answer, code", [
    ("button_version_2", "nak_unsupported_version", NakCode.UNSUPPORTED_VERSION),
    ("max_payload_unknown_type", "nak_unknown_type", NakCode.UNKNOWN_TYPE),
    ("button_bad_length", "nak_bad_length", NakCode.BAD_LENGTH),
])
def test_the_driver_refuses_with_the_golden_nak(base: WirePeer, incoming: str, answer: str, code: int) -> None:
    calls = Calls()
    driver = connect(base, calls)
    try:
        base.send(sent(incoming))
        seq = BY_NAME[incoming]["header"]["seq"]
        nak = base.expect_answer(seq)
        assert nak.type == MsgType.NAK and NakBody.unpack(nak.body).code == code
        base.wait_bytes(sent(answer))
        base.send(sent(incoming))  # a retransmission gets the same answer, and nothing happens
        base.expect_answer(seq)
        assert bytes(base.raw).count(sent(answer)) == 2
        base.quiet(0.2)
        assert calls.buttons == []
    finally:
        driver.stop()


def test_the_longest_frame_is_received_and_one_byte_more_is_not(base: WirePeer) -> None:
    block = wire("max_payload_unknown_type")[:-1]
    assert len(block) == 249
    assert decode_frame(block).type == 0x7E
    assert collect(b"\x00" + block + b"\x00").frames
    longer = collect(b"\x00" + b"\x11" + block + b"\x00")
    assert longer.frames == [] and "249" in str(longer.errors[0])


def test_not_ready_makes_the_driver_say_hello_and_send_the_same_page_again(base: WirePeer) -> None:
    driver = connect(base, first_page_id=1000)
    try:
        page_id = driver.page(2, "A015", 3, "Mời quầy 3")
        base.expect(lambda f: f.type == MsgType.PAGE)
        base.wait_bytes(sent("page"))
        base.send(sent("nak_not_ready"))  # as if the base had rebooted and not seen our HELLO yet
        hello = base.expect(lambda f: f.type == MsgType.HELLO, what="a new HELLO")
        assert hello.seq == 2
        info = BaseInfo(0xCAFEBABE, 1, 1, 0, 4, 96, 1)
        base.send(ack(hello, info.pack()))
        again = base.expect(lambda f: f.type == MsgType.PAGE, what="the page again")
        assert again.seq == 1 and bytes(base.raw).count(sent("page")) == 2  # byte for byte, same seq
        base.send(sent("page_ack"))
        assert driver.wait_link(2)
        assert _wait(lambda: driver.page_status(page_id) == "sent")
    finally:
        driver.stop()


def test_card_config_key_read_with_the_golden_frames(base: WirePeer) -> None:
    driver = connect(base)
    try:
        result: list[int] = []
        reader = threading.Thread(target=lambda: result.append(driver.config_get("beep_volume", node=2)))
        reader.start()
        base.expect(lambda f: f.type == MsgType.CONFIG_GET)
        base.wait_bytes(sent("config_get_card"))
        base.send(sent("config_get_card_ack"))
        reader.join(3)
        assert result == [3]
    finally:
        driver.stop()


def test_pair_result_timeout_and_offline_card_status_reach_the_callbacks(base: WirePeer) -> None:
    calls = Calls()
    driver = connect(base, calls)
    try:
        base.send(sent("pair_result_timeout") + sent("card_status_offline"))
        assert calls.wait(lambda: calls.pairs and calls.cards)
        assert calls.pairs == [(17, 1, 0)]
        assert calls.cards == [(3, {"online": False, "battery_pct": 255, "rssi": -128})]
        for name in ("pair_result_timeout", "card_status_offline"):
            header = BY_NAME[name]["header"]
            answer = base.expect_answer(header["seq"])
            assert (answer.type, answer.node, answer.body) == (MsgType.ACK, header["node"], b"")
    finally:
        driver.stop()


def test_a_96_byte_text_is_sent_as_the_golden_frame_and_97_is_refused(base: WirePeer) -> None:
    assert len(TEXT_96.encode("utf-8")) == 96 and unicodedata.is_normalized("NFC", TEXT_96)
    driver = connect(base, first_page_id=1001)
    try:
        driver.page(2, "A016", 4, TEXT_96)
        base.expect(lambda f: f.type == MsgType.PAGE)
        base.wait_bytes(sent("page_text_96"))
        with pytest.raises(FrameError, match="97 UTF-8 bytes"):
            driver.page(2, "A016", 4, TEXT_96 + "!")
    finally:
        driver.stop()


def test_sequence_numbers_wrap_from_255_to_0_both_ways(base: WirePeer) -> None:
    calls = Calls()
    driver = connect(base, calls)
    try:
        # Base -> PC: seq 0 after 255 is a new frame, not a duplicate.
        base.send(sent("button_seq_255") + sent("button_seq_0"))
        assert calls.wait(lambda: len(calls.buttons) == 2)
        assert calls.buttons == [(4, "next"), (4, "finish")]
        assert [base.expect_answer(seq).type for seq in (255, 0)] == [MsgType.ACK, MsgType.ACK]
    finally:
        driver.stop()
    # PC -> base: the driver numbers 254 (HELLO), 255, then 0.
    other = WirePeer.pty()
    try:
        driver = PagerDriver(other.url, first_seq=254, ack_timeout=0.2, heartbeat_s=0.3, link_timeout=10.0).start()
        try:
            hello = other.expect(lambda f: f.type == MsgType.HELLO)
            assert hello.seq == 254
            other.send(ack(hello, BaseInfo(7, 1, 1, 0, 4, 96, 1).pack()))
            assert driver.wait_link(3)
            for expected in (255, 0):
                reader = threading.Thread(target=driver.config_get, args=("radio_channel",), daemon=True)
                reader.start()
                request = other.expect(lambda f: f.type == MsgType.CONFIG_GET)
                assert request.seq == expected
                other.send(ack(request, bytes([0x01, 0x03])))
                reader.join(3)
        finally:
            driver.stop()
    finally:
        other.close()


def test_a_type_in_the_wrong_direction_is_unknown_type(base: WirePeer) -> None:
    driver = connect(base)
    try:
        base.send_frame(Frame(type=MsgType.PAGE, node=2, seq=9, body=b"", flags=FLAG_FROM_BASE))
        nak = base.expect_answer(9)
        assert NakBody.unpack(nak.body).code == NakCode.UNKNOWN_TYPE  # PAGE never comes from the base
    finally:
        driver.stop()


def _wait(predicate, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True
