"""When the agent's turn-end lines land in its session log, as a reader of the file sees
them (not the time stamped inside the line: Claude Code stamps a line, then writes it
up to a few hundred ms later), in the session files this run created only (a
lived-in home holds thousands of earlier ones, some with future mtimes)."""

import glob
import json
import os
import threading
import time

from .agents import WORKDIR, claude_project_dir, parse_at


def session_globs(agent, home):
    """Where a run's own session file can be: Codex's date folders of today (local
    and UTC), Claude's folder of this working directory."""
    if agent == "codex":
        days = {time.strftime("%Y/%m/%d", time.localtime()),
                time.strftime("%Y/%m/%d", time.gmtime())}
        return [os.path.join(home, "sessions", day, "*.jsonl") for day in sorted(days)]
    return [os.path.join(home, "projects", claude_project_dir(WORKDIR), "*.jsonl")]


def session_files(agent, home):
    return {path for pattern in session_globs(agent, home) for path in glob.glob(pattern)}


def is_turn_end(row):
    """Codex `task_complete`, Claude `turn_duration`."""
    payload = row.get("payload") or {}
    return (row.get("type") == "event_msg" and payload.get("type") == "task_complete") or \
        (row.get("type") == "system" and row.get("subtype") == "turn_duration")


class SessionWatch(threading.Thread):
    """Follows the session files that appear after it starts: each turn-end line as
    (seen: when it was first readable, stamped: its own timestamp), Unix seconds."""

    def __init__(self, agent, home, step=0.003):
        super().__init__(daemon=True)
        self.agent, self.home, self.step = agent, home, step
        self.earlier = session_files(agent, home)
        self.offsets = {}
        self.partial = {}
        self.ends = []
        self._done = threading.Event()
        self.start()

    def run(self):
        last_glob = 0.0
        while not self._done.is_set():
            now = time.time()
            if now - last_glob >= 0.1:
                last_glob = now
                for path in session_files(self.agent, self.home) - self.earlier:
                    self.offsets.setdefault(path, 0)
            for path in list(self.offsets):
                self.read(path)
            self._done.wait(self.step)

    def read(self, path):
        try:
            size = os.path.getsize(path)
            if size <= self.offsets[path]:
                return
            with open(path, "rb") as f:
                f.seek(self.offsets[path])
                data = f.read()
        except OSError:
            return
        seen = time.time()
        self.offsets[path] += len(data)
        text = self.partial.pop(path, b"") + data
        *lines, rest = text.split(b"\n")
        if rest:
            self.partial[path] = rest
        for line in lines:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if is_turn_end(row) and row.get("timestamp"):
                self.ends.append((seen, parse_at(row["timestamp"])))

    def stop(self):
        self._done.set()
        self.join(5)
        for path in list(self.offsets):
            self.read(path)
        return sorted(self.ends)
