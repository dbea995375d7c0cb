"""Peak memory (RSS) of goalie across many simulated turns, and across a flood of
output sprinkled with terminal queries (cursor position `CSI 6n`, device attributes
`CSI c`) that goalie answers in a headless run while the agent never reads them."""

import json
import os
import re
import statistics
import sys

from .util import CACHE, GOALIE, ROOT, PeakSampler, Started, fmt, log, median, note, table

SCENARIO = """name: bench
cursor_query: true
startup_ms: 0
spinner_ms: 100
context_window: 1000000000
turns:
  - work_ms: 100
    tokens: 100
    reply: "Did a small step of the benchmark."
"""

# Like a TUI, the flood puts its terminal in raw mode; it never reads its input. (In
# canonical mode the kernel discards input past a full line buffer instead of making
# the writer wait, so no answer would ever queue up.)
FLOOD = r"""
import os, sys, tty
mb, queries = int(sys.argv[1]), sys.argv[2] == "1"
if os.isatty(0):
    tty.setraw(0)
line = b"line of output \x1b[1mbold\x1b[0m the quick brown fox jumps over the lazy dog " * 13
line = line[:1000] + b"\r\n"
block = bytearray()
for i in range(64):
    if queries:
        block += b"\x1b[6n" if i % 2 else b"\x1b[c"
    block += line
block = bytes(block)
out = sys.stdout.buffer
for _ in range(mb * 1024 * 1024 // len(block) + 1):
    out.write(block)
out.flush()
"""


def fast_sim_adapter(path):
    """The sim adapter with short quiet windows, so that a thousand turns take minutes."""
    with open(os.path.join(ROOT, "adapters", "sim.yaml")) as f:
        text = f.read()
    text = re.sub(r"quiet_ms: \d+", "quiet_ms: 100", text)
    text = re.sub(r"no_busy_quiet_ms: \d+", "no_busy_quiet_ms: 1000", text)
    text = re.sub(r"pause_ms: \d+", "pause_ms: 20", text)
    with open(path, "w") as f:
        f.write(text)


def sampled_run(argv, env, cwd, label, timeout):
    log_path = os.path.join(CACHE, f"{label}.out")
    if os.path.exists(log_path):
        os.remove(log_path)
    proc = Started(argv, env=env, cwd=cwd, log_path=log_path)
    sampler = PeakSampler(proc.pid)
    sampler.start()
    try:
        code = proc.proc.wait(timeout=timeout)
    finally:
        sampler.stop()
        proc.stop(grace=5)
    samples = [rss for _, rss in sampler.samples if rss]
    n = len(samples)
    early = statistics.median(samples[n // 10: max(n // 10 + 1, n // 5)]) if n else None
    mid = statistics.median(samples[n // 2: max(n // 2 + 1, n * 6 // 10)]) if n else None
    late = statistics.median(samples[n - max(1, n // 10):]) if n else None
    return {"peak_kib": sampler.hwm, "early_kib": early, "mid_kib": mid, "late_kib": late,
            "exit": code}


def private_env(label):
    private = os.path.join(CACHE, "runs", label)
    os.makedirs(os.path.join(private, "run"), mode=0o700, exist_ok=True)
    db = os.path.join(private, "goalie.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    env = dict(os.environ, GOALIE_DB=db, GOALIE_CONFIG_DIR=os.path.join(private, "config"),
               XDG_RUNTIME_DIR=os.path.join(private, "run"),
               XDG_STATE_HOME=os.path.join(private, "state"))
    env.pop("GOALIE_LOG", None)
    return env, private


def turns_round(turns):
    env, private = private_env("rss-turns")
    adapter = os.path.join(private, "sim-fast.yaml")
    fast_sim_adapter(adapter)
    scenario = os.path.join(private, "scenario.yaml")
    with open(scenario, "w") as f:
        f.write(SCENARIO)
    # Turns that change nothing, on purpose: the no-progress breaker is off.
    argv = [GOALIE, "run", "--headless", "--stall-turns", "0", "--adapter", adapter, "--max-turns", str(turns),
            "Benchmark: many small turns.", "--", "--scenario", scenario]
    found = sampled_run(argv, env, private, "rss-turns", timeout=turns * 3 + 120)
    if found["exit"] != 3:
        sys.exit(f"goalie exited {found['exit']} after the sim turns, expected 3 (budget-limited)")
    return found


def flood_round(mb, queries):
    env, private = private_env("rss-flood")
    gen = os.path.join(private, "flood.py")
    with open(gen, "w") as f:
        f.write(FLOOD)
    adapter = os.path.join(private, "flood.yaml")
    with open(adapter, "w") as f:
        f.write("name: flood\ncommand: %s\nargs: %s\n"
                "screen:\n  busy: ['never-busy-xyz']\n  idle: ['never-idle-xyz']\n"
                % (json.dumps(sys.executable), json.dumps([gen, str(mb), "1" if queries else "0"])))
    argv = [GOALIE, "run", "--headless", "--adapter", adapter, "Benchmark: a flood."]
    found = sampled_run(argv, env, private, "rss-flood", timeout=mb + 300)
    if found["exit"] != 5:
        sys.exit(f"goalie exited {found['exit']} after the flood, expected 5")
    return found


def run(opts):
    rows = []
    turns = [turns_round(opts.sim_turns) for _ in range(opts.rounds)]
    mib = lambda k: fmt(None if k is None else k / 1024, ".1f") + " MiB"  # noqa: E731
    keys = ("peak_kib", "early_kib", "mid_kib", "late_kib")
    summary = {k: median([r[k] for r in turns]) for k in keys}
    note("rss", "sim_turns", {"turns": opts.sim_turns, **summary, "rounds": turns})
    rows.append((f"{opts.sim_turns} simulated turns", mib(summary["peak_kib"]),
                 mib(summary["early_kib"]), mib(summary["mid_kib"]), mib(summary["late_kib"]),
                 fmt(summary["late_kib"] / summary["early_kib"]) + "×"))
    for queries in (False, True) if opts.flood_mb > 0 else ():
        log(f"rss: {opts.flood_mb} MB flood, queries={queries}")
        runs = [flood_round(opts.flood_mb, queries) for _ in range(opts.rounds)]
        s = {k: median([r[k] for r in runs]) for k in keys}
        name = f"{opts.flood_mb} MB flood" + (" with terminal queries" if queries else "")
        note("rss", "flood_queries" if queries else "flood", {"mb": opts.flood_mb, **s,
                                                              "rounds": runs})
        rows.append((name, mib(s["peak_kib"]), mib(s["early_kib"]), mib(s["mid_kib"]),
                     mib(s["late_kib"]),
                     fmt(s["late_kib"] / s["early_kib"]) + "×"))
    table(f"Peak memory (median of {opts.rounds})",
          ["run", "peak RSS", "RSS 10–20 % in", "RSS 50–60 % in", "RSS at the end",
           "end / early"], rows)
