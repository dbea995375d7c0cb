"""Side by side with ralph-orchestrator (crates.io `ralph-cli`), the strongest peer,
on the same fake model and the same agent CLI: the turn gap, the first model request
after start, and the supervisor's CPU per minute of agent work.

ralph runs the agent headless, one process per iteration (`claude --print
--output-format stream-json`, `codex exec`); goalie drives the interactive TUI and
must wait for it to be ready. The peer is built here, into .cache/ralph, on request
or when missing outside CI (never in CI)."""

import os
import re
import subprocess
import time

from . import floor
from .agents import WORKDIR, Run, fresh_run
from .fake_model import FakeModel, turn_gaps
from .util import ROOT, CpuMeter, Started, fmt, log, median, note, table

RALPH_VERSION = "2.10.1"
RALPH_ROOT = os.path.join(ROOT, ".cache", "ralph")
RALPH = os.path.join(RALPH_ROOT, "bin", "ralph")


def build_command():
    return ["nice", "-n", "19", "cargo", "install", "ralph-cli", "--version", RALPH_VERSION,
            "--root", RALPH_ROOT, "--locked", "-j", "1"]


def start_build():
    """Starts building the peer in the background (it takes a while on two cores);
    the process, or None when it is built already or this is CI."""
    if os.access(RALPH, os.X_OK) or os.environ.get("CI"):
        return None
    os.makedirs(RALPH_ROOT, exist_ok=True)
    log(f"building ralph-cli {RALPH_VERSION} into .cache/ralph in the background "
        "(log: .cache/ralph/build.log)")
    return Started(build_command(), cwd=ROOT, log_path=os.path.join(RALPH_ROOT, "build.log"))


def wait_build(build, timeout=3 * 3600):
    if build is not None:
        log("waiting for the ralph-cli build")
        try:
            build.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            build.stop()
    return os.access(RALPH, os.X_OK)


# The work run: every reply (turn 1's and each continuation's, goalie's and ralph's
# alike) streams for about 60 s / turns, one chunk every CHUNK_MS, so the agent works
# about a minute in all and a supervisor's fixed start and stop weigh in it as in real
# use, not over a few seconds of instant replies. The slow stream is the work run's own
# fake model's default (FAKE_MODEL_DIRECTIVES), not a directive in the prompt: neither
# ralph's wrapped prompt nor goalie's continuation prompts carry the first prompt's text.
WORK_S = 60.0
CHUNK_MS = 250
FILLER = ("streamed", "text", "for", "the", "benchmark", "of", "an", "agent", "printing",
          "output")


def reply_chunks(words):
    """How many chunks the fake model streams a `[words=N]` reply in (as its
    directive rule writes the reply and sse.rs's chunk_text splits it: at most
    16 bytes a chunk, at spaces)."""
    text = "ECHO-SAFE reply #1"
    for i in range(1, words + 1):
        text += ("\n" if i % 12 == 1 else " ") + FILLER[i % len(FILLER)]
    chunks, current = 0, ""
    for piece in re.findall(r"[^ ]* ?", text):
        if not piece:
            continue
        if current and len(current) + len(piece) > 16:
            chunks, current = chunks + 1, ""
        current += piece
    return chunks + (1 if current else 0)


def work_directives(opts):
    want = WORK_S * 1000 / CHUNK_MS / opts.peer_turns
    words = 1
    while reply_chunks(words) < want:
        words += 1
    return f"[chunkms={CHUNK_MS}] [words={words}]"


def ralph_round(agent, model, opts, label, prompt="Benchmark: reply at once."):
    private, env, _ = fresh_run(agent, model, opts, label)
    env["HOME"] = private  # ~/.ralph: none
    subprocess.run(["git", "init", "-q"], cwd=WORKDIR, check=True)
    with open(os.path.join(WORKDIR, "ralph.yml"), "w") as f:
        f.write(f"""cli:
  backend: "{agent}"
event_loop:
  max_iterations: {opts.peer_turns}
  completion_promise: "LOOP_COMPLETE"
""")
    since = time.time()
    proc = Started([RALPH, "run", "--no-tui", "--skip-preflight",
                    "-c", "ralph.yml", "--max-iterations", str(opts.peer_turns),
                    "-p", prompt],
                   env=env, cwd=WORKDIR, log_path=os.path.join(private, "ralph.out"))
    try:
        cpu = CpuMeter(proc.pid, goalie_exe=RALPH).measure(120 + 60 * opts.peer_turns,
                                                          until_exit=True)
    finally:
        proc.stop(grace=10)
    return summarize(model.turns(since), proc.started_at, cpu, os.path.join(private, "ralph.out"))


def goalie_round(agent, model, opts, label, prompt="Benchmark: reply at once."):
    since = time.time()
    run = Run(agent, "empty", model.url, opts.agents_dir, prompt,
              goalie_args=["--max-turns", str(opts.peer_turns)], label=label)
    try:
        cpu = CpuMeter(run.proc.pid).measure(120 + 60 * opts.peer_turns, until_exit=True)
    finally:
        run.stop()
    return summarize(model.turns(since), run.started_at, cpu, run.proc.log_path)


def summarize(turns, started_at, cpu, out):
    first = min((t["at"] for t in turns), default=None)
    found = {
        "turn_gap": median(turn_gaps(turns)),
        "first_request": first - started_at if first else None,
        "supervisor_cpu_s_per_min": 60 * cpu["goalie_s"] / cpu["wall"],
        "supervisor_core_share": cpu["goalie"],
        "agent_core_share": cpu["agent"],
        "turns": len(turns),
        "wall": cpu["wall"],
    }
    if len(turns) < 2:
        log(f"warning: fewer than two turns reached the model (see {out})")
    return found


def first_request_row(agent, found, floors):
    """goalie's and ralph's first request beside the agent's own floors (its TUI, its
    headless mode), each round against the floor of the same round."""
    def diffs(who, kind):
        return median([x["first_request"] - f for x, f in zip(found[who], floors[kind])
                       if x["first_request"] is not None and f is not None])
    m = {
        "goalie": median([x["first_request"] for x in found["goalie"]]),
        "pty_alone": median(floors["pty"]),
        "goalie_minus_pty": diffs("goalie", "pty"),
        "tmux_alone": median(floors["tui"]),
        "ralph": median([x["first_request"] for x in found["ralph"]]),
        "headless_alone": median(floors["headless"]),
        "ralph_minus_headless": diffs("ralph", "headless"),
    }
    note("peer_first_request", agent, {"median": m, "floors": floors})
    plus = lambda v: ("+" if v is not None and v > 0 else "") + fmt(v) + " s"  # noqa: E731
    return (agent, fmt(m["goalie"]) + " s", fmt(m["pty_alone"]) + " s",
            plus(m["goalie_minus_pty"]), fmt(m["tmux_alone"]) + " s", fmt(m["ralph"]) + " s",
            fmt(m["headless_alone"]) + " s", plus(m["ralph_minus_headless"]))


def run(model, opts):
    if not os.access(RALPH, os.X_OK):
        print(f"\n### Side by side with ralph-orchestrator\n\n(not built: run `scripts/bench "
              f"peer --build-peer` or `{' '.join(build_command())}`)")
        return
    rows, first_rows = [], []
    for agent in opts.agents:
        found = {"ralph": [], "goalie": []}
        floors = {"pty": [], "tui": [], "headless": []}
        for r in range(opts.rounds):
            log(f"peer: {agent}, round {r + 1}/{opts.rounds}")
            found["ralph"].append(ralph_round(agent, model, opts, f"peer-ralph-{agent}"))
            found["goalie"].append(goalie_round(agent, model, opts, f"peer-goalie-{agent}"))
            # The agent alone, in the same round: what its TUI and its headless mode need.
            prompt = "Benchmark: reply at once."
            floors["pty"].append(floor.pty_first_request(agent, model, opts,
                                                         f"peer-pty-{agent}", prompt))
            floors["tui"].append(floor.tui_first_request(agent, model, opts,
                                                         f"peer-tmux-{agent}", prompt))
            floors["headless"].append(floor.headless_first_request(
                agent, model, opts, f"peer-headless-{agent}", prompt))
        first_rows.append(first_request_row(agent, found, floors))
        for who, rounds in found.items():
            m = {k: median([x[k] for x in rounds]) for k in rounds[0]}
            note("peer", f"{agent}/{who}", {"median": m, "rounds": rounds})
            rows.append((agent, who, fmt(m["turn_gap"]) + " s", fmt(m["first_request"]) + " s",
                         fmt(m["supervisor_cpu_s_per_min"], ".2f") + " s",
                         fmt(100 * m["supervisor_core_share"], ".1f") + " %",
                         fmt(100 * m["agent_core_share"], ".1f") + " %"))
    table(f"First model request after start, against what the agent itself needs (median "
          f"of {opts.rounds}; the differences are medians of each round's)",
          ["agent", "goalie (TUI)", "agent's TUI alone on a bare PTY, prompt on its command line",
           "goalie − TUI alone", "the same in tmux", "ralph (headless)", "agent headless alone",
           "ralph − headless alone"], first_rows)
    table(f"Side by side with ralph-orchestrator {RALPH_VERSION} ({opts.peer_turns} turns, "
          f"median of {opts.rounds})",
          ["agent", "supervisor", "turn gap (model's view)", "first request after start",
           "supervisor CPU per minute", "supervisor (share of a core)", "agent (tree)"], rows)
    work(opts)


def work(opts, rounds=None):
    """The work run, on a fake model of its own whose every reply streams slowly;
    `rounds` of it (default: opts.rounds), the median of each figure."""
    if not os.access(RALPH, os.X_OK):
        print("\n### The work run\n\n(ralph not built: `scripts/bench peer --build-peer`)")
        return
    rounds = rounds or opts.rounds
    directives = work_directives(opts)
    log(f"peer: the work run's fake model streams every reply with {directives}")
    slow = FakeModel(directives=directives, name="fake-model-slow")
    work_rows = []
    try:
        for agent in opts.agents:
            found = {"ralph": [], "goalie": []}
            for r in range(rounds):
                for who, one in (("ralph", ralph_round), ("goalie", goalie_round)):
                    log(f"peer: {agent}, {who}, about a minute of work, round {r + 1}/{rounds}")
                    found[who].append(one(agent, slow, opts, f"peer-work-{who}-{agent}",
                                          "Benchmark: work for a while."))
            for who, runs in found.items():
                m = {k: median([x[k] for x in runs]) for k in runs[0]}
                note("peer_work", f"{agent}/{who}", {"median": m, "rounds": runs})
                spread = [x["supervisor_cpu_s_per_min"] for x in runs]
                work_rows.append((agent, who, fmt(m["wall"], ".0f") + " s", fmt(m["turns"], ".0f"),
                                  fmt(m["supervisor_cpu_s_per_min"], ".2f") + " s ("
                                  + "–".join(fmt(v, ".2f") for v in (min(spread), max(spread)))
                                  + ")",
                                  fmt(100 * m["supervisor_core_share"], ".2f") + " %",
                                  fmt(100 * m["agent_core_share"], ".1f") + " %"))
    finally:
        slow.close()
    table(f"Supervisor CPU over about a minute of agent work ({opts.peer_turns} turns, every "
          f"reply streamed for ~{WORK_S / opts.peer_turns:.0f} s, {directives}; median of "
          f"{rounds})",
          ["agent", "supervisor", "run", "model requests", "supervisor CPU per minute (range)",
           "supervisor (share of a core)", "agent (tree)"], work_rows)
