"""The test suite's fake model server (tests/it/support/fake_model/), served by its
`serve_by_hand` test on a free port, with the request-time log (`FAKE_MODEL_TIMES`)
the timings are read from."""

import glob
import json
import os
import re
import subprocess
import time

from .util import CACHE, ROOT, Started, log, wait_for


def test_target():
    """The integration-test target holding `serve_by_hand`: `fake_model_protocols`
    (tests/fake_model_protocols.rs) or, once tests/ is one crate, `it` (tests/it/…)."""
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "**", "*.rs"), recursive=True)):
        with open(path, encoding="utf-8", errors="replace") as f:
            if "fn serve_by_hand" in f.read():
                rel = os.path.relpath(path, os.path.join(ROOT, "tests"))
                first = rel.split(os.sep)[0]
                return first[:-3] if first.endswith(".rs") else first
    raise SystemExit("no serve_by_hand test found under tests/")


def build_server():
    target = test_target()
    out = subprocess.run(
        ["cargo", "test", "--no-run", "--quiet", "--message-format=json", "--test", target],
        cwd=ROOT, check=True, stdout=subprocess.PIPE, text=True).stdout
    for line in out.splitlines():
        try:
            msg = json.loads(line)
        except ValueError:
            continue
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == target:
            return msg["executable"]
    raise SystemExit(f"cargo built no executable for --test {target}")


class FakeModel:
    """One server for the whole benchmark run; each measurement reads the times log
    from its own start on."""

    def __init__(self, directives="", name="fake-model"):
        # `directives`: applied to every reply (FAKE_MODEL_DIRECTIVES), e.g. a slow stream
        # for prompts the benchmark does not write (a peer's wrapped prompt, goalie's
        # continuation prompts); a prompt's own directives override them.
        self.exe = build_server()
        os.makedirs(CACHE, exist_ok=True)
        self.times_path = os.path.join(CACHE, f"{name}-times-{os.getpid()}.jsonl")
        self.log_path = os.path.join(CACHE, f"{name}-{os.getpid()}.log")
        for path in (self.times_path, self.log_path):
            if os.path.exists(path):
                os.remove(path)
        env = dict(os.environ, FAKE_MODEL_PORT="0", FAKE_MODEL_SECONDS="86400",
                   FAKE_MODEL_TIMES=self.times_path, FAKE_MODEL_DIRECTIVES=directives)
        self.proc = Started([self.exe, "serve_by_hand", "--ignored", "--nocapture",
                             "--test-threads=1"], env=env, cwd=ROOT, log_path=self.log_path)
        self.url = wait_for(self._url, 60, 0.1)
        if not self.url:
            self.proc.stop()
            raise SystemExit(f"the fake model did not start (see {self.log_path})")
        log(f"fake model on {self.url}")

    def _url(self):
        try:
            with open(self.log_path, errors="replace") as f:
                m = re.search(r"fake model on (http://127\.0\.0\.1:\d+)", f.read())
        except OSError:
            return None
        return m and m.group(1)

    def events(self, since=0.0):
        """The times log from `since` (Unix seconds) on: request and end rows."""
        rows = []
        try:
            with open(self.times_path) as f:
                for line in f:
                    try:
                        row = json.loads(line)
                    except ValueError:
                        continue
                    if row["at"] >= since:
                        rows.append(row)
        except OSError:
            pass
        return rows

    def turns(self, since=0.0):
        """Turn requests from `since` on, each with `end` (when its answer was sent in
        full; None for a hung one)."""
        rows = self.events(since)
        ends = {r["index"]: r["at"] for r in rows if r["event"] == "end"}
        turns = [dict(r) for r in rows if r["event"] == "request" and r["kind"] == "Turn"]
        for t in turns:
            t["end"] = ends.get(t["index"])
        return turns

    def wait_turns(self, since, n, timeout):
        return wait_for(lambda: len(self.turns(since)) >= n, timeout, 0.1)

    def close(self):
        self.proc.stop(grace=2)


def turn_gaps(turns):
    """The turn gap as the model sees it: from the end of one answer to the next turn
    request. Every benchmark prompt is answered by one reply without tool calls, so
    each turn request is a turn of its own."""
    gaps = []
    for before, after in zip(turns, turns[1:]):
        if before["end"]:
            gaps.append(after["at"] - before["end"])
    return gaps


def wait_quiet(model, since, seconds=1.0, timeout=30):
    """Waits until no request arrived for `seconds`."""
    def quiet():
        rows = model.events(since)
        last = max((r["at"] for r in rows), default=since)
        return time.time() - last >= seconds
    return wait_for(quiet, timeout, 0.1)
