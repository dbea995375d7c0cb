"""PTY passthrough: goalie against a raw `script` run of the same flood, in the same run.

The "agent" writes a lot of text and exits. Baseline: `script` runs it in a PTY and
copies its output. goalie: runs it in a PTY, feeds every byte through the terminal
model and the observer, and (interactive) mirrors it to its own terminal. Reported as
ratios (goalie / baseline) of wall time and peak memory."""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

from .util import GOALIE, fmt, note, table


def measure(command):
    """Runs a shell command; returns (seconds, the peak RSS of the largest process in
    it in KiB, exit code). The peak comes from GNU time: a process started from this
    script starts with this script's own peak (the kernel carries a process's peak
    RSS across exec), so its rusage would report Python's size, not the command's."""
    out = tempfile.NamedTemporaryFile(prefix="goalie-bench-rss-", delete=False)
    out.close()
    start = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", out.name, "sh", "-c", command],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL)
    code = proc.wait()
    elapsed = time.perf_counter() - start
    with open(out.name) as f:
        lines = f.read().split()
    os.remove(out.name)
    # GNU time notes a non-zero exit before the figure.
    return elapsed, int(lines[-1]), code


def sh(text):
    return "'" + text.replace("'", "'\\''") + "'"


def run(opts):
    tmp = tempfile.mkdtemp(prefix="goalie-bench-")
    generator = (f"seq 1 {opts.lines} | awk '{{printf \"line %08d \\033[1mbold\\033[0m "
                 f"%s\\n\", $1, \"the quick brown fox jumps over the lazy dog\"}}'")
    adapter = os.path.join(tmp, "flood.yaml")
    with open(adapter, "w") as f:
        f.write("name: flood\ncommand: sh\nargs: %s\n"
                "screen:\n  busy: ['never-busy-xyz']\n  idle: ['never-idle-xyz']\n"
                % json.dumps(["-c", generator]))
    db = os.path.join(tmp, "bench.db")
    cases = {
        # goalie in place of the inner `script`: both chains have two PTYs.
        "interactive (mirrors to its terminal)": (
            f"script -qec {sh(f'script -qec {sh(generator)} /dev/null')} /dev/null",
            f"script -qec {sh(f'{GOALIE} --db {db} run --adapter {adapter} bench')} /dev/null",
        ),
        "headless (no mirroring)": (
            f"script -qec {sh(generator)} /dev/null",
            f"{GOALIE} --db {db} run --headless --adapter {adapter} bench",
        ),
    }
    rows = []
    for name, (baseline, ours) in cases.items():
        base_t, base_m, ours_t, ours_m = [], [], [], []
        for _ in range(opts.rounds):
            t, m, _ = measure(baseline)
            base_t.append(t)
            base_m.append(m)
            t, m, code = measure(ours)
            if code != 5:  # the "agent" exits on its own: the goal is paused
                sys.exit(f"goalie exited {code}, expected 5")
            ours_t.append(t)
            ours_m.append(m)
        bt, ot = statistics.median(base_t), statistics.median(ours_t)
        bm, om = statistics.median(base_m), statistics.median(ours_m)
        key = name.split()[0]
        note("passthrough", key, {"script_s": bt, "goalie_s": ot, "time_ratio": ot / bt,
                                  "script_kib": bm, "goalie_kib": om, "memory_ratio": om / bm,
                                  "lines": opts.lines})
        rows.append((name, fmt(bt) + " s", fmt(ot) + " s", fmt(ot / bt) + "×",
                     fmt(bm / 1024, ".1f") + " MiB", fmt(om / 1024, ".1f") + " MiB",
                     fmt(om / bm) + "×"))
    table(f"Passthrough against `script` ({opts.lines} lines, median of {opts.rounds})",
          ["mode", "script", "goalie", "time ratio", "script peak", "goalie peak",
           "memory ratio"], rows)
