"""Measurement: runs a command and records its wall time (monotonic clock), user and system CPU
(wait4, children included) and the peak RSS of its largest process (GNU time's %M); adds commands up
into steps, and several runs of a tool into medians."""
import os
import resource
import signal
import statistics
import subprocess
import tempfile
import threading
import time

TIME = "/usr/bin/time" if os.access("/usr/bin/time", os.X_OK) else None  # GNU time, for peak RSS
RSS_SOURCE = "GNU time %M" if TIME else "wait4 ru_maxrss (includes the Python parent's RSS)"


def once(argv, cwd=None, env=None, ok=(0,)):
    """(wall seconds, peak RSS in bytes, CPU seconds, exit status, stdout) of one run of `argv`, for
    the scripts that time one command (bench/profile.py, bench/monitor.py); exits naming the command
    when its status is not in `ok`. The wall time is the monotonic clock's around the whole run
    (GNU time's %e has 10 ms steps, 4% of a 0.25 s command). With GNU time the CPU and peak RSS
    are its own (its child is a fresh exec, so the peak RSS is the command's alone); without it
    they come from wait4, whose peak RSS can include this Python process at the fork."""
    report = None
    if TIME:
        fd, report = tempfile.mkstemp(prefix="mlopsbench-time-")
        os.close(fd)
        argv = [TIME, "-f", "%e %M %U %S", "-o", report] + list(argv)
    t = time.perf_counter()
    p = subprocess.run(argv, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    elapsed = time.perf_counter() - t
    if p.returncode not in ok:
        if report:
            os.unlink(report)
        raise SystemExit("error: %s failed: %s" % (" ".join(argv), p.stderr.decode(errors="replace").strip()))
    if report:
        with open(report) as f:
            _, rss_kib, user, system = f.read().split()[-4:]
        os.unlink(report)
        return elapsed, int(rss_kib) * 1024, float(user) + float(system), p.returncode, p.stdout
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return elapsed, usage.ru_maxrss * 1024, usage.ru_utime + usage.ru_stime, p.returncode, p.stdout


class CmdFailed(Exception):
    pass


class Step:
    """The commands of one timed step: wall and CPU add up, peak RSS is the max."""

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

    @property
    def ok(self):
        return all(c["rc"] == 0 for c in self.cmds)

    def to_json(self):
        return {"wall": round(self.wall, 4), "cpu": round(self.cpu, 4), "user": round(self.user, 4),
                "rss_kib": self.rss_kib, "ok": self.ok,
                "cpu_util": round(self.cpu / self.wall, 3) if self.wall > 0 else None,
                "commands": self.cmds}


class Runner:
    """Runs one tool's commands: its own environment, a log file, a timeout per command."""

    def __init__(self, env, logfile, timeout):
        self.env = env
        self.logfile = logfile
        self.timeout = timeout

    def run(self, argv, cwd, step=None, capture=False, env_extra=None, check=True):
        """Runs argv in cwd; with `step`, records it there. Returns its stdout when `capture` (else
        stdout goes to the log). Raises CmdFailed on a non-zero exit or a timeout when `check`."""
        env = dict(self.env)
        if env_extra:
            env.update(env_extra)
        out_path = self.logfile + ".stdout"
        rss_path = self.logfile + ".rss"
        with open(self.logfile, "a") as lf:
            lf.write("\n$ %s   (in %s)\n" % (" ".join(argv), cwd))
        full = argv
        if TIME:
            # Peak RSS from GNU time's %M: wait4 on a child forked from this Python would report at
            # least Python's own RSS (Linux keeps the pre-exec high-water mark in ru_maxrss).
            full = [TIME, "-q", "-f", "%M", "-o", rss_path] + argv
        timed_out = []
        lf = open(self.logfile, "ab")
        of = open(out_path, "wb") if capture else lf
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
    start = max((i for i, line in enumerate(lines) if line.startswith("$ ")), default=0)
    return "".join(lines[start:][-n:])


def sh(argv, cwd=None, env=None, check=True):
    """An untimed helper command; returns its output (stdout and stderr)."""
    r = subprocess.run(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise CmdFailed("`%s` exit %d:\n%s" % (" ".join(argv), r.returncode, r.stdout[-2000:]))
    return r.stdout


def median_of(steps, key):
    """The JSON of a step whose figures are the medians over its commands (status: three runs)."""
    out = steps[key].to_json()
    cmds = steps[key].cmds
    out["wall"] = round(statistics.median(c["wall"] for c in cmds), 4)
    out["cpu"] = round(statistics.median(c["user"] + c["sys"] for c in cmds), 4)
    out["user"] = round(statistics.median(c["user"] for c in cmds), 4)
    return out


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
                res["s3"][k + "_MBps"] = throughput(info[key]["bytes"], res["steps"][k]["wall"])
    return res


def throughput(nbytes, wall):
    """MB/s (10^6 bytes), as the report shows it."""
    return round(nbytes / wall / 1e6, 1)
