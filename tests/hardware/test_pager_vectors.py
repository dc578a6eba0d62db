"""The protocol against the golden vectors in firmware_config/test_vectors/frames.json, both ways."""
from __future__ import annotations

import binascii
import json
from pathlib import Path

import pytest

from hardware.pager import config_keys
from hardware.pager.cobs import cobs_decode, cobs_encode
from hardware.pager.crc import CRC16_CHECK, crc16_ccitt_false
from hardware.pager.errors import FrameError
from hardware.pager.messages import (
    BODY_TYPES,
    MAX_ENCODED,
    MAX_PAYLOAD,
    MAX_TEXT_BYTES,
    Frame,
    MsgType,
    NakCode,
    decode_frame,
    encode_frame,
    pack_payload,
)

VECTORS_PATH = Path(__file__).resolve().parents[2] / "firmware_config" / "test_vectors" / "frames.json"
VECTORS = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
BODY_CLASSES = {cls.__name__: cls for cls in BODY_TYPES.values()}


def unhex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def msg_type(name: str) -> int:
    """A vector's header type: a MsgType name, or "0xNN" for a type the protocol does not define."""
    return int(name, 16) if name.startswith("0x") else MsgType[name]


def type_name(code: int) -> str:
    return MsgType(code).name if code in MsgType._value2member_map_ else f"0x{code:02X}"


def pack_body(kind: str, fields: dict, body_hex: str = "") -> bytes:
    if kind == "Raw":  # a malformed or unknown body, given as bytes
        assert fields == {}
        return unhex(body_hex)
    if kind == "ConfigGet":
        return config_keys.pack_config_get(fields["key"])
    if kind == "ConfigValue":
        return config_keys.pack_config_value(fields["key"], fields["value"])
    return BODY_CLASSES[kind](**fields).pack()


def unpack_body(kind: str, body: bytes) -> dict:
    if kind == "Raw":
        return {}
    if kind == "ConfigGet":
        return {"key": config_keys.unpack_config_get(body).name}
    if kind == "ConfigValue":
        key, value = config_keys.unpack_config_value(body)
        return {"key": key.name, "value": value}
    return dict(vars(BODY_CLASSES[kind].unpack(body)))


def test_crc_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == CRC16_CHECK == 0x29B1
    assert VECTORS["crc"]["check"] == "0x29B1"
    for case in VECTORS["crc"]["extra"]:
        data = unhex(case["input_hex"])
        assert crc16_ccitt_false(data) == int(case["crc"], 16)
        # binascii.crc_hqx is CRC-CCITT (poly 0x1021, MSB first): with init 0xFFFF it is the same variant.
        assert binascii.crc_hqx(data, 0xFFFF) == int(case["crc"], 16)


def test_crc_matches_an_independent_implementation_on_every_frame() -> None:
    for vector in VECTORS["frames"]:
        payload = unhex(vector["payload_hex"])
        assert binascii.crc_hqx(payload[:-2], 0xFFFF).to_bytes(2, "big") == payload[-2:], vector["name"]


@pytest.mark.parametrize("case", VECTORS["cobs"], ids=lambda case: case["description"])
def test_cobs_vectors(case: dict) -> None:
    decoded, encoded = unhex(case["decoded_hex"]), unhex(case["encoded_hex"])
    assert cobs_encode(decoded) == encoded
    assert cobs_decode(encoded) == decoded
    assert 0 not in encoded


@pytest.mark.parametrize("vector", VECTORS["frames"], ids=lambda vector: vector["name"])
def test_frame_encodes_to_golden_bytes(vector: dict) -> None:
    header = vector["header"]
    body = pack_body(vector["body_kind"], vector["body"], vector["body_hex"])
    assert body == unhex(vector["body_hex"])
    frame = Frame(type=msg_type(header["type"]), node=header["node"], seq=header["seq"], body=body,
                  flags=header["flags"], version=header["version"])
    assert pack_payload(frame) == unhex(vector["payload_hex"])
    assert encode_frame(frame) == unhex(vector["wire_hex"])
    assert vector["crc_hex"] == vector["payload_hex"].replace(" ", "")[-4:]


@pytest.mark.parametrize("vector", VECTORS["frames"], ids=lambda vector: vector["name"])
def test_golden_bytes_decode_to_fields(vector: dict) -> None:
    wire = unhex(vector["wire_hex"])
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    frame = decode_frame(wire[:-1])
    header = vector["header"]
    assert (frame.version, frame.flags, frame.node, frame.seq, type_name(frame.type)) == (
        header["version"], header["flags"], header["node"], header["seq"], header["type"])
    assert frame.from_base == (vector["direction"] == "base_to_pc")
    assert unpack_body(vector["body_kind"], frame.body) == vector["body"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda case: case["error"])
def test_invalid_vectors_are_rejected_with_the_right_reason(case: dict) -> None:
    wire = unhex(case["wire_hex"])
    reasons = {"crc": "CRC", "cobs": "COBS", "length": "shorter", "too_long": "longer than the maximum 249"}
    with pytest.raises(FrameError, match=reasons[case["error"]]):
        decode_frame(wire[:-1])


def test_vectors_cover_every_message_type() -> None:
    covered = {vector["header"]["type"] for vector in VECTORS["frames"]}
    assert {member.name for member in MsgType} <= covered
    assert covered - {member.name for member in MsgType} == {"0x7E"}  # the unknown-type vector


def test_vectors_cover_every_nak_code_and_the_limits() -> None:
    naks = {vector["body"]["code"] for vector in VECTORS["frames"] if vector["header"]["type"] == "NAK"}
    assert naks == {int(code) for code in NakCode}
    longest = max(VECTORS["frames"], key=lambda vector: len(unhex(vector["payload_hex"])))
    assert len(unhex(longest["payload_hex"])) == MAX_PAYLOAD == 248
    assert len(unhex(longest["wire_hex"])) - 1 == MAX_ENCODED == 249  # COBS of 248 bytes: 249, not 251
    texts = [vector for vector in VECTORS["frames"] if vector["body_kind"] == "Page"]
    assert max(len(vector["body"]["text"].encode("utf-8")) for vector in texts) == MAX_TEXT_BYTES == 96
    seqs = [vector["header"]["seq"] for vector in VECTORS["frames"] if vector["name"].startswith("button_seq_")]
    assert seqs == [255, 0]
