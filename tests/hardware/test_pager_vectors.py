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
from hardware.pager.messages import BODY_TYPES, Frame, MsgType, decode_frame, encode_frame, pack_payload

VECTORS_PATH = Path(__file__).resolve().parents[2] / "firmware_config" / "test_vectors" / "frames.json"
VECTORS = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
BODY_CLASSES = {cls.__name__: cls for cls in BODY_TYPES.values()}


def unhex(text: str) -> bytes:
    return bytes.fromhex(text.replace(" ", ""))


def pack_body(kind: str, fields: dict) -> bytes:
    if kind == "ConfigGet":
        return config_keys.pack_config_get(fields["key"])
    if kind == "ConfigValue":
        return config_keys.pack_config_value(fields["key"], fields["value"])
    return BODY_CLASSES[kind](**fields).pack()


def unpack_body(kind: str, body: bytes) -> dict:
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
    body = pack_body(vector["body_kind"], vector["body"])
    assert body == unhex(vector["body_hex"])
    frame = Frame(type=MsgType[header["type"]], node=header["node"], seq=header["seq"], body=body,
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
    assert (frame.version, frame.flags, frame.node, frame.seq, MsgType(frame.type).name) == (
        header["version"], header["flags"], header["node"], header["seq"], header["type"])
    assert frame.from_base == (vector["direction"] == "base_to_pc")
    assert unpack_body(vector["body_kind"], frame.body) == vector["body"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=lambda case: case["error"])
def test_invalid_vectors_are_rejected_with_the_right_reason(case: dict) -> None:
    wire = unhex(case["wire_hex"])
    with pytest.raises(FrameError, match={"crc": "CRC", "cobs": "COBS", "length": "shorter"}[case["error"]]):
        decode_frame(wire[:-1])


def test_vectors_cover_every_message_type() -> None:
    covered = {vector["header"]["type"] for vector in VECTORS["frames"]}
    assert covered == {member.name for member in MsgType}
