"""CRC-16/CCITT-FALSE (also catalogued as CRC-16/IBM-3740): the checksum of every pager frame.

poly 0x1021, init 0xFFFF, no input/output reflection, xorout 0x0000; check value for the ASCII
bytes "123456789" is 0x29B1.
"""
from __future__ import annotations

CRC16_CHECK = 0x29B1


def _make_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


_TABLE = _make_table()


def crc16_ccitt_false(data: bytes, crc: int = 0xFFFF) -> int:
    """Return the CRC-16/CCITT-FALSE of ``data`` (pass ``crc`` to continue a running checksum)."""
    for byte in data:
        crc = ((crc << 8) & 0xFFFF) ^ _TABLE[((crc >> 8) ^ byte) & 0xFF]
    return crc
