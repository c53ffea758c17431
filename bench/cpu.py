"""The CPU time the bench's stack spends, by part: the web servers, the task workers, PostgreSQL, Redis, the sink.

Read from /proc: for each part's root process, the user and system time of it and of every process below it,
with what their children who have already exited spent (a PostgreSQL backend, a gunicorn worker that was
restarted): the kernel adds that to the parent that waited for them. The load generators (wrk, the Python
clients) and short-lived `manage.py` helpers are the bench's own and are not counted.
"""

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(parent pid, own CPU seconds, waited-for children's CPU seconds) of a process, or None if it has gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name is in parentheses and may hold spaces: the fields start after the last ')'.
    fields = text.rpartition(")")[2].split()
    parent = int(fields[1])
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return parent, (utime + stime) / TICK, (cutime + cstime) / TICK


def tree_seconds(root):
    """CPU seconds of `root` and everything below it, living or reaped."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))):
            stats[int(entry.name)] = stat
    children = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            _, own, reaped = stats[pid]
            total += own + reaped
            todo.extend(children.get(pid, []))
    return total


def postmaster_pid(data_directory):
    """PostgreSQL's main process, from the first line of its postmaster.pid."""
    return int((Path(data_directory) / "postmaster.pid").read_text().split()[0])


class Meter:
    """CPU seconds by part of the stack since the meter was started."""

    def __init__(self, roots):
        self.roots = roots  # {part: function returning its root pids now}
        self.started = self.read()

    def read(self):
        return {part: sum(tree_seconds(pid) for pid in pids()) for part, pids in self.roots.items()}

    def spent(self):
        now = self.read()
        return {part: now[part] - self.started[part] for part in self.roots}
