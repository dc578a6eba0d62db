"""What the benches read from /proc: a process tree, CPU time, command lines (Linux only, no psutil)."""
from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
WORKER_MODULE = "kiosk.vision.worker"


def process_tree(root: int) -> list[int]:
    """``root`` and all its descendants."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                stat = Path(f"/proc/{name}/stat").read_text()
                ppid = int(stat[stat.rindex(")") + 2:].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo += children.get(pid, [])
    return out


def cpu_ticks(pids: list[int]) -> dict[int, int]:
    """utime + stime of each process that still exists, in clock ticks (TICK a second)."""
    ticks = {}
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


def command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"


def vision_workers(server_pid: int) -> list[int]:
    """The vision worker processes under a server (``python -m kiosk.vision.worker``)."""
    return [pid for pid in process_tree(server_pid) if WORKER_MODULE in command(pid)]


def cpu_seconds(before: dict[int, int], after: dict[int, int]) -> float:
    """CPU seconds spent between two ``cpu_ticks`` readings by the processes of ``before`` (one that
    exited in between counts what it had spent by the first reading only)."""
    return sum(after.get(pid, ticks) - ticks for pid, ticks in before.items()) / TICK
