"""What every benchmark shares: paths, the build, medians, /proc readings, process
handling, and the report (printed as tables, kept as JSON)."""

import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.path.join(ROOT, ".cache", "bench")
# GOALIE_BENCH_BIN: measure another build (an older one, for a before/after figure).
GOALIE = os.environ.get("GOALIE_BENCH_BIN") or os.path.join(ROOT, "target", "release", "goalie")
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESULTS = {}


def build_goalie():
    if os.environ.get("GOALIE_BENCH_BIN"):
        return GOALIE
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=ROOT, check=True)
    return GOALIE


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def fmt(value, spec=".2f", none="—"):
    return none if value is None else format(value, spec)


def note(section, key, value):
    """Keeps a figure for the JSON report."""
    RESULTS.setdefault(section, {})[key] = value


def table(title, headers, rows):
    print(f"\n### {title}\n")
    print("| " + " | ".join(headers) + " |")
    print("|" + "---|" * len(headers))
    for row in rows:
        print("| " + " | ".join(str(c) for c in row) + " |")
    sys.stdout.flush()


def save_results(path):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(RESULTS, f, indent=1, sort_keys=True)
    print(f"\n(figures also in {os.path.relpath(path, ROOT)})")


def log(message):
    print(f"  [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def wait_for(predicate, timeout, step=0.05):
    """Polls `predicate` until it returns something truthy; that value, or None."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(step)


# ---- /proc -------------------------------------------------------------------------

def read_stat(pid):
    """(ppid, utime+stime in ticks, start time in ticks since boot), or None (also
    for a zombie: it has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    if fields[0] == "Z":
        return None
    # After the command: state(0) ppid(1) … utime(11) stime(12) … starttime(19).
    return int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[19])


def all_stats():
    stats = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = read_stat(int(name))
            if stat:
                stats[int(name)] = stat
    return stats


def descendants(root, stats=None):
    """`root` and every process below it."""
    stats = stats if stats is not None else all_stats()
    children = {}
    for pid, (ppid, _, _) in stats.items():
        children.setdefault(ppid, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            found.append(pid)
            todo.extend(children.get(pid, []))
    return found


def exe(pid):
    try:
        return os.path.realpath(f"/proc/{pid}/exe")
    except OSError:
        return ""


def uptime_ticks():
    with open("/proc/uptime") as f:
        return float(f.read().split()[0]) * CLK_TCK


def status_kib(pid, field):
    """A `VmRSS`/`VmHWM`-style field of /proc/PID/status in KiB, or None."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def is_agent_cli(pid):
    """Whether the process runs an agent CLI (Codex, Claude Code: `node …/codex.js`,
    the native `codex`, `claude`), by its first two arguments."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            argv = f.read().split(b"\0")[:2]
    except OSError:
        return False
    names = [os.path.basename(a.decode(errors="replace")) for a in argv if a]
    return any(n.startswith(("codex", "claude")) for n in names)


class CpuMeter:
    """CPU time of a process tree over an interval, split into the supervisor's own
    processes and the agent's. The supervisor's: the root, every process running its
    binary (`goalie mcp`/`goalie hook`, started by goalie or the agent), and whatever
    else the supervisor started itself (goalie's `git status` of the workspace at each
    turn's end); the agent's: an agent CLI the supervisor started (see `is_agent_cli`)
    and everything below it. ralph is measured the same way (`goalie_exe` its binary).

    The tree is sampled every `step` seconds, so a process that starts and ends
    between two samples is missed (short tool commands; none in these phases)."""

    def __init__(self, root, goalie_exe=GOALIE, step=0.2):
        # `goalie_exe`: the supervisor's binary (another's, to measure a peer alike).
        self.root = root
        self.goalie_exe = os.path.realpath(goalie_exe)
        self.step = step

    def kind(self, pid, stats, kinds):
        """"goalie" (the supervisor's) or "agent", for a process in the root's tree."""
        if pid == self.root or exe(pid) == self.goalie_exe:
            return "goalie"
        ppid = stats[pid][0]
        parent = (ppid, stats[ppid][2]) if ppid in stats else None
        parent_kind = kinds.get(parent) if parent else None
        if parent_kind is None and ppid in stats:
            parent_kind = self.kind(ppid, stats, kinds)
        if parent_kind == "agent":
            return "agent"
        # A child of the supervisor's: the agent if it is an agent CLI.
        return "agent" if is_agent_cli(pid) else "goalie"

    def measure(self, seconds, until_exit=False):
        """Shares of a core over `seconds` (or until the root process ends, when
        `until_exit`, at most `seconds`)."""
        begin_ticks = uptime_ticks()
        first, last, kinds = {}, {}, {}
        t0 = time.monotonic()
        deadline = t0 + seconds
        while True:
            stats = all_stats()
            if until_exit and self.root not in stats:
                break
            for pid in descendants(self.root, stats):
                _, ticks, start = stats[pid]
                key = (pid, start)
                if key not in first:
                    # Born during the interval: all its time is in it.
                    first[key] = 0 if start > begin_ticks else ticks
                    kinds[key] = self.kind(pid, stats, kinds)
                last[key] = ticks
            now = time.monotonic()
            if now >= deadline:
                break
            time.sleep(min(self.step, deadline - now))
        wall = time.monotonic() - t0
        used = {"goalie": 0, "agent": 0}
        for key, ticks in last.items():
            used[kinds[key]] += max(0, ticks - first[key])
        return {
            "goalie": used["goalie"] / CLK_TCK / wall,
            "agent": used["agent"] / CLK_TCK / wall,
            "goalie_s": used["goalie"] / CLK_TCK,
            "agent_s": used["agent"] / CLK_TCK,
            "wall": wall,
        }


# ---- processes we start -----------------------------------------------------------

class Started:
    """A process this script started (its own session), ended with all of its
    descendants, each by its pid."""

    def __init__(self, argv, env=None, cwd=None, log_path=None, stdin=subprocess.DEVNULL):
        self.log_path = log_path
        out = open(log_path, "ab") if log_path else subprocess.DEVNULL
        self.started_at = time.time()
        self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=stdin, stdout=out,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        if log_path:
            out.close()
        self.pid = self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def stop(self, grace=20.0):
        """SIGTERM (goalie ends its agent itself), then SIGKILL to whatever of ours is left."""
        tree = descendants(self.pid)
        if self.alive():
            try:
                os.kill(self.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        for pid in tree + [self.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        return self.proc.returncode


class PeakSampler(threading.Thread):
    """Samples a process's VmHWM (peak RSS) and VmRSS until it ends."""

    def __init__(self, pid, step=0.1):
        super().__init__(daemon=True)
        self.pid, self.step = pid, step
        self.hwm, self.samples = None, []
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            hwm = status_kib(self.pid, "VmHWM")
            rss = status_kib(self.pid, "VmRSS")
            if hwm is None:
                break
            self.hwm = hwm
            self.samples.append((time.monotonic(), rss))
            time.sleep(self.step)

    def stop(self):
        self.stopped.set()
        self.join(timeout=2)
