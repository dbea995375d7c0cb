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


def measure(command, env=None):
    """Runs a shell command; returns (seconds, the peak RSS of the largest process in
    it in KiB, exit code). The peak comes from GNU time: a process started from this
    script starts with this script's own peak (the kernel carries a process's peak
    RSS across exec), so its rusage would report Python's size, not the command's."""
    out = tempfile.NamedTemporaryFile(prefix="goalie-bench-rss-", delete=False)
    out.close()
    start = time.perf_counter()
    proc = subprocess.Popen(["/usr/bin/time", "-f", "%M %U %S", "-o", out.name, "sh", "-c",
                             command],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=env)
    code = proc.wait()
    elapsed = time.perf_counter() - start
    with open(out.name) as f:
        lines = f.read().split()
    os.remove(out.name)
    # GNU time notes a non-zero exit before the figures.
    return elapsed, int(lines[-3]), code, float(lines[-2]) + float(lines[-1])


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
    # goalie's files (its recording of the flood, settings, sockets) stay in the folder.
    env = dict(os.environ, GOALIE_CONFIG_DIR=os.path.join(tmp, "config"),
               XDG_RUNTIME_DIR=os.path.join(tmp, "run"), XDG_STATE_HOME=os.path.join(tmp, "state"))
    env.pop("GOALIE_LOG", None)
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    # Sub-second runs on a shared machine move by more than the 5 % to show: at least
    # 400,000 lines and 5 rounds, each round's two runs back to back (their ratio is the
    # round's), alternating which goes first.
    lines = max(opts.lines, 400_000)
    rounds = max(opts.rounds, 5)
    generator = generator.replace(f"seq 1 {opts.lines}", f"seq 1 {lines}")
    with open(adapter, "w") as f:
        f.write("name: flood\ncommand: sh\nargs: %s\n"
                "screen:\n  busy: ['never-busy-xyz']\n  idle: ['never-idle-xyz']\n"
                % json.dumps(["-c", generator]))
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
        base_t, base_m, ours_t, ours_m, ratios, base_c, ours_c = [], [], [], [], [], [], []
        for round_no in range(rounds):
            def ours_run():
                t, m, code, c = measure(ours, env)
                if code != 5:  # the "agent" exits on its own: the goal is paused
                    sys.exit(f"goalie exited {code}, expected 5")
                return t, m, c

            if round_no % 2:
                (ot_, om_, oc_), (bt_, bm_, _, bc_) = ours_run(), measure(baseline)
            else:
                (bt_, bm_, _, bc_), (ot_, om_, oc_) = measure(baseline), ours_run()
            base_t.append(bt_)
            base_m.append(bm_)
            base_c.append(bc_)
            ours_t.append(ot_)
            ours_m.append(om_)
            ours_c.append(oc_)
            ratios.append(ot_ / bt_)
        bt, ot = statistics.median(base_t), statistics.median(ours_t)
        bm, om = statistics.median(base_m), statistics.median(ours_m)
        ratio = statistics.median(ratios)
        spread = (min(ratios), max(ratios))
        key = name.split()[0]
        note("passthrough", key, {"script_s": bt, "goalie_s": ot, "time_ratio": ratio,
                                  "round_ratios": ratios, "script_cpu_s": statistics.median(base_c),
                                  "goalie_cpu_s": statistics.median(ours_c),
                                  "script_kib": bm, "goalie_kib": om, "memory_ratio": om / bm,
                                  "lines": lines})
        rows.append((name, fmt(bt) + " s", fmt(ot) + " s",
                     fmt(ratio) + f"× ({fmt(spread[0])}–{fmt(spread[1])})",
                     fmt(statistics.median(base_c)) + " s", fmt(statistics.median(ours_c)) + " s",
                     fmt(bm / 1024, ".1f") + " MiB", fmt(om / 1024, ".1f") + " MiB",
                     fmt(om / bm) + "×"))
    table(f"Passthrough against `script` ({lines} lines, median of {rounds})",
          ["mode", "script", "goalie", "time ratio (median of the rounds' ratios; range)",
           "script CPU", "goalie chain CPU", "script peak", "goalie peak", "memory ratio"],
          rows)
