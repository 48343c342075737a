"""Which processes use the cores while a command runs: gunicorn, PostgreSQL, the command itself.

bench/ledger.py reports a rate against a baseline; this says where the machine's CPU went while
it ran, second by second, so the next cut goes where the time is. It samples every process's
CPU time (``/proc/PID/stat``, Linux only) once a second, sums it by group (``gunicorn``,
``postgres``, ``command``: the command and its children that are neither, ``other``) and prints
one line a second, then the mean of each group over the seconds whose gunicorn share was at
least ``--busy`` cores while PostgreSQL worked too (the HTTP phase of a ledger bench; not the
workers' start, when they import for some seconds and touch no database).

    .venv/bin/python bench/cpu_split.py -- .venv/bin/python bench/ledger.py --rounds 1 --clients 8
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections import Counter

TICKS = os.sysconf("SC_CLK_TCK")


def _parent_and_cpu(pid: str) -> tuple[int, float, float] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            stat = f.read()
    except OSError:  # it ended between the listing and the read
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) / TICKS, int(fields[12]) / TICKS  # user, system


def _command_line(pid: str) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def snapshot(root: int) -> dict[str, tuple[str, float, float]]:
    """Every process's group and CPU seconds so far (user, system)."""
    parents, cpu, names = {}, {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        found = _parent_and_cpu(pid)
        if found is not None:
            parents[pid], cpu[pid] = found[0], found[1:]
            names[pid] = _command_line(pid)

    def group(pid: str) -> str:
        name = names[pid]
        if "gunicorn" in name:
            return "gunicorn"
        if "postgres" in name:
            return "postgres"
        seen, current = set(), pid
        while current.isdigit() and current not in seen:  # descends from the command?
            if int(current) == root:
                return "command"
            seen.add(current)
            current = str(parents.get(current, ""))
        return "other"

    return {pid: (group(pid), *cpu[pid]) for pid in cpu}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--busy", type=float, default=0.5, help="gunicorn cores for a busy second")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="-- then the command to run")
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    groups = ("gunicorn", "postgres", "command", "other")
    process = subprocess.Popen(command, stdout=sys.stderr)
    before, busy, seconds = snapshot(process.pid), Counter(), 0
    print("second " + " ".join(f"{g:>9}" for g in groups), flush=True)
    while process.poll() is None:
        time.sleep(1)
        now = snapshot(process.pid)
        used = Counter()
        for pid, (name, user, system) in now.items():
            if pid in before:  # a process born this second counts from the next one
                used[name] += user + system - before[pid][1] - before[pid][2]
                used[name + " system"] += system - before[pid][2]
        before = now
        seconds += 1
        print(f"{seconds:6d} " + " ".join(f"{used[g]:9.2f}" for g in groups), flush=True)
        if used["gunicorn"] >= args.busy and used["postgres"] >= 0.1:
            busy.update(used)
            busy["seconds"] += 1
    if busy["seconds"]:
        n = busy["seconds"]
        print(
            f"cores used on average over the {n} seconds gunicorn was busy: "
            + ", ".join(
                f"{g} {busy[g] / n:.2f} ({busy[g + ' system'] / n:.2f} system)" for g in groups
            )
        )
    return process.returncode


if __name__ == "__main__":
    sys.exit(main())
