"""Counter LED boards: exact frame bytes, the stream parser, and the driver talking to boards on a pty."""
from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hardware.led_board import (
    LedBoardConfig,
    LedBus,
    LedBusError,
    LedBusSimulator,
    LedFrame,
    LedFrameError,
    LedFrameParser,
    board_text,
    checksum,
    decode_body,
    encode_frame,
)


@pytest.mark.parametrize(
    ("address", "command", "payload", "frame"),
    [
        # Worked example of docs/printer_led.md: XOR of "03DA015" is 0x32.
        (3, "D", "A015", b"\x02" + b"03DA015" + b"32" + b"\x03"),
        (3, "F", "A015", b"\x0203FA01530\x03"),
        (12, "C", "", b"\x0212C40\x03"),
        (0, "C", "", b"\x0200C43\x03"),
        (7, "B", "5", b"\x0207B570\x03"),
        (99, "P", "", b"\x0299P50\x03"),
    ],
)
def test_frames_are_byte_exact(address: int, command: str, payload: str, frame: bytes) -> None:
    body = f"{address:02d}{command}{payload}".encode()
    expected_chk = 0
    for b in body:
        expected_chk ^= b
    # The literal frames above are the specification; the XOR is recomputed independently here.
    expected = b"\x02" + body + f"{expected_chk:02X}".encode() + b"\x03"
    assert frame == expected
    assert encode_frame(address, command, payload) == expected


def test_checksum_examples() -> None:
    assert checksum(b"03DA015") == b"32"
    assert checksum(b"") == b"00"
    assert checksum(b"\x0f\xf0") == b"FF"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((100, "D", "A015"), "address"),
        ((-1, "D", "A015"), "address"),
        ((True, "D", "A015"), "address"),
        ((1, "X", "A015"), "unknown command"),
        ((1, "D", "A" * 17), "longer than 16"),
        ((1, "D", "Số1"), "printable ASCII"),
        ((1, "D", "A\x03"), "printable ASCII"),
        ((1, "B", "9"), "brightness"),
        ((1, "C", "x"), "no payload"),
        ((0, "P", ""), "ping needs"),
    ],
)
def test_bad_frames_are_refused(args: tuple, message: str) -> None:
    with pytest.raises(LedFrameError, match=message):
        encode_frame(*args)


def test_decode_rejects_bad_checksum_and_garbage() -> None:
    assert decode_body(b"03DA01532") == LedFrame(3, "D", "A015")
    with pytest.raises(LedFrameError, match="checksum"):
        decode_body(b"03DA01533")
    with pytest.raises(LedFrameError, match="address"):
        decode_body(b"x3DA015" + checksum(b"x3DA015"))
    with pytest.raises(LedFrameError):
        decode_body(b"03")


def test_parser_resynchronises_after_garbage_and_cut_frames() -> None:
    good = encode_frame(3, "D", "A015")
    stream = (b"\xff\x00noise" + good[:6] + good  # a frame cut short by the next STX
              + encode_frame(4, "D", "B001")[:-3] + b"ZZ\x03"  # corrupted checksum
              + b"\x02" + b"1" * 40 + b"\x03"  # far too long
              + encode_frame(5, "C"))
    parser = LedFrameParser()
    frames = [f for i in range(0, len(stream), 5) for f in parser.feed(stream[i:i + 5])]
    assert frames == [LedFrame(3, "D", "A015"), LedFrame(5, "C", "")]
    assert parser.rejected == 3


@given(st.integers(0, 99), st.sampled_from("DFC"), st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E),
                                                          max_size=16), st.binary(max_size=30))
def test_round_trip_after_any_garbage(address: int, command: str, payload: str, garbage: bytes) -> None:
    payload = "" if command == "C" else payload
    frame = encode_frame(address, command, payload)
    frames = LedFrameParser().feed(garbage + b"\x03" + frame)
    assert frames[-1] == LedFrame(address, command, payload)


def test_board_text_is_right_aligned_ascii() -> None:
    assert board_text("A15", 4) == " A15"
    assert board_text("A015", 4) == "A015"
    with pytest.raises(LedFrameError, match="does not fit"):
        board_text("A0015", 4)


def test_config_from_dict_and_validation() -> None:
    config = LedBoardConfig.from_dict({"url": "/dev/kiosk-led", "baudrate": 19200, "boards": {"1": 11, "2": 12}})
    assert config.address_of(2) == 12 and config.baudrate == 19200
    with pytest.raises(LedFrameError, match="no LED board"):
        config.address_of(3)
    with pytest.raises(LedFrameError, match="share board address"):
        LedBoardConfig(boards={1: 5, 2: 5})
    with pytest.raises(LedFrameError, match="1..99"):
        LedBoardConfig(boards={1: 100})
    with pytest.raises(LedFrameError, match="baud"):
        LedBoardConfig(baudrate=1234)
    with pytest.raises(LedFrameError, match="unknown LED board settings"):
        LedBoardConfig.from_dict({"port": "/dev/x"})
    with pytest.raises(LedFrameError, match="integers"):
        LedBoardConfig.from_dict({"boards": {"one": 1}})


# -- driver and boards on a pty -------------------------------------------------------------------
@pytest.fixture
def bus_and_boards() -> Iterator[tuple[LedBus, LedBusSimulator]]:
    sim = LedBusSimulator([11, 12, 13]).start()
    bus = LedBus(LedBoardConfig(url=sim.port, boards={1: 11, 2: 12, 3: 13}))
    yield bus, sim
    bus.close()
    sim.stop()


def test_boards_parse_what_the_driver_writes(bus_and_boards) -> None:  # noqa: ANN001
    bus, sim = bus_and_boards
    assert bus.show(1, "A015") == b"\x0211FA015" + checksum(b"11FA015") + b"\x03"
    bus.show(2, "B7", flash=False)
    bus.brightness(3, 2)
    assert sim.wait_for_frames(3)
    assert sim.boards == {11: "A015", 12: "  B7", 13: ""}
    assert sim.flashing == {11: True, 12: False, 13: False}
    assert sim.brightness[13] == 2
    bus.clear(1)
    assert sim.wait_for_frames(4)
    assert sim.boards[11] == "" and sim.parser.rejected == 0


def test_broadcast_clear_blanks_every_board(bus_and_boards) -> None:  # noqa: ANN001
    bus, sim = bus_and_boards
    for counter, number in ((1, "A001"), (2, "A002"), (3, "C003")):
        bus.show(counter, number)
    bus.clear_all()
    assert sim.wait_for_frames(4)
    assert set(sim.boards.values()) == {""}


def test_ping_answered_only_by_a_present_board() -> None:
    with LedBusSimulator([11]) as sim:
        bus = LedBus(LedBoardConfig(url=sim.port, boards={1: 11, 2: 12}))
        assert bus.ping(1, timeout=0.5) is True
        assert bus.ping(2, timeout=0.1) is False
        bus.close()


def test_ticket_called_event_drives_the_board(bus_and_boards) -> None:  # noqa: ANN001
    bus, sim = bus_and_boards
    assert bus.on_ticket_called({"number": "A015", "counter": 3, "service": "HT", "recall": False})
    assert not bus.on_ticket_called({"number": "A016", "counter": 9})  # no board at counter 9
    assert not bus.on_ticket_called({"number": "A016"})
    assert not bus.on_ticket_called({"number": "Ư016", "counter": 1})
    assert sim.wait_for_frames(1)
    assert sim.boards[13] == "A015" and len(sim.frames) == 1


def test_missing_adapter_is_a_clear_error(tmp_path) -> None:  # noqa: ANN001
    bus = LedBus(LedBoardConfig(url=str(tmp_path / "ttyUSB9"), boards={1: 1}))
    with pytest.raises(LedBusError, match="cannot open LED bus"):
        bus.show(1, "A001")
    assert bus.on_ticket_called({"number": "A001", "counter": 1}) is False


def test_driver_reopens_after_the_adapter_fails(bus_and_boards) -> None:  # noqa: ANN001
    bus, sim = bus_and_boards
    bus.show(1, "A001")
    # The USB adapter vanished under the open handle: its fd now refuses writes.
    read_only = os.open(os.devnull, os.O_RDONLY)
    os.dup2(read_only, bus._port.fd)  # noqa: SLF001
    os.close(read_only)
    bus.show(2, "A002")
    assert sim.wait_for_frames(2)
    assert sim.boards[12] == "A002"
