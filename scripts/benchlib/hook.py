"""What one `goalie hook` costs on a months-old ledger: the agent's turn-complete hook
runs goalie once per turn, and it opens the ledger to find the goal's supervisor. A ledger
of 100,000 rows (a goal's rows of months of turns) is made once; then each round times,
one after the other, `true` (starting a process at all), `goalie hook` (no supervisor
runs, so it opens the ledger, reads the goal and ends), a writer's open of the same
ledger (`goalie pause` of the ended goal: opens for writing, runs PRAGMA quick_check,
refuses), and PRAGMA quick_check alone (Python's sqlite3, in process)."""

import json
import os
import shutil
import sqlite3
import subprocess
import time

from .util import CACHE, GOALIE, fmt, log, median, note, table

SCENARIO = """name: bench
startup_ms: 0
claim_after_turns: 1
claim_mode: proper
turns:
  - work_ms: 100
    tokens: 100
    reply: "Did a small step of the benchmark."
"""


def make_ledger(folder, rows):
    """A ledger with one achieved goal and `rows` more rows of turns; its path and goal."""
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(os.path.join(folder, "work"))
    scenario = os.path.join(folder, "scenario.yaml")
    with open(scenario, "w") as f:
        f.write(SCENARIO)
    db = os.path.join(folder, "data", "goalie.db")
    env = dict(os.environ, GOALIE_DB=db, GOALIE_CONFIG_DIR=os.path.join(folder, "config"),
               XDG_RUNTIME_DIR=os.path.join(folder, "run"),
               XDG_STATE_HOME=os.path.join(folder, "state"))
    subprocess.run([GOALIE, "run", "--agent", "sim", "--headless", "--no-record",
                    "Benchmark the hook", "--", "--scenario", scenario],
                   cwd=os.path.join(folder, "work"), env=env, check=True,
                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    conn = sqlite3.connect(db)
    goal = conn.execute("SELECT id FROM goals").fetchone()[0]
    reply = "Ran the tests, fixed one, three left. " * 6
    data = [(goal, "2026-01-01T00:00:00.000Z", "turn_ended",
             json.dumps({"turn": n, "prompt": "continuation", "duration_ms": 60000,
                         "busy_seen": True, "done_seen": True, "signalled": True,
                         "tokens_used": 1000 * n, "reply": reply}))
            for n in range(rows)]
    conn.executemany("INSERT INTO events (goal_id, at, kind, data) VALUES (?, ?, ?, ?)", data)
    conn.commit()
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return db, goal, env


def timed(argv, env, times):
    """Median wall time of one run of `argv`, in milliseconds, over `times` runs."""
    spans = []
    for _ in range(times):
        start = time.perf_counter()
        subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        spans.append((time.perf_counter() - start) * 1000)
    return median(spans)


def quick_check_ms(db, times):
    spans = []
    for _ in range(times):
        conn = sqlite3.connect(db)
        start = time.perf_counter()
        conn.execute("PRAGMA quick_check").fetchall()
        spans.append((time.perf_counter() - start) * 1000)
        conn.close()
    return median(spans)


def run(opts):
    rows = opts.ledger_rows
    folder = os.path.join(CACHE, "hook")
    log(f"hook: a ledger of {rows} rows")
    db, goal, env = make_ledger(folder, rows)
    size_mb = os.path.getsize(db) / 1e6
    times = 5 if opts.quick else 20
    rounds = []
    for _ in range(opts.rounds):
        rounds.append({
            "true_ms": timed(["true"], env, times),
            "hook_ms": timed([GOALIE, "hook", "turn-complete", "--goal", goal, "{}"], env, times),
            "writer_open_ms": timed([GOALIE, "pause", goal], env, times),
            "quick_check_ms": quick_check_ms(db, times),
        })
    s = {k: median([r[k] for r in rounds]) for k in rounds[0]}
    note("hook", "ledger", {"rows": rows, "mb": size_mb, **s, "rounds": rounds})
    table(f"`goalie hook` on a ledger of {rows:,} rows ({size_mb:.0f} MB), median of "
          f"{opts.rounds} × {times}",
          ["", "ms", "against `true`"],
          [("`true`", fmt(s["true_ms"]), "1.00×"),
           ("`goalie hook` (no supervisor runs)", fmt(s["hook_ms"]),
            fmt(s["hook_ms"] / s["true_ms"]) + "×"),
           ("a writer's open (`goalie pause` of an ended goal)", fmt(s["writer_open_ms"]),
            fmt(s["writer_open_ms"] / s["true_ms"]) + "×"),
           ("PRAGMA quick_check alone (in process)", fmt(s["quick_check_ms"]), "")])
    shutil.rmtree(folder, ignore_errors=True)
