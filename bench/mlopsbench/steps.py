"""The steps of one tool's run, in order. Each step is a function of a ToolRun: it runs the git
commands every tool shares and asks the tool's adapter (tools/) for the rest, times what it measures
with `run.timed(key)`, and checks what it produced with `run.verify` (untimed). A new step is a
function here, an entry in PHASES and, if it has a row in the report, one in STEPS."""
import os
import time

from . import data, log
from .disk import drop_caches, tree_bytes
from .measure import CmdFailed, Runner, Step, median_of, sh, throughput
from .sandbox import make_env
from .tools import TOOLS

# (key, label) of the timed steps, in report order. "push" is the sum of push_v1 and push_v2.
STEPS = [
    ("add_v1", "1. add v1 + commit"),
    ("status", "2. status, nothing changed (median of 3)"),
    ("add_v2", "3. add v2 + commit"),
    ("push_v1", "4a. push v1 to a local remote"),
    ("push_v2", "4b. push v2 (incremental)"),
    ("push", "4. push v1+v2 (4a+4b)"),
    ("clone_pull", "5. fresh clone + pull v2"),
    ("switch", "6. checkout v2 -> v1"),
    ("empty_checkout", "7. checkout v1 into an empty workspace"),
]
S3_STEPS = ["s3_push_v1", "s3_push_v2", "s3_pull_v2"]


class ToolRun:
    """One run of one tool: its directories, its runner, its timed steps and its result."""

    def __init__(self, ctx, name, run_no, r):
        self.ctx, self.name, self.run_no, self.r = ctx, name, run_no, r
        self.tool = TOOLS[name](ctx)
        self.dir = os.path.join(ctx.work, "run", name)
        self.repo = os.path.join(self.dir, "repo")
        self.origin = os.path.join(self.dir, "origin.git")   # bare git repository, the `origin` remote
        self.remote = os.path.join(self.dir, "remote")       # the tool's local data remote
        self.clone = os.path.join(self.dir, "clone")
        self.trash = os.path.join(self.dir, "trash")         # deleted with the tool's directory
        self.steps = {}
        self.res = {"tool": name, "log": r.logfile, "steps": {}, "verify": {}, "errors": [], "store": {},
                    "notes": [], "loadavg_start": round(os.getloadavg()[0], 2)}

    def timed(self, key):
        self.steps[key] = Step(key)
        os.sync()  # flush the previous step's dirty pages so they are not written back during this one
        return self.steps[key]

    def store_bytes(self):
        return tree_bytes(os.path.join(self.repo, self.tool.store_rel))

    def verify(self, key, path, version):
        """Untimed: records whether the data under `path` is exactly `version` (its manifest)."""
        got = data.manifest(path)
        with open(os.path.join(self.ctx.data_dir, version + ".manifest")) as f:
            want = f.read()
        if got == want:
            self.res["verify"][key] = "ok"
            return
        g, w = set(got.splitlines()), set(want.splitlines())
        self.res["verify"][key] = "MISMATCH with %s: %d lines differ, e.g. %s" % (
            version, len(g ^ w), sorted(g ^ w)[:3])

    def verify_status_clean(self, label, where):
        """Untimed: the tool's own status agrees that the workspace matches what was checked out."""
        out = self.tool.status(self.r, where, None)
        self.res["verify"]["status_clean_after_" + label] = (
            "ok" if self.tool.status_clean(out) else "status not clean: %r" % out[:300])

    def commit(self, step, tag):
        """git add -A, git commit (timed in `step`), a tag, and a check that nothing is left."""
        self.r.run(["git", "add", "-A"], self.repo, step)
        self.r.run(["git", "commit", "-q", "-m", tag], self.repo, step)
        self.r.run(["git", "tag", tag], self.repo)
        left = self.r.run(["git", "status", "--porcelain"], self.repo, capture=True)
        self.res["verify"]["git_clean_after_" + tag] = (
            "ok" if not left.strip() else "git status not clean: %r" % left[:200])


# ----------------------------------------------------------------------------------------------
# The steps

def setup(run):
    r, t = run.r, run.tool
    run.res["version"] = t.version(r)
    r.run(["git", "init", "-q", "--bare", run.origin], run.dir)
    os.makedirs(run.remote)
    r.run(["git", "init", "-q", run.repo], run.dir)
    r.run(["git", "remote", "add", "origin", run.origin], run.repo)
    t.setup(r, run.repo, run.remote)
    r.run(["git", "add", "-A"], run.repo)
    r.run(["git", "commit", "-q", "--allow-empty", "-m", "init " + run.name], run.repo)
    sh(["cp", "-a", os.path.join(run.ctx.data_dir, "v1") + "/.", run.repo])  # a fresh copy for every tool
    run.res["store"]["before_v1"] = run.store_bytes()


def add_v1(run):
    s = run.timed("add_v1")
    run.tool.add(run.r, run.repo, s, "v1")
    run.commit(s, "v1")
    run.res["store"]["after_v1"] = run.store_bytes()


def status(run):
    s = run.timed("status")
    outs = [run.tool.status(run.r, run.repo, s) for _ in range(3)]
    run.res["status_runs"] = [c["wall"] for c in s.cmds]
    run.res["status_output"] = outs[-1][:2000]
    if not run.tool.status_clean(outs[-1]):
        run.res["notes"].append("status printed output with nothing changed: %r" % outs[-1][:300])


def add_v2(run):
    data.run_self("mutate", "--dir", run.repo, "--scale", run.ctx.scale)
    run.verify("workspace_v2_after_mutate", run.repo, "v2")
    s = run.timed("add_v2")
    run.tool.add(run.r, run.repo, s, "v2")
    run.commit(s, "v2")
    run.res["store"]["after_v2"] = run.store_bytes()


def remote_bytes(run):
    return tree_bytes(run.tool.remote_dir(run.origin, run.remote))


def push_v1(run):
    s = run.timed("push_v1")
    run.tool.push(run.r, run.repo, s, "v1")
    run.r.run(["git", "push", "-q", "origin", "v1:refs/heads/main"], run.repo, s)
    run.res["store"]["remote_after_v1"] = remote_bytes(run)


def push_v2(run):
    s = run.timed("push_v2")
    run.tool.push(run.r, run.repo, s, "HEAD")
    run.r.run(["git", "push", "-q", "origin", "main", "--tags"], run.repo, s)
    run.res["store"]["remote_after_v2"] = remote_bytes(run)


def clone_pull(run):
    s = run.timed("clone_pull")
    run.r.run(["git", "clone", "-q", run.origin, run.clone], run.dir, s, env_extra=run.tool.clone_env())
    run.tool.clone_pull(run.r, run.clone, s)
    run.verify("clone_v2", run.clone, "v2")
    run.verify_status_clean("clone", run.clone)
    os.rename(run.clone, os.path.join(run.trash, "clone"))  # see empty_checkout


def switch(run):
    s = run.timed("switch")
    run.r.run(["git", "checkout", "-q", "v1"], run.repo, s)
    run.tool.checkout(run.r, run.repo, s)
    run.verify("switch_v1", run.repo, "v1")
    run.verify_status_clean("switch", run.repo)


def empty_checkout(run):
    # Move the data aside rather than delete it: on ext4 without a journal (as here) the inode
    # allocator skips inodes deleted in the last minute, one by one, so creating files right
    # after deleting thousands costs much more kernel time (see disk.py).
    for p in data.DATA_PATHS:
        full = os.path.join(run.repo, p)
        if os.path.lexists(full):
            os.rename(full, os.path.join(run.trash, "empty-" + p))
    s = run.timed("empty_checkout")
    run.tool.checkout_empty(run.r, run.repo, s)
    run.verify("empty_checkout_v1", run.repo, "v1")
    run.verify_status_clean("empty_checkout", run.repo)


def s3(run):
    """Push v1 and v2 to a prefix of the run's bucket, then pull v2 into a fresh clone."""
    srv, t, r = run.ctx.s3, run.tool, run.r
    if srv.error:
        raise CmdFailed("S3 server not available: %s" % srv.error)
    why_not = t.s3_missing()
    if why_not:
        run.res["s3"] = {"skipped": why_not}
        return
    r.env.update(srv.env)
    prefix = "%s-run%d" % (run.name, run.run_no)  # every run starts from an empty remote
    out = {"remote": srv.url(prefix)}
    run.res["s3"] = out
    clone = os.path.join(run.dir, "clone-s3")
    keys = []

    def timed(key):
        keys.append(key)
        return run.timed(key)

    try:
        t.s3_remote_add(r, run.repo, srv.url(prefix), srv.endpoint)
        for rev in ("v1", "v2"):
            report = t.s3_push(r, run.repo, timed("s3_push_" + rev), rev)
            if report is not None:
                out["push_%s_report" % rev] = report
        r.run(["git", "clone", "-q", run.origin, clone], run.dir)
        t.s3_remote_add(r, clone, srv.url(prefix), srv.endpoint)
        report = t.s3_pull(r, clone, timed("s3_pull_v2"))
        if report is not None:
            out["pull_v2_report"] = report
        run.verify("s3_pull_v2", clone, "v2")
    finally:
        run.ctx.disk.discard(clone)
        out["objects"], out["bytes"] = srv.prefix_bytes(prefix)
        info = run.ctx.data_info
        for k, nbytes in (("s3_push_v1", info["v1"]["bytes"]), ("s3_pull_v2", info["v2"]["bytes"])):
            if k in keys and run.steps[k].wall > 0 and run.steps[k].ok:
                out[k + "_MBps"] = throughput(nbytes, run.steps[k].wall)


class Phase:
    """A step in the run's order: `label` names it in errors, `progress` (if any) is logged before it,
    a `fatal` failure ends the tool's run, `after` names a step that must have worked first, `when`
    says whether it applies to this run."""

    def __init__(self, label, fn, progress=None, fatal=False, after=None, when=None):
        self.label, self.fn, self.progress, self.fatal, self.after, self.when = label, fn, progress, fatal, after, when


PHASES = [
    Phase("setup", setup, fatal=True),
    Phase("add v1", add_v1, "add v1", fatal=True),
    Phase("status", status, "status"),
    Phase("add v2", add_v2, "v2", fatal=True),
    Phase("push v1", push_v1, "push"),
    Phase("push v2", push_v2, after="push v1"),
    Phase("clone + pull", clone_pull, "clone + pull"),
    Phase("checkout v2 -> v1", switch, "checkout v2 -> v1"),
    Phase("checkout into empty workspace", empty_checkout, "checkout into an empty workspace"),
    Phase("S3", s3, "S3", when=lambda run: run.ctx.s3 is not None and run.tool.supports_s3),
]


# ----------------------------------------------------------------------------------------------

def run_tool(ctx, name, run_no=1):
    """Runs every step for one tool; returns its result. Failures are recorded, not raised."""
    tool_dir = os.path.join(ctx.work, "run", name)
    ctx.disk.discard(tool_dir)
    ctx.disk.make_room(ctx.scale, log)
    ctx.disk.settle(log)
    ctx.dropped_caches = drop_caches() and getattr(ctx, "dropped_caches", True)
    os.makedirs(tool_dir)
    logfile = os.path.join(ctx.work, "logs", "%s-scale%g%s.log" % (
        name, ctx.scale, "-run%d" % run_no if ctx.repeat > 1 else ""))
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    if os.path.exists(logfile):
        os.remove(logfile)
    r = Runner(make_env(ctx.work, tool_dir, ctx.git_mlops), logfile, ctx.timeout)
    run = ToolRun(ctx, name, run_no, r)
    os.makedirs(run.trash)
    res = run.res

    log("== %s%s" % (name, " (run %d of %d)" % (run_no, ctx.repeat) if ctx.repeat > 1 else ""))
    worked = set()
    for ph in PHASES:
        if (ph.when and not ph.when(run)) or (ph.after and ph.after not in worked):
            continue
        if ph.progress:
            log("  [%s] %s" % (name, ph.progress))
        try:
            ph.fn(run)
            worked.add(ph.label)
        except Exception as e:  # noqa: BLE001 - a tool's failure must not stop the others
            msg = "%s: %s" % (ph.label, e)
            log("  [%s] FAILED %s" % (name, msg.splitlines()[0]))
            res["errors"].append(msg)
            if ph.fatal:  # the rest is meaningless for this tool
                break

    for k, s in run.steps.items():
        res["steps"][k] = s.to_json()
    if run.steps.get("status") and run.steps["status"].cmds:
        res["steps"]["status"] = median_of(run.steps, "status")
    if "push_v1" in run.steps and "push_v2" in run.steps:
        both = Step("push")
        both.cmds = run.steps["push_v1"].cmds + run.steps["push_v2"].cmds
        res["steps"]["push"] = both.to_json()
        del res["steps"]["push"]["commands"]
    # every timed command of the tool, the S3 ones included
    res["peak_rss_kib"] = max((c["rss_kib"] for s in res["steps"].values() for c in s.get("commands", [])), default=0)
    res["ok"] = not res["errors"] and all(v == "ok" for v in res["verify"].values())
    if not ctx.keep:
        ctx.disk.discard(tool_dir)
    return res


def run_all(ctx):
    """Every tool ctx.repeat times, the tools interleaved round by round so that load spikes spread
    out; returns {tool: [result per run]}."""
    runs = {name: [] for name in ctx.tools}
    for run_no in range(1, ctx.repeat + 1):
        for name in ctx.tools:
            t0 = time.monotonic()
            runs[name].append(run_tool(ctx, name, run_no))
            log("  [%s] done in %.0fs%s" % (name, time.monotonic() - t0, "" if runs[name][-1]["ok"] else
                                            " (with errors; see the report)"))
    return runs
