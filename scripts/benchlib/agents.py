"""The real agent CLIs under goalie, offline against the fake model, as
tests/it/support/agents.rs sets them up; and homes to run them in: empty, or lived-in
(thousands of earlier sessions, as every real user's ~/.codex or ~/.claude holds)."""

import calendar
import json
import os
import random
import re
import shlex
import shutil
import sqlite3
import subprocess
import time
import uuid

from .util import CACHE, GOALIE, ROOT, Started, log, wait_for

AGENTS = ("codex", "claude")
AGENT_ARGS = {
    "codex": [],
    "claude": ["--model", "claude-sonnet-4-5", "--dangerously-skip-permissions"],
}
SCRUBBED = [
    "OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_API_BASE", "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_BASE_URL", "ANTHROPIC_MODEL", "CLAUDE_CODE_USE_BEDROCK",
    "CLAUDE_CODE_USE_VERTEX", "CLAUDE_CONFIG_DIR", "CODEX_HOME", "CODEX_API_KEY",
    "GEMINI_API_KEY", "GOOGLE_API_KEY", "GOOGLE_GEMINI_BASE_URL", "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_GENAI_USE_VERTEXAI", "GEMINI_CLI_HOME", "OPENCODE_CONFIG", "OPENCODE_CONFIG_DIR",
    "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME", "GOALIE_LOG",
]
DEAD_PROXY = "http://127.0.0.1:9"
CLAUDE_KEY = "sk-ant-fake-0000000000-goalie-test-key"
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "session-logs")
CODEX_FIXTURE = ("codex-0.169.0-rollout-compacting.jsonl", "01a1fdfc-4a77-72a1-8dfa-4b599bfac79f")
CLAUDE_FIXTURE = ("claude-2.1.197-transcript-turns.jsonl", "e98f3d61-ac2c-4c1f-87cc-15ac176ec389")
FIXTURE_CWD = "/home/user/project"
# Every run's working directory: fixed, so that a lived-in home can hold earlier
# sessions of this very project.
WORKDIR = os.path.join(CACHE, "project")


def agents_dir(option=None):
    return option or os.environ.get("GOALIE_AGENTS_DIR") or os.path.join(ROOT, ".cache", "agents")


def cli_path(adir, name):
    path = os.path.join(adir, "node_modules", ".bin", name)
    return path if os.access(path, os.X_OK) else None


def offline_env(adir, workdir, private):
    """goalie's environment for a real agent: no credentials or endpoints of ours,
    a dead proxy for all but loopback, the CLIs on PATH, a private goalie setup."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy",
                "all_proxy"):
        env[var] = DEAD_PROXY
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env["PATH"] = os.path.join(adir, "node_modules", ".bin") + os.pathsep + env.get("PATH", "")
    env["PWD"] = workdir
    env["GOALIE_DB"] = os.path.join(private, "goalie.db")
    env["GOALIE_CONFIG_DIR"] = os.path.join(private, "config")
    env["XDG_RUNTIME_DIR"] = os.path.join(private, "run")
    # goalie's recordings of the agent's screen stay in the benchmark's folder too.
    env["XDG_STATE_HOME"] = os.path.join(private, "state")
    os.makedirs(env["XDG_RUNTIME_DIR"], mode=0o700, exist_ok=True)
    return env


def setup_codex(env, home, base_url, workdir):
    os.makedirs(home, exist_ok=True)
    config = f'''model = "fake-model"
model_provider = "fake"
approval_policy = "never"
sandbox_mode = "workspace-write"
check_for_update_on_startup = false

[model_providers.fake]
name = "fake"
base_url = "{base_url}/v1"
env_key = "FAKE_MODEL_API_KEY"
wire_api = "responses"

[analytics]
enabled = false

[features]
plugins = false

[tui]
screen_reader_detection_done = true
status_line = ["model-with-reasoning", "run-state", "context-remaining", "used-tokens"]

[projects."{workdir}"]
trust_level = "trusted"
'''
    with open(os.path.join(home, "config.toml"), "w") as f:
        f.write(config)
    env["CODEX_HOME"] = home
    env["FAKE_MODEL_API_KEY"] = "fake-key"


def setup_claude(env, config_dir, base_url, workdir):
    os.makedirs(config_dir, exist_ok=True)
    state = {
        "hasCompletedOnboarding": True,
        "theme": "dark",
        "customApiKeyResponses": {"approved": [CLAUDE_KEY[-20:]], "rejected": []},
        "projects": {workdir: {"hasTrustDialogAccepted": True, "allowedTools": []}},
    }
    with open(os.path.join(config_dir, ".claude.json"), "w") as f:
        json.dump(state, f)
    with open(os.path.join(config_dir, "settings.json"), "w") as f:
        f.write('{"skipDangerousModePermissionPrompt": true}')
    env.update({
        "CLAUDE_CONFIG_DIR": config_dir,
        "ANTHROPIC_BASE_URL": base_url,
        "ANTHROPIC_API_KEY": CLAUDE_KEY,
        "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
        "DISABLE_AUTOUPDATER": "1",
        "CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL": "1",
        "IS_SANDBOX": "1",
    })


# ---- lived-in homes -----------------------------------------------------------------

def claude_project_dir(path):
    return "".join(c if c.isascii() and c.isalnum() else "-" for c in path)


def _stamp(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t))


def _session_times(n, rng, now):
    """When each earlier session was written: most over the last 180 days, some
    earlier today, a few with mtimes in the future or far in the past."""
    times = []
    for i in range(n):
        if i % 100 == 0:
            times.append(now + rng.uniform(3600, 86400 * 2))      # future mtime
        elif i % 100 == 1:
            times.append(now - 86400 * rng.uniform(400, 900))     # long ago
        elif i % 50 == 2:
            times.append(now - rng.uniform(600, 6 * 3600))       # earlier today
        else:
            times.append(now - 86400 * rng.uniform(0.3, 180))
    return times


def _cwd_for(i, rng):
    """Another project for most sessions; this project for one in 40."""
    if i % 40 == 3:
        return WORKDIR
    return f"/home/user/src/project-{rng.randrange(60):02d}"


def lived_in_template(agent, n):
    """A cached tree of `n` earlier sessions (Codex `sessions/`, Claude `projects/`),
    made once from the recorded session logs in tests/fixtures with ids, times and
    working directories changed."""
    root = os.path.join(CACHE, "homes", f"{agent}-{n}")
    done = os.path.join(root, ".complete")
    if os.path.exists(done):
        return root
    shutil.rmtree(root, ignore_errors=True)
    log(f"generating a lived-in {agent} home with {n} earlier sessions")
    rng = random.Random(11)
    now = time.time()
    name, fixture_id = CODEX_FIXTURE if agent == "codex" else CLAUDE_FIXTURE
    with open(os.path.join(FIXTURES, name)) as f:
        template = f.read()
    fixture_day = "2026-11-21T"
    for i, t in enumerate(_session_times(n, rng, now)):
        sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        cwd = _cwd_for(i, rng)
        stamp = _stamp(t)
        text = (template.replace(fixture_id, sid).replace(FIXTURE_CWD, cwd)
                .replace(fixture_day, stamp[:11]))
        if agent == "codex":
            day = time.gmtime(t)
            folder = os.path.join(root, "sessions", f"{day.tm_year:04d}", f"{day.tm_mon:02d}",
                                  f"{day.tm_mday:02d}")
            path = os.path.join(folder, f"rollout-{stamp.replace(':', '-')}-{sid}.jsonl")
        else:
            folder = os.path.join(root, "projects", claude_project_dir(cwd))
            path = os.path.join(folder, f"{sid}.jsonl")
        os.makedirs(folder, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        os.utime(path, (t, t))
    open(done, "w").close()
    return root


def populate(agent, home, n):
    """Hard-links a lived-in template into `home` (CODEX_HOME or CLAUDE_CONFIG_DIR): the
    agent writes its own new session beside the old ones, never into them."""
    template = lived_in_template(agent, n)
    sub = "sessions" if agent == "codex" else "projects"
    subprocess.run(["cp", "-al", os.path.join(template, sub), os.path.join(home, sub)],
                   check=True)


# ---- one goalie run --------------------------------------------------------------

class Run:
    """goalie running a real agent (headless) on the fake model, in a fresh private
    setup; `home` is "empty" or "lived-in"."""

    def __init__(self, agent, home, model_url, adir, objective, goalie_args=(),
                 sessions=5000, adapter=None, label="run", before_start=None):
        self.agent = agent
        self.private = os.path.join(CACHE, "runs", label)
        shutil.rmtree(self.private, ignore_errors=True)
        shutil.rmtree(WORKDIR, ignore_errors=True)
        os.makedirs(WORKDIR)
        os.makedirs(self.private)
        # A repository of its own, as ralph's runs get: else goalie's `git status` of the
        # workspace at each turn's end walks the goalie checkout the folder is in.
        subprocess.run(["git", "init", "-q"], cwd=WORKDIR, check=True)
        self.env = offline_env(adir, WORKDIR, self.private)
        agent_home = os.path.join(self.private, f"{agent}-home")
        if agent == "codex":
            setup_codex(self.env, agent_home, model_url, WORKDIR)
        else:
            setup_claude(self.env, agent_home, model_url, WORKDIR)
        self.agent_home = agent_home
        if home == "lived-in":
            populate(agent, agent_home, sessions)
        if before_start:
            before_start(self)
        self.db = self.env["GOALIE_DB"]
        # The fake model's turns change nothing: the no-progress breaker is off.
        argv = [GOALIE, "run", "--headless", "--stall-turns", "0", *goalie_args]
        argv += ["--adapter", adapter] if adapter else ["--agent", agent]
        argv += [objective, "--", *AGENT_ARGS[agent]]
        self.proc = Started(argv, env=self.env, cwd=WORKDIR,
                            log_path=os.path.join(self.private, "goalie.out"))
        self.started_at = self.proc.started_at

    def rows(self, kind=None):
        """The ledger's rows (at as Unix seconds, kind, data), oldest first."""
        if not os.path.exists(self.db):
            return []
        try:
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=5)
            try:
                found = conn.execute("SELECT at, kind, data FROM events ORDER BY seq").fetchall()
            finally:
                conn.close()
        except sqlite3.Error:
            return []
        rows = [(parse_at(at), k, json.loads(d)) for at, k, d in found]
        return [r for r in rows if kind is None or r[1] == kind]

    def wait_row(self, kind, timeout, after=0.0):
        return wait_for(lambda: [r for r in self.rows(kind) if r[0] >= after], timeout, 0.1)

    def goalie(self, *args):
        return subprocess.run([GOALIE, *args], env=self.env, cwd=WORKDIR,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self):
        return self.proc.stop()

    def output(self):
        with open(self.proc.log_path, errors="replace") as f:
            return f.read()


def parse_at(at):
    """A ledger time (`2026-12-01T09:38:00.123Z`) as Unix seconds."""
    base, _, frac = at.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + (frac or "0"))


def fresh_run(agent, model, opts, label, lived_in=False):
    """A run's private folder (CACHE/runs/LABEL) and the project folder, both made anew;
    the offline environment, with the agent set up in `private/AGENT-home` against the
    fake `model` (its earlier sessions when `lived_in`). Returns (private, env, home)."""
    private = os.path.join(CACHE, "runs", label)
    shutil.rmtree(private, ignore_errors=True)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    os.makedirs(private)
    os.makedirs(WORKDIR)
    env = offline_env(opts.agents_dir, WORKDIR, private)
    home = os.path.join(private, f"{agent}-home")
    (setup_codex if agent == "codex" else setup_claude)(env, home, model.url, WORKDIR)
    if lived_in:
        populate(agent, home, opts.sessions)
    return private, env, home


def write_wrapper(path, env, agent, args):
    """A shell script that starts `agent ARGS` in the project folder with `env`: for
    terminals (tmux) that take a command, not an environment."""
    with open(path, "w") as f:
        f.write("#!/bin/sh\n")
        for k, v in env.items():
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", k):
                f.write(f"export {k}={shlex.quote(v)}\n")
        f.write(f"cd {shlex.quote(WORKDIR)}\nexec {agent} {' '.join(map(shlex.quote, args))}\n")
    os.chmod(path, 0o755)
