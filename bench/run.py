#!/usr/bin/env python3
"""Benchmark git-mlops against DVC and git-lfs on the data of bench/mlopsbench/data.py.

    bench/run.py [--scale S] [--tools git-mlops,dvc,git-lfs] [--work DIR] [--git-mlops PATH]
                 [--json OUT] [--s3 [--s3-endpoint URL]] [--repeat N]
                 [--timeout SECONDS] [--keep]

Each tool runs the same steps in its own fresh repository, with its own HOME, on a fresh copy of
the same data: add v1, status (x3, median), v2 (mutate.py in place, add again), push v1 then v2 to
a local remote, fresh clone + pull of v2, checkout v2 -> v1, checkout into an empty workspace, and
with --s3 push/pull against SeaweedFS on loopback. Every command is timed (wall, user+sys CPU from
wait4, peak RSS from GNU time). Results: a markdown table on stdout and in bench/results/<date>-scale<S>.md/.json.
Python 3 standard library only (generating the data needs numpy). See bench/README.md.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(HERE)
DATA_PY = os.path.join(HERE, "mlopsbench", "data.py")
DATA_PATHS = ["weights.bin", "table.csv", "files"]
ALL_TOOLS = ["git-mlops", "dvc", "git-lfs"]
MiB = 1 << 20
GiB = 1 << 30
TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time, for peak RSS
S3_HOST = "http://127.0.0.1:8333"

# (key, label) in report order. "push" is the sum of push_v1 and push_v2.
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


class CmdFailed(Exception):
    pass


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------------
# Running and timing commands

class Step:
    """Accumulates the commands of one timed step: wall and CPU add up, peak RSS is the max."""

    def __init__(self, name):
        self.name = name
        self.cmds = []

    @property
    def wall(self):
        return sum(c["wall"] for c in self.cmds)

    @property
    def cpu(self):
        return sum(c["user"] + c["sys"] for c in self.cmds)

    @property
    def user(self):
        return sum(c["user"] for c in self.cmds)

    @property
    def rss_kib(self):
        return max((c["rss_kib"] for c in self.cmds), default=0)

    def to_json(self):
        return {"wall": round(self.wall, 4), "cpu": round(self.cpu, 4), "user": round(self.user, 4),
                "rss_kib": self.rss_kib, "ok": all(c["rc"] == 0 for c in self.cmds),
                "cpu_util": round(self.cpu / self.wall, 3) if self.wall > 0 else None,
                "commands": self.cmds}


class Runner:
    """Runs commands for one tool: its own environment, a log file, a timeout per command."""

    def __init__(self, env, logfile, timeout):
        self.env = env
        self.logfile = logfile
        self.timeout = timeout

    def run(self, argv, cwd, step=None, capture=False, env_extra=None, check=True):
        env = dict(self.env)
        if env_extra:
            env.update(env_extra)
        out_path = self.logfile + ".stdout"
        with open(self.logfile, "a") as lf:
            lf.write("\n$ %s   (in %s)\n" % (" ".join(argv), cwd))
        lf = open(self.logfile, "ab")
        of = open(out_path, "wb") if capture else lf
        timed_out = []
        rss_path = self.logfile + ".rss"
        full = argv
        if TIME:
            # Peak RSS from GNU time's %M: wait4 on a child forked from this Python would report at
            # least Python's own RSS (Linux keeps the pre-exec high-water mark in ru_maxrss).
            full = [TIME, "-q", "-f", "%M", "-o", rss_path] + argv
        try:
            t0 = time.monotonic()
            p = subprocess.Popen(full, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=of, stderr=lf,
                                 start_new_session=True)

            def kill():
                timed_out.append(True)
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            timer = threading.Timer(self.timeout, kill)
            timer.start()
            try:
                # wait4 gives this child's rusage (with its waited-for descendants): CPU and peak RSS.
                _, status, ru = os.wait4(p.pid, 0)
            finally:
                timer.cancel()
            wall = time.monotonic() - t0
            p.returncode = os.waitstatus_to_exitcode(status)
        finally:
            if capture:
                of.close()
            lf.close()
        out = ""
        if capture:
            with open(out_path, "rb") as f:
                out = f.read().decode("utf-8", "replace")
            with open(self.logfile, "a") as f:
                f.write(out)
            os.remove(out_path)
        rss = ru.ru_maxrss
        if TIME:
            try:
                with open(rss_path) as f:
                    rss = int(f.read().split()[-1])
                os.remove(rss_path)
            except (OSError, ValueError, IndexError):
                pass
        rec = {"argv": argv, "wall": round(wall, 4), "user": round(ru.ru_utime, 4), "sys": round(ru.ru_stime, 4),
               "rss_kib": rss, "rc": p.returncode}
        with open(self.logfile, "a") as f:
            f.write("# rc=%d wall=%.3fs cpu=%.3fs maxrss=%d KiB%s\n" % (
                p.returncode, wall, ru.ru_utime + ru.ru_stime, rss, " TIMEOUT" if timed_out else ""))
        if step is not None:
            step.cmds.append(rec)
        if check and (p.returncode != 0 or timed_out):
            why = "timed out after %ds" % self.timeout if timed_out else "exit %d" % p.returncode
            raise CmdFailed("`%s` %s (in %s); see %s:\n%s" % (" ".join(argv), why, cwd, self.logfile,
                                                              tail(self.logfile, 12)))
        return out


def tail(path, n):
    """The last n lines the last command wrote to the log (from its `$ ...` line on)."""
    try:
        with open(path, errors="replace") as f:
            lines = f.readlines()
    except OSError:
        return ""
    start = max((i for i, l in enumerate(lines) if l.startswith("$ ")), default=0)
    return "".join(lines[start:][-n:])


def sh(argv, cwd=None, env=None, check=True):
    """Untimed helper command; output captured."""
    r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise CmdFailed("`%s` exit %d:\n%s" % (" ".join(argv), r.returncode, r.stdout[-2000:]))
    return r.stdout


def tree_bytes(path):
    """Apparent size (sum of st_size of regular files) under path, like du --apparent-size -b."""
    total = 0
    if os.path.isfile(path):
        return os.path.getsize(path)
    for dp, _, fs in os.walk(path):
        for f in fs:
            p = os.path.join(dp, f)
            if not os.path.islink(p):
                try:
                    total += os.path.getsize(p)
                except OSError:
                    pass
    return total


def tree_count(path):
    return sum(len(fs) for _, _, fs in os.walk(path))


# ----------------------------------------------------------------------------------------------
# Data: v1 from gen.py, v2 = mutate.py on a copy, cached per scale in the work dir

def scale_tag(scale):
    return ("%g" % scale)


def prepare_data(args):
    d = os.path.join(args.work, "data", "scale" + scale_tag(args.scale))
    marker = os.path.join(d, "complete.json")
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        log("data: cached in %s" % d)
        return d, info
    remove_tree(d)
    os.makedirs(d)
    py = sys.executable
    v1, v2 = os.path.join(d, "v1"), os.path.join(d, "v2")
    log("data: generating v1 at scale %s in %s" % (args.scale, v1))
    t0 = time.monotonic()
    sh([py, DATA_PY, "gen", "--out", v1, "--scale", str(args.scale)])
    log("data: v1 in %.1fs; making v2 with mutate.py" % (time.monotonic() - t0))
    sh(["cp", "-a", v1, v2])
    sh([py, DATA_PY, "mutate", "--dir", v2, "--scale", str(args.scale)])
    info = {"scale": args.scale}
    for v, p in (("v1", v1), ("v2", v2)):
        m = sh([py, DATA_PY, "manifest", p])
        with open(os.path.join(d, v + ".manifest"), "w") as f:
            f.write(m)
        info[v] = {"bytes": sum(tree_bytes(os.path.join(p, x)) for x in DATA_PATHS),
                   "files": sum(1 if os.path.isfile(os.path.join(p, x)) else tree_count(os.path.join(p, x))
                                for x in DATA_PATHS)}
    with open(marker, "w") as f:
        json.dump(info, f)
    return d, info


# ----------------------------------------------------------------------------------------------
# The tools. Each adapter gives the commands of each step; the driver times them the same way.

class Tool:
    name = ""
    store_rel = ""

    def __init__(self, ctx):
        self.ctx = ctx

    def git(self, *a):
        return ["git"] + list(a)

    # --- untimed set-up
    def setup(self, r, repo, remote):
        raise NotImplementedError


class GitMlops(Tool):
    name = "git-mlops"
    store_rel = ".git/mlops"

    def setup(self, r, repo, remote):
        r.run(["git", "mlops", "init"], repo)
        r.run(["git", "mlops", "remote", "add", "local", remote, "--default"], repo)

    def add(self, r, repo, step, version):
        r.run(["git", "mlops", "add"] + DATA_PATHS, repo, step)

    def status(self, r, repo, step):
        return r.run(["git", "mlops", "status"], repo, step, capture=True)

    def push(self, r, repo, step, rev):
        # Data first, then the commits (git mlops push also pushes refs/notes/mlops if any).
        r.run(["git", "mlops", "push", "--rev", rev], repo, step)

    def clone_pull(self, r, clone, step):
        r.run(["git", "mlops", "pull"], clone, step)

    def checkout(self, r, repo, step):
        r.run(["git", "mlops", "checkout"], repo, step)

    def version(self, r):
        return r.run(["git", "mlops", "--version"], self.ctx.work, capture=True, check=False).strip()


class Dvc(Tool):
    name = "dvc"
    store_rel = ".dvc/cache"

    def dvc(self):
        return [self.ctx.dvc]

    def setup(self, r, repo, remote):
        r.run(self.dvc() + ["init", "-q"], repo)
        r.run(self.dvc() + ["config", "core.autostage", "true"], repo)
        r.run(self.dvc() + ["config", "core.analytics", "false"], repo)
        r.run(self.dvc() + ["remote", "add", "-d", "local", remote], repo)

    def add(self, r, repo, step, version):
        r.run(self.dvc() + ["add", "-q"] + DATA_PATHS, repo, step)

    def status(self, r, repo, step):
        return r.run(self.dvc() + ["status"], repo, step, capture=True)

    def push(self, r, repo, step, rev):
        # dvc push has no --rev: it pushes what the .dvc files in the workspace name. For v1, check
        # out v1's .dvc files first (untimed; data files are git-ignored and stay as they are).
        if rev != "HEAD":
            r.run(self.git("checkout", "-q", rev), repo)
        try:
            r.run(self.dvc() + ["push", "-q"], repo, step)
        finally:
            if rev != "HEAD":
                r.run(self.git("checkout", "-q", "main"), repo)

    def clone_pull(self, r, clone, step):
        r.run(self.dvc() + ["pull", "-q"], clone, step)

    def checkout(self, r, repo, step):
        r.run(self.dvc() + ["checkout", "-q"], repo, step)

    def version(self, r):
        return "dvc " + r.run(self.dvc() + ["--version"], self.ctx.work, capture=True, check=False).strip()


class GitLfs(Tool):
    name = "git-lfs"
    store_rel = ".git/lfs/objects"

    def setup(self, r, repo, remote):
        r.run(["git", "lfs", "install"], repo)  # global filters in this tool's HOME + this repo's hooks

    def add(self, r, repo, step, version):
        if version == "v1":
            r.run(["git", "lfs", "track", "weights.bin", "table.csv", "files/**"], repo, step)
        # the clean filter stores the objects during `git add` (timed by the driver)

    def status(self, r, repo, step):
        return r.run(["git", "status", "--porcelain"], repo, step, capture=True)

    def push(self, r, repo, step, rev):
        pass  # the pre-push hook uploads the LFS objects during `git push` (timed by the driver)

    def clone_pull(self, r, clone, step):
        r.run(["git", "lfs", "pull"], clone, step)

    def checkout(self, r, repo, step):
        pass  # the smudge filter writes the data during `git checkout` (timed by the driver)

    def version(self, r):
        return r.run(["git", "lfs", "version"], self.ctx.work, capture=True, check=False).strip()


TOOL_CLASSES = {"git-mlops": GitMlops, "dvc": Dvc, "git-lfs": GitLfs}


# ----------------------------------------------------------------------------------------------
# Driver

def make_env(ctx, tool_dir):
    home = os.path.join(tool_dir, "home")
    tmp = os.path.join(tool_dir, "tmp")
    bindir = os.path.join(tool_dir, "bin")
    for d in (home, tmp, bindir):
        os.makedirs(d, exist_ok=True)
    if ctx.git_mlops:
        link = os.path.join(bindir, "git-mlops")
        if not os.path.lexists(link):
            os.symlink(ctx.git_mlops, link)
    keep = ("PATH", "LANG", "LC_ALL", "TERM", "PYENV_ROOT", "PYENV_VERSION",
            "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update({
        "PATH": bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": tmp,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": ctx.work,
        "GIT_TERMINAL_PROMPT": "0",
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": os.path.join(tool_dir, "dvc-site-cache"),
        "NO_COLOR": "1",
    })
    env.setdefault("LANG", "C.UTF-8")
    with open(os.path.join(home, ".gitconfig"), "w") as f:
        f.write("[user]\n\tname = Bench\n\temail = bench@example.invalid\n"
                "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
                "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n")
    return env


def verify(ctx, path, version):
    got = sh([sys.executable, DATA_PY, "manifest", path])
    with open(os.path.join(ctx.data_dir, version + ".manifest")) as f:
        want = f.read()
    if got == want:
        return "ok"
    g, w = set(got.splitlines()), set(want.splitlines())
    return "MISMATCH with %s: %d lines differ, e.g. %s" % (
        version, len(g ^ w), sorted(g ^ w)[:3])


def sync():
    os.sync()


# ext4 without a journal (this machine's root file system) will not reuse an inode freed in the last
# 60 s, or 360 s while its inode table block is dirty (which any new file in the same block group makes
# it), and skips such inodes one by one, under the directory's lock, when it allocates: creating
# thousands of files within minutes of deleting thousands costs up to ten times the kernel time (seen
# here: 20,000 small files checked out with 0.7 s of system time, and with 5.5 s four minutes after the
# previous tool's repositories were deleted). So on such a file system nothing is deleted while tools
# run: what a run leaves is moved to WORK/trash and deleted at the end, or, when the disk runs short,
# deleted and then waited out (remove_tree, settle) before the next tool starts.
INODE_REUSE_WINDOW = 365
last_removal = [None]


def nojournal_ext4(path):
    """True when `path` is on ext4 mounted without a journal (where the window above applies)."""
    best, fstype, dev = "", None, None
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                mnt = left.split()[4]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, (fstype, dev) = mnt, right.split()[:2]
        if fstype != "ext4":
            return False
        with open("/sys/fs/ext4/%s/journal_task" % os.path.basename(dev)) as f:
            return f.read().strip() == "<none>"
    except (OSError, ValueError, TypeError):
        return False


def remove_tree(path):
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)
        os.sync()
        last_removal[0] = time.monotonic()


def drop_caches():
    """Empties the page cache (root only), so that each tool starts with the same free memory: on a
    VM whose page cache has filled all of RAM, every page written costs a reclaim first (seen here:
    the same checkout at 1.1 s of system time with free memory and 4 s without)."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
        return True
    except OSError:
        return False


def discard(ctx, path):
    """Gets `path` out of the way: moved to the trash (deleted at the end) where deleting would slow
    the next tool down (see INODE_REUSE_WINDOW), deleted elsewhere."""
    if not os.path.lexists(path):
        return
    if not ctx.nojournal:
        remove_tree(path)
        return
    os.makedirs(ctx.trash, exist_ok=True)
    os.rename(path, os.path.join(ctx.trash, "%d-%s" % (len(os.listdir(ctx.trash)), os.path.basename(path))))


def make_room(ctx):
    """Empties the trash, and waits the deletion out, only when the disk might not hold another run."""
    if os.path.exists(ctx.trash) and shutil.disk_usage(ctx.work).free < (20 * ctx.scale + 2) * GiB:
        log("  (emptying %s: the disk is short)" % ctx.trash)
        remove_tree(ctx.trash)


def settle(ctx):
    """Waits until the inodes of the last deletion may be reused (see INODE_REUSE_WINDOW)."""
    if last_removal[0] is None or not ctx.nojournal:
        return
    wait = INODE_REUSE_WINDOW - (time.monotonic() - last_removal[0])
    if wait > 0:
        log("  (waiting %.0f s for the inodes just freed to become reusable: ext4 without a journal)" % wait)
        time.sleep(wait)


def run_tool(ctx, name, run_no=1):
    """Runs every step for one tool; returns its result dict. Failures are recorded, not raised."""
    tool_dir = os.path.join(ctx.work, "run", name)
    discard(ctx, tool_dir)
    make_room(ctx)
    settle(ctx)
    ctx.dropped_caches = drop_caches() and getattr(ctx, "dropped_caches", True)
    os.makedirs(tool_dir)
    env = make_env(ctx, tool_dir)
    logfile = os.path.join(ctx.work, "logs", "%s-scale%s%s.log" % (
        name, scale_tag(ctx.scale), "-run%d" % run_no if ctx.repeat > 1 else ""))
    os.makedirs(os.path.dirname(logfile), exist_ok=True)
    if os.path.exists(logfile):
        os.remove(logfile)
    r = Runner(env, logfile, ctx.timeout)
    t = TOOL_CLASSES[name](ctx)
    repo = os.path.join(tool_dir, "repo")
    origin = os.path.join(tool_dir, "origin.git")
    remote = os.path.join(tool_dir, "remote")
    clone = os.path.join(tool_dir, "clone")
    trash = os.path.join(tool_dir, "trash")
    os.makedirs(trash)
    res = {"tool": name, "log": logfile, "steps": {}, "verify": {}, "errors": [], "store": {}, "notes": [],
           "loadavg_start": round(os.getloadavg()[0], 2)}
    steps = {}

    def timed(key):
        steps[key] = Step(key)
        sync()  # flush the previous step's dirty pages so they are not written back during this one
        return steps[key]

    def attempt(label, fn, fatal=False):
        try:
            fn()
            return True
        except Exception as e:  # noqa: BLE001 - a tool's failure must not stop the others
            msg = "%s: %s" % (label, e)
            log("  [%s] FAILED %s" % (name, msg.splitlines()[0]))
            res["errors"].append(msg)
            if fatal:
                raise
            return False

    def commit(step, msg, tag):
        r.run(["git", "add", "-A"], repo, step)
        r.run(["git", "commit", "-q", "-m", msg], repo, step)
        r.run(["git", "tag", tag], repo)
        # Untimed sanity check: after add + commit, git sees nothing left to commit.
        left = r.run(["git", "status", "--porcelain"], repo, capture=True)
        res["verify"]["git_clean_after_" + tag] = "ok" if not left.strip() else "git status not clean: %r" % left[:200]

    def tool_status_clean(label, where):
        # Untimed: the tool's own status agrees that the workspace matches what was checked out.
        out = t.status(r, where, None)
        clean = "up to date" in out if name == "dvc" else not out.strip()
        res["verify"]["status_clean_after_" + label] = "ok" if clean else "status not clean: %r" % out[:300]

    def do_setup():
        res["version"] = t.version(r)
        r.run(["git", "init", "-q", "--bare", origin], tool_dir)
        os.makedirs(remote)
        r.run(["git", "init", "-q", repo], tool_dir)
        r.run(["git", "remote", "add", "origin", origin], repo)
        t.setup(r, repo, remote)
        r.run(["git", "add", "-A"], repo)
        r.run(["git", "commit", "-q", "--allow-empty", "-m", "init " + name], repo)
        sh(["cp", "-a", os.path.join(ctx.data_dir, "v1") + "/.", repo])  # fresh copy for every tool
        res["store"]["before_v1"] = tree_bytes(os.path.join(repo, t.store_rel))

    def do_add_v1():
        s = timed("add_v1")
        t.add(r, repo, s, "v1")
        commit(s, "v1", "v1")
        res["store"]["after_v1"] = tree_bytes(os.path.join(repo, t.store_rel))

    def do_status():
        s = timed("status")
        outs = []
        for _ in range(3):
            outs.append(t.status(r, repo, s))
        walls = [c["wall"] for c in s.cmds]
        res["status_runs"] = walls
        res["status_output"] = outs[-1][:2000]
        if name != "dvc" and outs[-1].strip():
            res["notes"].append("status printed output with nothing changed: %r" % outs[-1][:300])

    def do_add_v2():
        sh([sys.executable, DATA_PY, "mutate", "--dir", repo, "--scale", str(ctx.scale)])
        res["verify"]["workspace_v2_after_mutate"] = verify(ctx, repo, "v2")
        s = timed("add_v2")
        t.add(r, repo, s, "v2")
        commit(s, "v2", "v2")
        res["store"]["after_v2"] = tree_bytes(os.path.join(repo, t.store_rel))

    def remote_bytes():
        return tree_bytes(os.path.join(origin, "lfs") if name == "git-lfs" else remote)

    def do_push_v1():
        s = timed("push_v1")
        t.push(r, repo, s, "v1")
        r.run(["git", "push", "-q", "origin", "v1:refs/heads/main"], repo, s)
        res["store"]["remote_after_v1"] = remote_bytes()

    def do_push_v2():
        s = timed("push_v2")
        t.push(r, repo, s, "HEAD")
        r.run(["git", "push", "-q", "origin", "main", "--tags"], repo, s)
        res["store"]["remote_after_v2"] = remote_bytes()

    def do_clone_pull():
        s = timed("clone_pull")
        extra = {"GIT_LFS_SKIP_SMUDGE": "1"} if name == "git-lfs" else None
        r.run(["git", "clone", "-q", origin, clone], tool_dir, s, env_extra=extra)
        t.clone_pull(r, clone, s)
        res["verify"]["clone_v2"] = verify(ctx, clone, "v2")
        tool_status_clean("clone", clone)
        os.rename(clone, os.path.join(trash, "clone"))  # deleted with the tool's dir (see do_empty)

    def do_switch():
        s = timed("switch")
        r.run(["git", "checkout", "-q", "v1"], repo, s)
        t.checkout(r, repo, s)
        res["verify"]["switch_v1"] = verify(ctx, repo, "v1")
        tool_status_clean("switch", repo)

    def do_empty():
        # Move the data aside rather than delete it: on ext4 without a journal (as here) the inode
        # allocator skips inodes deleted in the last minute, one by one, so creating files right
        # after deleting thousands costs much more kernel time. The trash goes with the tool's dir.
        for p in DATA_PATHS:
            full = os.path.join(repo, p)
            if os.path.lexists(full):
                os.rename(full, os.path.join(trash, "empty-" + p))
        s = timed("empty_checkout")
        if name == "git-lfs":
            r.run(["git", "checkout", "--"] + DATA_PATHS, repo, s)
        t.checkout(r, repo, s)
        res["verify"]["empty_checkout_v1"] = verify(ctx, repo, "v1")
        tool_status_clean("empty_checkout", repo)

    log("== %s%s" % (name, " (run %d of %d)" % (run_no, ctx.repeat) if ctx.repeat > 1 else ""))
    try:
        attempt("setup", do_setup, fatal=True)
        log("  [%s] add v1" % name)
        attempt("add v1", do_add_v1, fatal=True)
        log("  [%s] status" % name)
        attempt("status", do_status)
        log("  [%s] v2" % name)
        attempt("add v2", do_add_v2, fatal=True)
        log("  [%s] push" % name)
        if attempt("push v1", do_push_v1):
            attempt("push v2", do_push_v2)
        log("  [%s] clone + pull" % name)
        attempt("clone + pull", do_clone_pull)
        log("  [%s] checkout v2 -> v1" % name)
        attempt("checkout v2 -> v1", do_switch)
        log("  [%s] checkout into an empty workspace" % name)
        attempt("checkout into empty workspace", do_empty)
        if ctx.s3 is not None and name in ("git-mlops", "dvc"):
            log("  [%s] S3" % name)
            attempt("S3", lambda: run_s3(ctx, name, r, repo, tool_dir, res, run_no))
    except Exception:  # a fatal step failed: the rest is meaningless for this tool
        pass
    for k, s in steps.items():
        res["steps"][k] = s.to_json()
    if "status" in steps and steps["status"].cmds:
        res["steps"]["status"]["wall"] = round(statistics.median(c["wall"] for c in steps["status"].cmds), 4)
        res["steps"]["status"]["cpu"] = round(statistics.median(c["user"] + c["sys"] for c in steps["status"].cmds), 4)
        res["steps"]["status"]["user"] = round(statistics.median(c["user"] for c in steps["status"].cmds), 4)
    if "push_v1" in steps and "push_v2" in steps:
        both = Step("push")
        both.cmds = steps["push_v1"].cmds + steps["push_v2"].cmds
        res["steps"]["push"] = both.to_json()
        del res["steps"]["push"]["commands"]
    # every timed command of the tool, the S3 ones included
    res["peak_rss_kib"] = max((c["rss_kib"] for s in res["steps"].values() for c in s.get("commands", [])), default=0)
    res["ok"] = not res["errors"] and all(v == "ok" for v in res["verify"].values())
    if not ctx.keep:
        discard(ctx, tool_dir)
    return res


# ----------------------------------------------------------------------------------------------
# S3 (SeaweedFS on loopback via scripts/s3-server)

class S3Server:
    """SeaweedFS on loopback: our own via scripts/s3-server, or (--s3-endpoint) one already running.

    Either way the benchmark works in a bucket of its own, named per run, removed at the end."""

    def __init__(self, ctx):
        self.ctx = ctx
        self.dir = os.path.join(ctx.work, "s3server")
        self.script = os.path.join(ctx.src, "scripts", "s3-server")
        self.endpoint = ctx.s3_endpoint or S3_HOST
        self.bucket = "gitmlops-bench-%d" % int(time.time())
        self.env = {}
        self.error = None
        self.started = False
        self.bucket_made = False
        self.how = ""

    def aws(self, *a):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run(["aws", "--endpoint-url", self.endpoint] + list(a), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def start(self):
        if self.ctx.s3_endpoint:
            # Someone's server: credentials from the environment, else scripts/s3-server's defaults.
            self.env = {"AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "gitmlops"),
                        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "gitmlops-secret-key")}
            self.how = "an already running server at %s (--s3-endpoint)" % self.endpoint
        else:
            if not os.path.exists(self.script):
                self.error = "no %s (use --src to point at a git-mlops checkout)" % self.script
                return False
            deadline = time.monotonic() + 60
            while True:
                r = subprocess.run([self.script, "start", self.dir], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
                if r.returncode == 0:
                    break
                if "already in use" in r.stderr and time.monotonic() < deadline:
                    log("s3: 127.0.0.1:8333 is busy (another test server?); waiting for it")
                    time.sleep(10)
                    continue
                self.error = "scripts/s3-server start failed: %s" % r.stderr.strip()
                if "already in use" in r.stderr:
                    self.error += (" -- to use that server instead, pass --s3-endpoint %s (and its "
                                   "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)" % S3_HOST)
                return False
            self.started = True
            for line in r.stdout.splitlines():
                if line.startswith("export ") and "=" in line:
                    k, v = line[len("export "):].split("=", 1)
                    self.env[k] = v
            self.endpoint = self.env.get("GIT_MLOPS_TEST_S3_ENDPOINT", self.endpoint)
            self.how = "SeaweedFS started by scripts/s3-server at %s" % self.endpoint
        out = self.aws("s3", "mb", "s3://" + self.bucket)
        if out.returncode != 0:
            self.error = "aws s3 mb s3://%s failed: %s" % (self.bucket, out.stdout.strip())
            return False
        self.bucket_made = True
        return True

    def prefix_bytes(self, prefix):
        out = self.aws("s3", "ls", "--recursive", "--summarize", "s3://%s/%s/" % (self.bucket, prefix))
        objs = size = None
        for line in out.stdout.splitlines():
            line = line.strip()
            if line.startswith("Total Objects:"):
                objs = int(line.split(":")[1])
            elif line.startswith("Total Size:"):
                size = int(line.split(":")[1])
        return objs, size

    def stop(self):
        if self.bucket_made:
            self.aws("s3", "rb", "--force", "s3://" + self.bucket)
            self.bucket_made = False
        if self.started:
            subprocess.run([self.script, "stop", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False
            shutil.rmtree(os.path.join(self.dir, "data"), ignore_errors=True)


def run_s3(ctx, name, r, repo, tool_dir, res, run_no=1):
    srv = ctx.s3
    if srv.error:
        raise CmdFailed("S3 server not available: %s" % srv.error)
    if name == "dvc" and not ctx.dvc_s3:
        res["s3"] = {"skipped": "dvc-s3 is not installed (optional: pip install 'dvc[s3]')"}
        return
    r.env.update(srv.env)
    prefix = "%s-run%d" % (name, run_no)  # every run starts from an empty remote
    url = "s3://%s/%s" % (srv.bucket, prefix)
    out = {"remote": url}
    res["s3"] = out
    clone = os.path.join(tool_dir, "clone-s3")
    steps = {}

    def timed(k):
        sync()
        steps[k] = Step(k)
        return steps[k]

    try:
        if name == "git-mlops":
            r.run(["git", "mlops", "remote", "add", "s3", url, "--endpoint", srv.endpoint, "--local"], repo)
            s = timed("s3_push_v1")
            o = r.run(["git", "mlops", "push", "s3", "--rev", "v1", "--no-notes", "--json"], repo, s, capture=True)
            out["push_v1_report"] = json.loads(o)
            s = timed("s3_push_v2")
            o = r.run(["git", "mlops", "push", "s3", "--rev", "v2", "--no-notes", "--json"], repo, s, capture=True)
            out["push_v2_report"] = json.loads(o)
            r.run(["git", "clone", "-q", os.path.join(tool_dir, "origin.git"), clone], tool_dir)
            r.run(["git", "mlops", "remote", "add", "s3", url, "--endpoint", srv.endpoint, "--local"], clone)
            s = timed("s3_pull_v2")
            o = r.run(["git", "mlops", "pull", "s3", "--json"], clone, s, capture=True)
            out["pull_v2_report"] = json.loads(o)
        else:
            dvc = [ctx.dvc]
            r.run(dvc + ["remote", "add", "s3", url], repo)
            r.run(dvc + ["remote", "modify", "s3", "endpointurl", srv.endpoint], repo)
            # the repo is at v1 after the checkout steps
            s = timed("s3_push_v1")
            r.run(["git", "checkout", "-q", "v1"], repo)
            r.run(dvc + ["push", "-q", "-r", "s3"], repo, s)
            s = timed("s3_push_v2")
            r.run(["git", "checkout", "-q", "v2"], repo)
            r.run(dvc + ["push", "-q", "-r", "s3"], repo, s)
            r.run(["git", "clone", "-q", os.path.join(tool_dir, "origin.git"), clone], tool_dir)
            r.run(dvc + ["remote", "add", "--local", "s3", url], clone)
            r.run(dvc + ["remote", "modify", "--local", "s3", "endpointurl", srv.endpoint], clone)
            s = timed("s3_pull_v2")
            r.run(dvc + ["pull", "-q", "-r", "s3"], clone, s)
        res["verify"]["s3_pull_v2"] = verify(ctx, clone, "v2")
    finally:
        for k, s in steps.items():
            res["steps"][k] = s.to_json()
        discard(ctx, clone)
        out["objects"], out["bytes"] = srv.prefix_bytes(prefix)
    v1b, v2b = ctx.data_info["v1"]["bytes"], ctx.data_info["v2"]["bytes"]
    for k, nbytes in (("s3_push_v1", v1b), ("s3_pull_v2", v2b)):
        if k in steps and steps[k].wall > 0 and all(c["rc"] == 0 for c in steps[k].cmds):
            out[k + "_MBps"] = round(nbytes / steps[k].wall / 1e6, 1)


def merge_runs(runs, info):
    """One result from several runs of a tool: per step the median wall and CPU, the max RSS."""
    if len(runs) == 1:
        return runs[0]
    last = runs[-1]
    res = dict(last)
    res["runs"] = runs
    res["steps"] = {}
    for k in last["steps"]:
        have = [r["steps"][k] for r in runs if k in r["steps"]]
        wall = statistics.median(x["wall"] for x in have)
        cpu = statistics.median(x["cpu"] for x in have)
        res["steps"][k] = {"wall": round(wall, 4), "cpu": round(cpu, 4),
                           "user": round(statistics.median(x.get("user", 0) for x in have), 4),
                           "ok": all(x.get("ok", True) for x in have),
                           "rss_kib": max(x["rss_kib"] for x in have),
                           "cpu_util": round(cpu / wall, 3) if wall > 0 else None,
                           "walls": [x["wall"] for x in have],
                           "commands": have[-1].get("commands", [])}
    res["verify"] = {}
    for r in runs:
        for k, v in r["verify"].items():
            if res["verify"].get(k, "ok") == "ok":
                res["verify"][k] = v
    res["errors"] = [e for r in runs for e in r["errors"]]
    res["notes"] = sorted(set(n for r in runs for n in r["notes"]))
    res["peak_rss_kib"] = max(r["peak_rss_kib"] for r in runs)
    res["ok"] = all(r["ok"] for r in runs)
    res["loadavg_start"] = [r["loadavg_start"] for r in runs]
    if "s3" in last and "skipped" not in last["s3"]:
        res["s3"] = dict(last["s3"])
        for k, key in (("s3_push_v1", "v1"), ("s3_pull_v2", "v2")):
            if k in res["steps"] and res["steps"][k]["wall"] > 0 and res["steps"][k]["ok"]:
                res["s3"][k + "_MBps"] = round(info[key]["bytes"] / res["steps"][k]["wall"] / 1e6, 1)
    return res


# ----------------------------------------------------------------------------------------------
# Report

def fmt_s(x):
    if x is None:
        return "-"
    return "%.2f" % x if x >= 0.1 else "%.3f" % x


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def fmt_ratio(x):
    return "-" if x is None else "%.1fx" % x


def step_ok(results, tool, key):
    t = results.get(tool)
    return bool(t) and key in t["steps"] and t["steps"][key].get("ok", True)


def step_wall(results, tool, key):
    """The step's seconds, or None when it did not run or one of its commands failed."""
    t = results.get(tool)
    if not t or key not in t["steps"] or not t["steps"][key].get("ok", True):
        return None
    if key not in ("push", "status") and not t["steps"][key]["commands"]:
        return None
    return t["steps"][key]["wall"]


def targets(results, info):
    gm = results.get("git-mlops")
    v1b = info["v1"]["bytes"]
    rows = []

    def ratio_target(label, key, factor):
        g, d = step_wall(results, "git-mlops", key), step_wall(results, "dvc", key)
        x = ratio(d, g)
        verdict = "n/a" if x is None else ("PASS" if x >= factor else "FAIL")
        rows.append((label, ">= %gx" % factor, fmt_ratio(x) + (" (%s s vs %s s)" % (fmt_s(d), fmt_s(g)) if x else ""),
                     verdict))

    ratio_target("add v1 faster than `dvc add`", "add_v1", 3)
    if gm and "after_v2" in gm["store"]:
        g = (gm["store"]["after_v2"] - gm["store"]["after_v1"]) / v1b
        rows.append(("store growth for v2, % of v1", "<= 5%", "%.2f%%" % (100 * g), "PASS" if g <= 0.05 else "FAIL"))
    else:
        rows.append(("store growth for v2, % of v1", "<= 5%", "-", "n/a"))
    st = step_wall(results, "git-mlops", "status")
    rows.append(("status, nothing changed", "<= 0.3 s", fmt_s(st) + " s" if st is not None else "-",
                 "n/a" if st is None else ("PASS" if st <= 0.3 else "FAIL")))
    ratio_target("checkout into an empty workspace faster than `dvc checkout`", "empty_checkout", 3)
    if gm and gm["steps"]:
        mib = gm["peak_rss_kib"] / 1024
        rows.append(("peak memory (any git-mlops command)", "< 256 MiB", "%.0f MiB" % mib,
                     "PASS" if mib < 256 else "FAIL"))
        for key, label in (("add_v1", "add v1"), ("empty_checkout", "checkout into an empty workspace")):
            s = gm["steps"].get(key)
            if s and s["wall"] > 0:
                u = s["cpu"] / s["wall"]
                rows.append(("both cores used: %s (CPU s / wall s)" % label, ">= 1.5", "%.2f" % u,
                             "PASS" if u >= 1.5 else "FAIL"))
    ratio_target("push v1 faster than `dvc push`", "push_v1", 3)
    ratio_target("fresh clone + pull faster than DVC's", "clone_pull", 2)
    return rows


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def report(ctx, results, meta):
    tools = [t for t in ctx.tools if t in results]
    info = ctx.data_info
    v1b = info["v1"]["bytes"]
    lines = ["# git-mlops benchmark, scale %s (%s)" % (scale_tag(ctx.scale), meta["date"]), ""]
    lines.append("- machine: %s, %s cores, %s GiB RAM, %s, work dir on %s" % (
        meta["cpu"], meta["cores"], meta["mem_gib"], meta["kernel"], meta["fs"]))
    lines.append("- load average (1 min) at start: %s; when each tool's run started: %s" % (meta["loadavg"], ", ".join(
        "%s %s" % (t, results[t].get("loadavg_start")) for t in tools)))
    if ctx.repeat > 1:
        lines.append("- %d runs per tool, interleaved; each figure is the median over the runs (peak RSS: the max)"
                     % ctx.repeat)
    lines.append("- data: v1 %.1f MiB in %d files, v2 %.1f MiB in %d files (gen.py / mutate.py, scale %s)" % (
        v1b / MiB, info["v1"]["files"], info["v2"]["bytes"] / MiB, info["v2"]["files"], scale_tag(ctx.scale)))
    for t in tools:
        lines.append("- %s: %s" % (t, results[t].get("version", "?")))
    lines.append("- git-mlops source: %s; peak RSS from %s" % (meta.get("git_mlops_commit", "?"), meta["rss_source"]))
    lines.append("- caveats: " + ("the page cache is dropped before each tool's run, so every tool starts with "
                 "the same free memory. " if getattr(ctx, "dropped_caches", False) else
                 "the page cache could not be dropped (root only), so a later tool may find memory fuller. ") +
                 "Every tool gets a fresh copy of v1 (cp -a, "
                 "then sync) right before its run, and `sync` runs before every timed step, so each tool starts "
                 "with its input hot in the page cache and no pending writeback. Times are wall clock, from one run (or the median of --repeat runs); "
                 "a step's time is the sum of its commands (including `git add`/`git commit`/`git push`/`git "
                 "clone` where the step needs them). At small scales fixed start-up costs dominate; the targets "
                 "are meant for scale 1." + (" The work dir is on ext4 without a journal: nothing is deleted while the "
                 "tools run (what a run leaves goes to a trash deleted at the end), and a tool starts at least %d s "
                 "after any deletion, so that no tool pays for the inodes another freed (see INODE_REUSE_WINDOW "
                 "in run.py)." % INODE_REUSE_WINDOW if ctx.nojournal else ""))
    lines.append("")
    header = ["step"] + ["%s (s)" % t for t in tools]
    if "git-mlops" in tools:
        header += ["%s / git-mlops" % t for t in tools if t != "git-mlops"]
    rows = []
    for key, label in STEPS:
        row = [label] + [("FAILED" if key in results[t]["steps"] and not step_ok(results, t, key)
                          else fmt_s(step_wall(results, t, key))) for t in tools]
        if "git-mlops" in tools:
            g = step_wall(results, "git-mlops", key)
            row += [fmt_ratio(ratio(step_wall(results, t, key), g)) for t in tools if t != "git-mlops"]
        rows.append(row)
    lines += ["## Time", "", md_table(header, rows), ""]

    rows = []
    for t in tools:
        st = results[t]["store"]
        r = results[t]
        a1, a2 = st.get("after_v1"), st.get("after_v2")
        rows.append([t,
                     "%.1f MiB (%.0f%%)" % (a1 / MiB, 100 * a1 / v1b) if a1 is not None else "-",
                     "%.2f MiB (%.2f%%)" % ((a2 - a1) / MiB, 100 * (a2 - a1) / v1b) if a2 is not None else "-",
                     "%.1f MiB" % (st["remote_after_v2"] / MiB) if "remote_after_v2" in st else "-",
                     "%.0f MiB" % (r["peak_rss_kib"] / 1024) if r["steps"] else "-"])
    lines += ["## Storage and memory", "",
              "Store: `.git/mlops` (git-mlops), `.dvc/cache` (DVC), `.git/lfs/objects` (git-lfs); apparent sizes "
              "(sum of file sizes). Percentages are of v1's data size.", "",
              md_table(["tool", "store after v1", "store growth for v2", "remote after v1+v2", "peak RSS"], rows), ""]

    rows = []
    for key, label in STEPS:
        row = [label] + ["%s (%s)" % (fmt_s(results[t]["steps"][key]["cpu"]), fmt_s(results[t]["steps"][key]["user"]))
                         if key in results[t]["steps"] else "-" for t in tools]
        rows.append(row)
    lines += ["## CPU seconds: user + sys (user)", "",
              "Less sensitive than wall time to other load on the machine; a step's CPU seconds include its git "
              "commands and every child process. System time is mostly the kernel writing and creating files.",
              "", md_table(["step"] + ["%s (CPU s)" % t for t in tools], rows), ""]

    rows = []
    for key, label in STEPS:
        if key == "push":
            continue
        row = [label]
        for t in tools:
            s = results[t]["steps"].get(key)
            if s and s.get("commands"):
                row.append("%.0f MiB / %.2f" % (s["rss_kib"] / 1024, s["cpu"] / s["wall"] if s["wall"] else 0))
            else:
                row.append("-")
        rows.append(row)
    lines += ["## Peak RSS and CPU utilisation per step", "",
              "Peak RSS of the largest process of the step; CPU utilisation = (user + sys CPU seconds) / wall "
              "seconds, i.e. how many cores were busy on average (2 = both).", "",
              md_table(["step"] + ["%s (RSS / cores)" % t for t in tools], rows), ""]

    if "git-mlops" in tools:
        lines += ["## Targets (issues 2 and 3)", "",
                  md_table(["target", "wanted", "measured", "verdict"], targets(results, info)), ""]

    s3rows = []
    for t in tools:
        s3 = results[t].get("s3")
        if not s3:
            continue
        if "skipped" in s3:
            s3rows.append([t, "skipped: " + s3["skipped"], "", "", "", "", ""])
            continue
        st = results[t]["steps"]

        def cell(k, rate):
            if k not in st:
                return "-"
            if not st[k].get("ok", True):
                return "FAILED"
            return "%s s (%s MB/s)" % (fmt_s(st[k]["wall"]), s3.get(k + "_MBps", "-")) if rate \
                else "%s s" % fmt_s(st[k]["wall"])
        s3rows.append([t, cell("s3_push_v1", True), cell("s3_push_v2", False), cell("s3_pull_v2", True),
                       "%s objects, %.1f MiB" % (s3.get("objects"), (s3.get("bytes") or 0) / MiB)
                       if s3.get("objects") is not None else "-",
                       results[t]["verify"].get("s3_pull_v2", "-"),
                       "%.0f MiB" % (max((st[k]["rss_kib"] for k in ("s3_push_v1", "s3_push_v2", "s3_pull_v2")
                                          if k in st), default=0) / 1024)])
    if s3rows:
        lines += ["## S3 (SeaweedFS on loopback)", "",
                  "Server: %s, bucket %s. MB/s = the data's logical size (v1 for push, v2 for pull) / wall "
                  "seconds. Pull is a fresh clone's `pull` (the clone itself is not timed)." % (
                      ctx.s3.how, ctx.s3.bucket), "",
                  md_table(["tool", "push v1", "push v2 (incremental)", "pull v2 (fresh clone)",
                            "bucket after v1+v2", "verified", "peak RSS"], s3rows), ""]
    elif ctx.s3 is not None and ctx.s3.error:
        lines += ["## S3", "", "not run: " + ctx.s3.error, ""]

    rows = []
    for t in tools:
        r = results[t]
        bad = ["%s: %s" % (k, v) for k, v in r["verify"].items() if v != "ok"]
        checks = "; ".join(bad) if bad else ("%d of %d ok (%s)" % (len(r["verify"]), len(r["verify"]),
                                                                  ", ".join(r["verify"])) if r["verify"] else "-")
        rows.append([t, "yes" if r["ok"] else "**NO**", checks])
    lines += ["## Correctness", "", "Each checkout and pull is compared with manifest.py against the expected "
              "version; after each commit `git status` must be clean, and after each checkout and pull the "
              "tool's own status (not timed).", "", md_table(["tool", "all steps ok", "checks"], rows), ""]
    errs = [(t, e) for t in tools for e in results[t]["errors"]]
    notes = [(t, n) for t in tools for n in results[t]["notes"]]
    if errs or notes:
        lines += ["## Errors and notes", ""]
        for t, e in errs:
            el = e.splitlines()
            last = [x for x in el[1:] if x.strip() and not x.startswith(("#", "$"))]
            lines.append("- **%s**: %s%s" % (t, el[0].rstrip(":"), (" -- last output: `%s`" % last[-1].strip()[:300])
                                             if last else ""))
        for t, n in notes:
            lines.append("- %s: %s" % (t, n))
        lines.append("")
    lines.append("Logs of every command: `%s/logs/`." % os.path.relpath(ctx.work, REPO_ROOT))
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------------------------

def machine_meta(ctx):
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    fs = sh(["stat", "-f", "-c", "%T", ctx.work], check=False).strip()
    commit = sh(["git", "-C", ctx.src, "describe", "--always", "--dirty"], check=False).strip()
    return {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "cpu": cpu, "cores": os.cpu_count(),
            "mem_gib": round(mem, 1), "kernel": platform.platform(), "fs": fs or "?",
            "loadavg": " ".join("%.2f" % x for x in os.getloadavg()), "git_mlops_commit": commit,
            "python": platform.python_version(),
            "rss_source": "GNU time %M" if TIME else "wait4 ru_maxrss (includes the Python parent's RSS)"}


def find_dvc():
    # Prefer the real entry point beside this Python (a pyenv shim would add ~50 ms to every call).
    cand = os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "dvc")
    if os.access(cand, os.X_OK):
        return cand
    cand = os.path.join(os.path.dirname(sys.executable), "dvc")
    if os.access(cand, os.X_OK):
        return cand
    return shutil.which("dvc")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="data scale for gen.py (1 = 1.1 GiB)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated: git-mlops,dvc,git-lfs")
    ap.add_argument("--work", default=os.path.join(HERE, "out"), help="work dir (data cache, runs, logs)")
    ap.add_argument("--git-mlops", dest="git_mlops", help="git-mlops binary (default: .build/release/git-mlops)")
    ap.add_argument("--src", default=REPO_ROOT, help="git-mlops source tree (for scripts/s3-server)")
    ap.add_argument("--dvc", help="dvc executable (default: the one beside this python, else PATH)")
    ap.add_argument("--json", help="also write the JSON results here")
    ap.add_argument("--results", default=os.path.join(HERE, "results"), help="where to write <date>-scale<S>.md/.json")
    ap.add_argument("--s3", action="store_true", help="also push/pull against SeaweedFS on loopback")
    ap.add_argument("--s3-endpoint", help="with --s3: use this running S3 server (e.g. http://127.0.0.1:8333) "
                    "instead of starting one; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per command before it is killed")
    ap.add_argument("--repeat", type=int, default=1, help="run every tool N times (interleaved) and report "
                    "the median of each step")
    ap.add_argument("--keep", action="store_true", help="keep each tool's repos and remotes in WORK/run/")
    ctx = ap.parse_args()
    ctx.tools = [t.strip() for t in ctx.tools.split(",") if t.strip()]
    bad = [t for t in ctx.tools if t not in ALL_TOOLS]
    if bad:
        ap.error("unknown tool(s): %s (choose from %s)" % (", ".join(bad), ", ".join(ALL_TOOLS)))
    ctx.work = os.path.abspath(ctx.work)
    ctx.src = os.path.abspath(ctx.src)
    os.makedirs(ctx.work, exist_ok=True)

    # What is missing? Say what to run rather than installing anything here.
    missing = []
    try:
        import numpy  # noqa: F401
    except ImportError:
        missing.append("numpy (for the data generator)")
    if not shutil.which("git"):
        missing.append("git")
    gm, ctx.git_mlops = ctx.git_mlops, None
    if "git-mlops" in ctx.tools:
        gm = gm or os.path.join(ctx.src, ".build", "release", "git-mlops")
        if not os.access(gm, os.X_OK):
            missing.append("git-mlops binary %s (build it: swift build -c release --product git-mlops, "
                           "or pass --git-mlops PATH)" % gm)
        ctx.git_mlops = os.path.abspath(gm)
    ctx.dvc = ctx.dvc or find_dvc()
    if "dvc" in ctx.tools and not ctx.dvc:
        missing.append("dvc")
    if "git-lfs" in ctx.tools and subprocess.run(["git", "lfs", "version"], stdout=subprocess.DEVNULL,
                                                 stderr=subprocess.DEVNULL).returncode != 0:
        missing.append("git-lfs")
    if ctx.s3:
        for b in ("weed", "aws", "curl"):
            if not shutil.which(b):
                missing.append(b + " (for --s3)")
    if not TIME:
        log("warning: /usr/bin/time (GNU time) not found; peak RSS will include this Python's own RSS "
            "(bench/setup installs it)")
    if missing:
        log("missing: " + "; ".join(missing))
        log("install the tools with: bench/setup%s" % (" --s3" if ctx.s3 else ""))
        return 2
    ctx.dvc_s3 = False
    if ctx.s3 and "dvc" in ctx.tools:
        ctx.dvc_s3 = subprocess.run([os.path.join(os.path.dirname(ctx.dvc), "python3") if os.path.exists(
            os.path.join(os.path.dirname(ctx.dvc), "python3")) else sys.executable, "-c", "import dvc_s3"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0

    meta = machine_meta(ctx)
    ctx.nojournal = nojournal_ext4(os.path.realpath(ctx.work))
    ctx.trash = os.path.join(ctx.work, "trash")
    remove_tree(ctx.trash)  # a previous run's, interrupted
    ctx.data_dir, ctx.data_info = prepare_data(ctx)
    ctx.s3 = S3Server(ctx) if ctx.s3 else None
    results = {}
    try:
        if ctx.s3 is not None and not ctx.s3.start():
            log("s3: %s" % ctx.s3.error)
        runs = {name: [] for name in ctx.tools}
        for run_no in range(1, ctx.repeat + 1):  # rounds interleave the tools, so load spikes spread out
            for name in ctx.tools:
                t0 = time.monotonic()
                runs[name].append(run_tool(ctx, name, run_no))
                log("  [%s] done in %.0fs%s" % (name, time.monotonic() - t0, "" if runs[name][-1]["ok"] else
                                                " (with errors; see the report)"))
        results = {name: merge_runs(rs, ctx.data_info) for name, rs in runs.items()}
    finally:
        if ctx.s3 is not None:
            ctx.s3.stop()
        remove_tree(ctx.trash)

    md = report(ctx, results, meta)
    print(md)
    out = {"meta": meta, "scale": ctx.scale, "data": ctx.data_info, "tools": results,
           "targets": [dict(zip(("target", "wanted", "measured", "verdict"), r)) for r in targets(results, ctx.data_info)]
           if "git-mlops" in results else []}
    os.makedirs(ctx.results, exist_ok=True)
    base = os.path.join(ctx.results, "%s-scale%s" % (datetime.date.today().isoformat(), scale_tag(ctx.scale)))
    if sorted(ctx.tools) != sorted(ALL_TOOLS):  # a partial run does not overwrite the full one
        base += "-" + "+".join(ctx.tools)
    with open(base + ".md", "w") as f:
        f.write(md)
    with open(base + ".json", "w") as f:
        json.dump(out, f, indent=1)
    if ctx.json:
        with open(ctx.json, "w") as f:
            json.dump(out, f, indent=1)
    log("wrote %s.md and %s.json" % (base, base))
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
