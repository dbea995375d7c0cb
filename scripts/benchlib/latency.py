"""Latency: from the agent's own turn-end signal (its hook; its session log) to the
first byte of goalie's next prompt; from the end of the model's answer to that
byte when goalie reads only the screen (minus the quiet window); goalie's start
to its first prompt against the agent's own start to its idle screen; and the
turn gap as the model sees it (its last answer to the next request)."""

import os
import re
import subprocess
import time

from . import floor
from .agents import AGENT_ARGS, Run, fresh_run, write_wrapper
from .fake_model import turn_gaps
from .sessionwatch import SessionWatch
from .util import CACHE, ROOT, fmt, log, median, note, table, wait_for


def screen_only_adapter(agent, path):
    """The built-in adapter without its hook and session log: goalie has only the screen."""
    with open(os.path.join(ROOT, "adapters", f"{agent}.yaml")) as f:
        lines = f.read().splitlines()
    kept, skipping = [], False
    for line in lines:
        top = re.match(r"^([a-z_]+):", line)
        if top:
            skipping = top.group(1) in ("hook_args", "session_log")
        if not skipping:
            kept.append(line)
    with open(path, "w") as f:
        f.write("\n".join(kept) + "\n")
    text = "\n".join(kept)
    return int(re.search(r"^\s+quiet_ms:\s*(\d+)", text, re.M).group(1))


def next_after(times, t):
    later = [x for x in times if x >= t]
    return min(later) if later else None


def signalled_round(agent, home, model, opts, label):
    since = time.time()
    watch = []
    run = Run(agent, home, model.url, opts.agents_dir, "Benchmark: reply at once.",
              goalie_args=["--max-turns", str(opts.turns)], sessions=opts.sessions, label=label,
              before_start=lambda r: watch.append(SessionWatch(agent, r.agent_home)))
    try:
        if run.proc.proc.wait(timeout=120 + 60 * opts.turns) not in (3, 0):
            log(f"warning: goalie exited {run.proc.proc.returncode}: {run.output()[-1500:]}")
    finally:
        run.stop()
    ends = watch[0].stop()
    injections = [r[0] for r in run.rows("injection")]
    hooks = [r[0] for r in run.rows("turn_signal") if r[2].get("source") != "session_log"]
    # When each turn-end line could be read in this run's own session file (the
    # agent's own stamp inside the line can be earlier: Claude writes it later).
    logs = [seen for seen, _ in ends]
    hook_lat = [next_after(injections, h) - h for h in hooks if next_after(injections, h)]
    log_lat = [next_after(injections, t) - t for t in logs if next_after(injections, t)]
    both = []
    for h in hooks:
        # The log's turn end of the same turn: the first after the prompt the hook ended.
        typed = [i for i in injections if i <= h]
        t = next_after(logs, typed[-1]) if typed else None
        if t is None or abs(t - h) > 5:
            continue
        latest = max(h, t)
        nxt = next_after(injections, latest)
        if nxt:
            both.append(nxt - latest)
    agent_started = [r[0] for r in run.rows("agent_started")]
    turns = model.turns(since)
    first_request = min((t["at"] for t in turns), default=None)
    return {
        "hook_to_byte": median(hook_lat),
        "log_to_byte": median(log_lat),
        "both_to_byte": median(both),
        "log_write_lag": median([seen - stamped for seen, stamped in ends]),
        "start_to_spawn": agent_started[0] - run.started_at if agent_started else None,
        "model_gap": median(turn_gaps(turns)),
        "start_to_prompt": injections[0] - run.started_at if injections else None,
        "start_to_request": first_request - run.started_at if first_request else None,
        "turns": len(injections),
    }


def screen_round(agent, home, model, opts, label):
    adapter = os.path.join(CACHE, f"{agent}-screen-only.yaml")
    quiet_ms = screen_only_adapter(agent, adapter)
    since = time.time()
    run = Run(agent, home, model.url, opts.agents_dir, "Benchmark: reply at once.",
              goalie_args=["--max-turns", str(opts.turns)], sessions=opts.sessions,
              adapter=adapter, label=label)
    try:
        run.proc.proc.wait(timeout=120 + 60 * opts.turns)
    finally:
        run.stop()
    injections = [r[0] for r in run.rows("injection")]
    over = []
    for turn in model.turns(since):
        nxt = next_after(injections, turn["end"]) if turn["end"] else None
        if nxt:
            over.append(nxt - turn["end"] - quiet_ms / 1000)
    return {"screen_to_byte_minus_quiet": median(over), "quiet_ms": quiet_ms}


IDLE = {"codex": r"^› (Ask Codex to do anything|[^\d\s])", "claude": r"^❯"}


def starting_patterns(agent):
    """The adapter's `screen.starting` rows (its start screen still being drawn)."""
    with open(os.path.join(ROOT, "adapters", f"{agent}.yaml")) as f:
        text = f.read()
    block = re.search(r"^  starting:\n((?:    - .*\n)+)", text, re.M)
    if not block:
        return []
    return [re.compile(m.group(1).replace("''", "'"), re.M)
            for m in re.finditer(r"^    - '(.*)'$", block.group(1), re.M)]


def agent_alone_start(agent, home, model, opts, label):
    """The agent's own start to its idle screen, and to its full start screen (the idle
    screen with no row of the adapter's `starting`): the CLI alone in tmux (a real
    terminal emulator), its screen read every 20 ms."""
    private, env, _ = fresh_run(agent, model, opts, label, lived_in=home == "lived-in")
    args = (["--no-daemon"] if agent == "codex" else []) + AGENT_ARGS[agent]
    wrapper = os.path.join(private, "agent.sh")
    write_wrapper(wrapper, env, agent, args)
    socket = f"goalie-bench-{os.getpid()}"
    tmux = ["tmux", "-L", socket, "-f", "/dev/null"]
    idle = re.compile(IDLE[agent], re.M)
    starting = starting_patterns(agent)
    started = time.time()
    subprocess.run(tmux + ["new-session", "-d", "-x", "120", "-y", "40", wrapper], check=True)
    seen = {}
    try:
        def ready():
            out = subprocess.run(tmux + ["capture-pane", "-p"], stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True).stdout
            now = time.time()
            if idle.search(out):
                seen.setdefault("idle", now)
                if not any(p.search(out) for p in starting):
                    return now
            return None
        at = wait_for(ready, 120, 0.02)
    finally:
        subprocess.run(tmux + ["kill-server"], stderr=subprocess.DEVNULL)
    idle_at = seen.get("idle")
    return (idle_at - started if idle_at else None, at - started if at else None)


def run(model, opts):
    rows, start_rows = [], []
    overhead = {}
    for agent in opts.agents:
        for home in opts.homes:
            sig, scr, alone, floors = [], [], [], []
            for r in range(opts.rounds):
                log(f"latency: {agent}, {home} home, round {r + 1}/{opts.rounds}")
                sig.append(signalled_round(agent, home, model, opts, f"lat-{agent}-{home}"))
                scr.append(screen_round(agent, home, model, opts, f"lat-screen-{agent}-{home}"))
                alone.append(agent_alone_start(agent, home, model, opts,
                                               f"lat-alone-{agent}-{home}"))
                floors.append(floor.pty_first_request(
                    agent, model, opts, f"lat-floor-{agent}-{home}",
                    "Benchmark: reply at once.", lived_in=home == "lived-in"))
            m = {k: median([x[k] for x in sig]) for k in sig[0] if k != "turns"}
            m["screen_to_byte_minus_quiet"] = median([x["screen_to_byte_minus_quiet"]
                                                      for x in scr])
            m["agent_start_to_idle"] = median([a[0] for a in alone])
            m["agent_start_to_ready"] = median([a[1] for a in alone])
            # The agent alone with the prompt on its command line, on a bare PTY that
            # answers its queries: its own first request.
            m["agent_tui_first_request"] = median(floors)
            m["goalie_request_over_tui"] = median([
                x["start_to_request"] - f for x, f in zip(sig, floors)
                if x["start_to_request"] is not None and f is not None])
            # goalie's own part of the start-up: its first prompt against the agent's
            # full start screen, each round against the agent alone of that round.
            m["goalie_start_overhead"] = median([
                x["start_to_prompt"] - a[1] for x, a in zip(sig, alone)
                if x["start_to_prompt"] is not None and a[1] is not None])
            note("latency", f"{agent}/{home}", {"median": m, "signalled": sig, "screen": scr,
                                               "agent_alone": alone, "tui_floor": floors})
            overhead[(agent, home)] = m
            ms = lambda v: fmt(None if v is None else 1000 * v, ".0f") + " ms"  # noqa: E731
            rows.append((agent, home, ms(m["hook_to_byte"]), ms(m["log_to_byte"]),
                         ms(m["both_to_byte"]), ms(m["log_write_lag"]),
                         ms(m["screen_to_byte_minus_quiet"]), ms(m["model_gap"])))
            start_rows.append((agent, home, fmt(m["agent_start_to_idle"]) + " s",
                               fmt(m["agent_start_to_ready"]) + " s",
                               fmt(m["start_to_spawn"]) + " s",
                               fmt(m["start_to_prompt"]) + " s",
                               fmt(m["start_to_request"]) + " s",
                               fmt(m["agent_tui_first_request"]) + " s",
                               fmt(m["goalie_request_over_tui"]) + " s",
                               fmt(m["goalie_start_overhead"]) + " s"))
    table(f"Latency (median of {opts.rounds} runs of {opts.turns} turns each)",
          ["agent", "home", "hook → first byte", "session log line written → first byte",
           "both said so → first byte", "agent: log line stamped → written",
           "screen only: → first byte − quiet window",
           "model: last answer → next request"], rows)
    for agent in opts.agents:
        e, lv = overhead.get((agent, "empty")), overhead.get((agent, "lived-in"))
        if not (e and lv):
            continue
        # goalie's own start-up in both homes: the time to spawn the agent, and its
        # first prompt after the agent's full start screen.
        spawn = (lv["start_to_spawn"] / e["start_to_spawn"]
                 if lv["start_to_spawn"] and e["start_to_spawn"] else None)
        extra = (lv["goalie_start_overhead"] - e["goalie_start_overhead"]
                 if lv["goalie_start_overhead"] is not None
                 and e["goalie_start_overhead"] is not None else None)
        note("latency", f"{agent}/start_lived_vs_empty",
             {"spawn_ratio": spawn, "overhead_lived_minus_empty": extra,
              "prompt_ratio": (lv["start_to_prompt"] / e["start_to_prompt"]
                               if lv["start_to_prompt"] and e["start_to_prompt"] else None)})
        start_rows.append((agent, "lived-in vs empty", "", "", fmt(spawn) + "×",
                           fmt(lv["start_to_prompt"] / e["start_to_prompt"]
                               if lv["start_to_prompt"] and e["start_to_prompt"] else None)
                           + "×", "", "", "",
                           ("+" if extra and extra > 0 else "") + fmt(extra) + " s"))
    table("Start-up (goalie's own part: after the agent's full start screen, alone)",
          ["agent", "home", "agent alone: start → idle screen",
           "agent alone: start → full start screen", "goalie: start → agent spawned",
           "goalie: start → first prompt byte", "goalie: start → first model request",
           "agent alone on a bare PTY, prompt on its command line: start → first model request",
           "goalie's first request − the agent's alone",
           "goalie's part: first prompt − agent's full start screen"], start_rows)
