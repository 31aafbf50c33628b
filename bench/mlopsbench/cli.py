"""Benchmark git-mlops against DVC and git-lfs on the data of bench/mlopsbench/data.py.

    bench/run.py [--scale S] [--tools git-mlops,dvc,git-lfs] [--work DIR] [--git-mlops PATH]
                 [--json OUT] [--s3 [--s3-endpoint URL]] [--repeat N]
                 [--timeout SECONDS] [--keep]

Each tool runs the same steps in its own fresh repository, with its own HOME, on a fresh copy of
the same data: add v1, status (x3, median), v2 (mutate in place, add again), push v1 then v2 to
a local remote, fresh clone + pull of v2, checkout v2 -> v1, checkout into an empty workspace, and
with --s3 push/pull against SeaweedFS on loopback. Every command is timed (wall, user+sys CPU from
wait4, peak RSS from GNU time). Results: a markdown table on stdout and in bench/results/<date>-scale<S>.md/.json.
Python 3 standard library only (generating the data needs numpy). See bench/README.md.
"""
import argparse
import datetime
import importlib.util
import json
import os
import shutil
import sys

from . import data, log
from .disk import Disk
from .measure import TIME, merge_runs
from .report import machine_meta, report, targets
from .s3 import S3Server
from .steps import run_all
from .tools import ALL_TOOLS, TOOLS, find_dvc

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO_ROOT = os.path.dirname(BENCH)


def parse(argv):
    """The options, as the context every part of the benchmark reads (ctx)."""
    ap = argparse.ArgumentParser(prog="bench/run.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scale", type=float, default=1.0, help="data scale (1 = 1.1 GiB)")
    ap.add_argument("--tools", default=",".join(ALL_TOOLS), help="comma-separated: git-mlops,dvc,git-lfs")
    ap.add_argument("--work", default=os.path.join(BENCH, "out"), help="work dir (data cache, runs, logs)")
    ap.add_argument("--git-mlops", dest="git_mlops", help="git-mlops binary (default: .build/release/git-mlops)")
    ap.add_argument("--src", default=REPO_ROOT, help="git-mlops source tree (for scripts/s3-server)")
    ap.add_argument("--dvc", help="dvc executable (default: the one beside this python, else PATH)")
    ap.add_argument("--json", help="also write the JSON results here")
    ap.add_argument("--results", default=os.path.join(BENCH, "results"), help="where to write <date>-scale<S>.md/.json")
    ap.add_argument("--s3", action="store_true", help="also push/pull against SeaweedFS on loopback")
    ap.add_argument("--s3-endpoint", help="with --s3: use this running S3 server (e.g. http://127.0.0.1:9000) "
                    "instead of starting one; credentials from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY")
    ap.add_argument("--timeout", type=int, default=3600, help="seconds per command before it is killed")
    ap.add_argument("--repeat", type=int, default=1, help="run every tool N times (interleaved) and report "
                    "the median of each step")
    ap.add_argument("--keep", action="store_true", help="keep each tool's repos and remotes in WORK/run/")
    ctx = ap.parse_args(argv)
    ctx.tools = [t.strip() for t in ctx.tools.split(",") if t.strip()]
    bad = [t for t in ctx.tools if t not in ALL_TOOLS]
    if bad:
        ap.error("unknown tool(s): %s (choose from %s)" % (", ".join(bad), ", ".join(ALL_TOOLS)))
    if not ctx.scale > 0:
        ap.error("--scale must be above 0")
    if ctx.repeat < 1:
        ap.error("--repeat must be at least 1")
    ctx.work = os.path.abspath(ctx.work)
    ctx.src = os.path.abspath(ctx.src)
    ctx.git_mlops = os.path.abspath(ctx.git_mlops or os.path.join(ctx.src, ".build", "release", "git-mlops")) \
        if "git-mlops" in ctx.tools else None
    ctx.dvc = ctx.dvc or find_dvc()
    return ctx


def missing(ctx):
    """What the run needs and the machine lacks (bench/setup installs it)."""
    out = []
    if importlib.util.find_spec("numpy") is None:
        out.append("numpy (for the data generator)")
    if not shutil.which("git"):
        out.append("git")
    for name in ctx.tools:
        out += TOOLS[name].missing(ctx)
    if ctx.s3:
        out += ["%s (for --s3)" % b for b in ("weed", "aws", "curl") if not shutil.which(b)]
    return out


def write_results(ctx, md, out):
    os.makedirs(ctx.results, exist_ok=True)
    base = os.path.join(ctx.results, "%s-scale%g" % (datetime.date.today().isoformat(), ctx.scale))
    if sorted(ctx.tools) != sorted(ALL_TOOLS):  # a partial run does not overwrite the full one
        base += "-" + "+".join(ctx.tools)
    for path, text in ((base + ".md", md), (base + ".json", json.dumps(out, indent=1))):
        with open(path, "w") as f:
            f.write(text)
    if ctx.json:
        with open(ctx.json, "w") as f:
            json.dump(out, f, indent=1)
    log("wrote %s.md and %s.json" % (base, base))


def main(argv=None):
    ctx = parse(argv)
    os.makedirs(ctx.work, exist_ok=True)
    # Say what is missing and how to get it rather than installing anything here.
    lacking = missing(ctx)
    if not TIME:
        log("warning: /usr/bin/time (GNU time) not found; peak RSS will include this Python's own RSS "
            "(bench/setup installs it)")
    if lacking:
        log("missing: " + "; ".join(lacking))
        log("install the tools with: bench/setup%s" % (" --s3" if ctx.s3 else ""))
        return 2

    meta = machine_meta(ctx)
    ctx.disk = Disk(ctx.work)
    ctx.disk.empty_trash()  # a previous run's, interrupted
    ctx.data_dir, ctx.data_info = data.prepare(ctx.work, ctx.scale, ctx.disk.remove, log)
    ctx.s3 = S3Server(ctx.work, ctx.src, ctx.s3_endpoint) if ctx.s3 else None
    results = {}
    try:
        if ctx.s3 is not None and not ctx.s3.start():
            log("s3: %s" % ctx.s3.error)
        results = {name: merge_runs(rs, ctx.data_info) for name, rs in run_all(ctx).items()}
    finally:
        if ctx.s3 is not None:
            ctx.s3.stop()
        ctx.disk.empty_trash()

    md = report(ctx, results, meta)
    print(md)
    out = {"meta": meta, "scale": ctx.scale, "data": ctx.data_info, "tools": results,
           "targets": [dict(zip(("target", "wanted", "measured", "verdict"), r)) for r in targets(results, ctx.data_info)]
           if "git-mlops" in results else []}
    write_results(ctx, md, out)
    return 0 if all(r["ok"] for r in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
