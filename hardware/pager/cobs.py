"""Consistent Overhead Byte Stuffing (COBS): the framing of the pager serial link.

An encoded frame never contains 0x00, so 0x00 marks the end of every frame on the wire and a receiver
that joins mid-stream (or sees garbage) resynchronises at the next 0x00.
"""
from __future__ import annotations

from .errors import FrameError


def cobs_encode(data: bytes) -> bytes:
    """Return the COBS encoding of ``data`` (without the trailing 0x00 delimiter).

    The output is at most ``len(data) + len(data) // 254 + 1`` bytes long and contains no 0x00.
    """
    out = bytearray()
    code_index = 0
    out.append(0)  # placeholder for the first code byte
    code = 1
    last = len(data) - 1
    for position, byte in enumerate(data):
        if byte == 0:
            out[code_index] = code
            code_index = len(out)
            out.append(0)
            code = 1
            continue
        out.append(byte)
        code += 1
        if code == 0xFF and position != last:
            # A full block of 254 non-zero bytes ends without an implied zero; a new block starts only
            # when more data follows, so the output matches the canonical encoding byte for byte.
            out[code_index] = code
            code_index = len(out)
            out.append(0)
            code = 1
    out[code_index] = code
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Decode one COBS block (without its 0x00 delimiter).

    Raises FrameError when ``data`` is empty, contains 0x00, or a code byte points past the end.
    """
    if not data:
        raise FrameError("empty COBS block")
    out = bytearray()
    index = 0
    length = len(data)
    while index < length:
        code = data[index]
        if code == 0:
            raise FrameError(f"COBS block contains a zero byte at offset {index}")
        end = index + code
        if end > length:
            raise FrameError(f"COBS code byte at offset {index} runs past the end of the block")
        chunk = data[index + 1:end]
        if 0 in chunk:
            raise FrameError("COBS block contains a zero byte")
        out += chunk
        index = end
        if code != 0xFF and index < length:
            out.append(0)
    return bytes(out)
