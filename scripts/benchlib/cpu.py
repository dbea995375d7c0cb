"""goalie's CPU, as a share of one core and against the agent's own, in three phases:
the agent working (its spinner on, the model slow: `[hang]`), the agent streaming
output (a long reply streamed fast, `[words=N] [chunkms=30]`), and the goal paused at
an idle prompt; with the real Codex and Claude Code, in an empty home and in a lived-in one."""

import time

from .agents import Run
from .util import CpuMeter, fmt, log, median, note, table

PHASES = ("working", "streaming", "idle")


def one_round(agent, home, model, opts, label):
    """{phase: {goalie, agent}} for one round (each phase's figures as shares of a core)."""
    seconds = opts.interval
    found = {}
    # Working: the first request hangs, so the agent shows its spinner for as long
    # as we like.
    since = time.time()
    run = Run(agent, home, model.url, opts.agents_dir,
              "Benchmark: wait for the model. [hang]", sessions=opts.sessions,
              label=f"{label}-working")
    try:
        if not model.wait_turns(since, 1, 180):
            raise RuntimeError(f"{agent} sent no turn request\n{run.output()[-2000:]}")
        time.sleep(opts.settle)
        found["working"] = CpuMeter(run.proc.pid).measure(seconds)
    finally:
        run.stop()
    # Streaming, then idle: a long reply; the goal is paused while it streams,
    # so that once the turn ends goalie types nothing more.
    # About 2.7 words a chunk, a chunk every 30 ms: some 130 tokens a second, as a
    # fast model streams.
    words = int((opts.settle + seconds + 10) / 0.03 * 2.7)
    since = time.time()
    run = Run(agent, home, model.url, opts.agents_dir,
              f"Benchmark: print a long reply. [chunkms=30] [words={words}]",
              sessions=opts.sessions,
              label=f"{label}-streaming")
    try:
        if not model.wait_turns(since, 1, 180):
            raise RuntimeError(f"{agent} sent no turn request\n{run.output()[-2000:]}")
        time.sleep(1.0)
        found["streaming"] = CpuMeter(run.proc.pid).measure(seconds)
        streaming = [t for t in model.turns(since) if t["end"] is not None]
        if streaming:
            log(f"warning: the reply ended before the streaming interval did "
                f"({agent}, {home})")
        paused_at = time.time()
        out = run.goalie("pause")
        if out.returncode != 0:
            raise RuntimeError(f"goalie pause: {out.stdout}")
        if not run.wait_row("turn_ended", words * 0.02 + 120, after=paused_at - 1):
            raise RuntimeError(f"the paused turn never ended\n{run.output()[-2000:]}")
        time.sleep(opts.settle + 1)
        found["idle"] = CpuMeter(run.proc.pid).measure(seconds)
        typed = [r for r in run.rows("injection") if r[0] > paused_at]
        if typed:
            log(f"warning: goalie typed a prompt after the pause ({agent}, {home})")
    finally:
        run.stop()
    return found


def run(model, opts):
    rows = []
    for agent in opts.agents:
        for home in opts.homes:
            rounds = []
            for r in range(opts.rounds):
                log(f"cpu: {agent}, {home} home, round {r + 1}/{opts.rounds}")
                rounds.append(one_round(agent, home, model, opts, f"cpu-{agent}-{home}"))
            for phase in PHASES:
                g = median([x[phase]["goalie"] for x in rounds])
                a = median([x[phase]["agent"] for x in rounds])
                ratio = median([x[phase]["goalie"] / x[phase]["agent"]
                                for x in rounds if x[phase]["agent"] > 0])
                note("cpu", f"{agent}/{home}/{phase}", {
                    "goalie_core_share": g, "agent_core_share": a, "ratio": ratio,
                    "rounds": rounds and [x[phase] for x in rounds]})
                rows.append((agent, home, phase, fmt(100 * g, ".1f") + " %",
                             fmt(100 * a, ".1f") + " %", fmt(ratio) + "×"))
    table(f"CPU: goalie against the agent (median of {opts.rounds}, {opts.interval:g} s each)",
          ["agent", "home", "phase", "goalie (share of a core)", "agent (tree)",
           "goalie / agent"], rows)
