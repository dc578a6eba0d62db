"""COBS edge cases, resynchronisation after garbage, and clear errors for malformed bodies."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hardware.pager.cobs import cobs_decode, cobs_encode
from hardware.pager.errors import FrameError
from hardware.pager.messages import (
    MAX_BODY,
    MAX_ENCODED,
    ButtonPress,
    Frame,
    MsgType,
    Page,
    PageStatus,
    decode_frame,
    encode_frame,
)
from hardware.pager.protocol import FrameProtocol


class Collector(FrameProtocol):
    def __init__(self) -> None:
        super().__init__()
        self.frames: list[Frame] = []
        self.errors: list[str] = []

    def handle_frame(self, frame: Frame) -> None:
        self.frames.append(frame)

    def handle_bad_frame(self, block: bytes, exc: FrameError) -> None:
        self.errors.append(str(exc))


@pytest.mark.parametrize("data", [
    b"", b"\x00", b"\x00" * 300, b"\x01" * 253, b"\x01" * 254, b"\x01" * 255, b"\x01" * 508, b"\x01" * 509,
    b"\x01" * 254 + b"\x00", b"\x00" + b"\x01" * 254, b"\x01" * 253 + b"\x00" + b"\x01" * 254,
], ids=lambda data: f"{len(data)}B")
def test_cobs_round_trip_edge_cases(data: bytes) -> None:
    encoded = cobs_encode(data)
    assert 0 not in encoded
    assert len(encoded) <= len(data) + len(data) // 254 + 1
    assert cobs_decode(encoded) == data


def test_cobs_254_run_has_no_trailing_code_byte() -> None:
    assert cobs_encode(b"\x07" * 254) == b"\xff" + b"\x07" * 254
    assert cobs_encode(b"\x07" * 255) == b"\xff" + b"\x07" * 254 + b"\x02\x07"


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=700))
def test_cobs_round_trip_property(data: bytes) -> None:
    encoded = cobs_encode(data)
    assert 0 not in encoded
    assert cobs_decode(encoded) == data


@pytest.mark.parametrize("block, reason", [
    (b"", "empty"), (b"\x03\x11", "past the end"), (b"\x02\x00", "zero"), (b"\xff\x01", "past the end"),
])
def test_cobs_rejects_malformed_blocks(block: bytes, reason: str) -> None:
    with pytest.raises(FrameError, match=reason):
        cobs_decode(block)


def _frames() -> list[bytes]:
    return [encode_frame(Frame(type=MsgType.BUTTON, node=n, seq=n, body=ButtonPress(n, 1).pack(), flags=1))
            for n in range(1, 6)]


def test_resync_after_garbage_and_split_reads() -> None:
    frames = _frames()
    garbage = bytes(range(1, 200)) * 3  # no delimiter: must not swallow the frame after it
    stream = b"\x00\x00" + garbage + b"\x00" + frames[0] + b"\x13\x37\x00" + frames[1] + frames[2][:4]
    stream += frames[2][4:] + b"\xff" * 2000 + b"\x00" + frames[3] + frames[4]
    collector = Collector()
    for start in range(0, len(stream), 7):  # arbitrary chunking, like a UART read
        collector.data_received(stream[start:start + 7])
    assert [frame.node for frame in collector.frames] == [1, 2, 3, 4, 5]
    assert len(collector.errors) == 3  # the garbage run, the short junk block, the oversized run
    assert any(str(MAX_ENCODED) in error for error in collector.errors)


def test_corrupted_frame_costs_only_itself() -> None:
    frames = _frames()
    broken = bytearray(frames[1])
    broken[6] ^= 0x40
    collector = Collector()
    collector.data_received(frames[0] + bytes(broken) + frames[2])
    assert [frame.node for frame in collector.frames] == [1, 3]
    assert collector.errors and "CRC" in collector.errors[0]


def test_every_single_bit_flip_is_detected() -> None:
    wire = encode_frame(Frame(type=MsgType.PAGE, node=2, seq=9,
                              body=Page(page_id=7, ticket="A015", counter=3, text="Mời").pack()))
    for index in range(len(wire) - 1):
        for bit in range(8):
            block = bytearray(wire[:-1])
            block[index] ^= 1 << bit
            if 0 in block:
                continue  # a new delimiter: the receiver sees two short blocks, each rejected
            with pytest.raises(FrameError):
                decode_frame(bytes(block))


@pytest.mark.parametrize("kwargs, message", [
    ({"page_id": 1, "ticket": "", "counter": 1}, "ticket"),
    ({"page_id": 1, "ticket": "a015", "counter": 1}, "ticket"),
    ({"page_id": 1, "ticket": "A0123456789", "counter": 1}, "ticket"),
    ({"page_id": 0, "ticket": "A015", "counter": 1}, "page_id"),
    ({"page_id": 1, "ticket": "A015", "counter": 300}, "counter"),
    ({"page_id": 1, "ticket": "A015", "counter": 1, "text": "ồ" * 40}, "UTF-8 bytes"),
])
def test_page_rejects_bad_fields_with_a_clear_message(kwargs: dict, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        Page(**kwargs).pack()


def test_page_text_is_sent_as_nfc() -> None:
    decomposed = "Mo\u0300i"  # "Mòi" typed with a combining accent
    body = Page(page_id=5, ticket="A001", counter=1, text=decomposed).pack()
    assert Page.unpack(body).text == "M\u00f2i"


@pytest.mark.parametrize("body, message", [
    (b"\x00\x00\x00\x01\x00\x01\x00\x00", "ticket length"),
    (b"\x00\x00\x00\x01\x00\x01\x02AB\x05xy", "text length"),
    (b"\x00\x00\x00\x01\x00\x01\x02ab\x00", "outside"),
    (b"\x00\x00\x00\x01\x00\x01\x02AB\x01\xff", "undecodable"),
    (b"\x00", "at least"),
])
def test_page_unpack_rejects_malformed_bodies(body: bytes, message: str) -> None:
    with pytest.raises(FrameError, match=message):
        Page.unpack(body)


def test_fixed_bodies_check_length_and_enums() -> None:
    with pytest.raises(FrameError, match="5 bytes"):
        ButtonPress.unpack(b"\x00\x01\x01")
    with pytest.raises(FrameError, match="button"):
        ButtonPress.unpack(b"\x00\x01\x09\x00\x00")
    with pytest.raises(FrameError, match="status"):
        PageStatus.unpack(b"\x00\x00\x00\x01\x07\x01\x00")


def test_frame_header_limits() -> None:
    with pytest.raises(FrameError, match="node"):
        encode_frame(Frame(type=MsgType.PAGE, node=0x10000))
    with pytest.raises(FrameError, match="maximum"):
        encode_frame(Frame(type=MsgType.PAGE, body=b"\x01" * (MAX_BODY + 1)))
    longest = encode_frame(Frame(type=MsgType.PAGE, body=b"\x01" * MAX_BODY))
    assert len(longest) - 1 <= MAX_ENCODED
    assert decode_frame(longest[:-1]).body == b"\x01" * MAX_BODY
