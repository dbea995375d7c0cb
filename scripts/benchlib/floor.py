"""The floor of a first model request: the agent CLI started directly, with no
supervisor, given the prompt on its command line, against the same fake model.

- `pty`: its interactive TUI (`codex --no-daemon -- PROMPT`, `claude … -- PROMPT`) on a
  bare PTY of this script's own that answers its start-up queries at once (cursor
  position, device attributes, colours: what goalie answers) and reads what it draws;
- `tui`: the same in tmux, a real terminal emulator;
- `headless`: its headless mode (`codex exec PROMPT`, `claude -p PROMPT`), what ralph
  runs, with no TUI to bring up.

Each is the time from starting the process to the model's first turn request: what the
agent itself needs, so that goalie's figure minus the TUI's is what goalie adds."""

import fcntl
import os
import pty
import re
import select
import signal
import struct
import subprocess
import termios
import time

from .agents import AGENT_ARGS, WORKDIR, fresh_run, write_wrapper
from .util import Started, descendants, wait_for

HEADLESS = {
    "codex": lambda prompt: ["exec", "--skip-git-repo-check", prompt],
    "claude": lambda prompt: ["-p", prompt],
}
TUI = {
    "codex": lambda prompt: ["--no-daemon", "--", prompt],
    "claude": lambda prompt: ["--", prompt],
}


def _setup(agent, model, opts, label, lived_in=False):
    private, env, _ = fresh_run(agent, model, opts, label, lived_in)
    return private, env


def _first_request(model, since, timeout=60):
    turns = wait_for(lambda: model.turns(since), timeout, 0.02)
    return min(t["at"] for t in turns) if turns else None


def tui_first_request(agent, model, opts, label, prompt, lived_in=False):
    """Seconds from starting the agent's TUI (prompt on its command line, in tmux) to
    the model's first turn request; None when none came within a minute."""
    private, env = _setup(agent, model, opts, label, lived_in)
    args = AGENT_ARGS[agent] + TUI[agent](prompt)
    wrapper = os.path.join(private, "agent.sh")
    write_wrapper(wrapper, env, agent, args)
    tmux = ["tmux", "-L", f"goalie-floor-{os.getpid()}", "-f", "/dev/null"]
    since = time.time()
    subprocess.run(tmux + ["new-session", "-d", "-x", "160", "-y", "50", wrapper], check=True)
    try:
        first = _first_request(model, since)
    finally:
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
    return first - since if first else None


def headless_first_request(agent, model, opts, label, prompt):
    """Seconds from starting the agent's headless mode to the model's first turn request."""
    private, env = _setup(agent, model, opts, label)
    args = AGENT_ARGS[agent] + HEADLESS[agent](prompt)
    proc = Started([agent, *args], env=env, cwd=WORKDIR,
                   log_path=os.path.join(private, "agent.out"))
    try:
        first = _first_request(model, proc.started_at)
    finally:
        proc.stop(grace=5)
    return first - proc.started_at if first else None


# The start-up queries the agents send, and the answers goalie gives them.
ANSWERS = [
    (re.compile(rb"\x1b\[6n"), b"\x1b[1;1R"),
    (re.compile(rb"\x1b\[5n"), b"\x1b[0n"),
    (re.compile(rb"\x1b\[0?c"), b"\x1b[?62;22c"),
    (re.compile(rb"\x1b\[>0?c"), b"\x1b[>1;10;0c"),
    (re.compile(rb"\x1b\]10;\?(\x07|\x1b\\)"), b"\x1b]10;rgb:ffff/ffff/ffff\x1b\\"),
    (re.compile(rb"\x1b\]11;\?(\x07|\x1b\\)"), b"\x1b]11;rgb:0000/0000/0000\x1b\\"),
]


def pty_first_request(agent, model, opts, label, prompt, lived_in=False, rows=50, cols=160):
    """Seconds from starting the agent's TUI (prompt on its command line) on a bare PTY
    that answers its start-up queries to the model's first turn request."""
    private, env = _setup(agent, model, opts, label, lived_in)
    args = AGENT_ARGS[agent] + TUI[agent](prompt)
    since = time.time()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the agent on the PTY's other side
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            os.chdir(WORKDIR)
            os.execvpe(agent, [agent, *args], env)
        finally:
            os._exit(127)
    tail, first = b"", None
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if ready:
                try:
                    data = os.read(fd, 65536)
                except OSError:
                    break
                if not data:
                    break
                text = tail + data
                for query, answer in ANSWERS:
                    for m in query.finditer(text):
                        if m.end() > len(tail):
                            os.write(fd, answer)
                tail = text[-32:]
            turns = model.turns(since)
            if turns:
                first = min(t["at"] for t in turns)
                break
    finally:
        for p in descendants(pid) + [pid]:
            try:
                os.kill(p, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        os.close(fd)
    return first - since if first else None
