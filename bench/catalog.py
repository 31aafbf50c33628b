#!/usr/bin/env python3
"""Times `git mlops model list --json` against `gto show --json` on a repository with N catalog tags.

    bench/catalog.py [--tags 10000] [--git-mlops .build/release/git-mlops] [--gto gto] [--repeat 3] [--keep DIR]

The repository is written in one `git fast-import` stream: one commit per version number, and for
each of `--models` models one annotated tag `NAME@vX.Y.Z` per commit (GTO allows one version of an
artifact per commit) and promotion tags `NAME#STAGE#N` spread over three stages, until there are N
tags, about 60% versions and 40% promotions. Tag times increase by one second per tag. Standard
library only. Prints git-mlops' time with the refs loose (as written) and packed (`git pack-refs`,
as `git gc`, clones and fetches leave them), GTO's, the ratio, and checks that both tools report the
same latest version and stages for every model.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

STAGES = ["dev", "staging", "prod"]


def build_repo(path, tags, models):
    """Writes the repository with one fast-import stream; returns (versions, promotions) counts."""
    versions_per_model = max(1, (tags * 6 // 10) // models)
    promotions_per_model = max(0, (tags - versions_per_model * models) // models)
    subprocess.run(["git", "init", "-q", path], check=True)
    base = 1_700_000_000
    out = []
    mark = 0
    for k in range(versions_per_model):
        mark += 1
        data = f"version {k}\n".encode()
        out.append(b"commit refs/heads/main\n")
        out.append(f"mark :{mark}\n".encode())
        out.append(f"committer Bench <bench@example.com> {base + k} +0000\n".encode())
        msg = f"commit {k}\n".encode()
        out.append(f"data {len(msg)}\n".encode() + msg)
        if k > 0:
            out.append(f"from :{mark - 1}\n".encode())
        out.append(f"M 100644 inline weights.txt\ndata {len(data)}\n".encode() + data + b"\n")
    when = base + versions_per_model + 10
    nv = np = 0
    for m in range(models):
        name = f"model-{m:03d}"
        counter = 0
        for k in range(versions_per_model):
            when += 1
            tag = f"{name}@v{k // 100}.{(k // 10) % 10}.{k % 10}"
            msg = f"Registering artifact {name} version v{k // 100}.{(k // 10) % 10}.{k % 10}".encode()
            out.append(f"tag {tag}\nfrom :{k + 1}\ntagger Bench <bench@example.com> {when} +0000\ndata {len(msg)}\n".encode() + msg + b"\n")
            nv += 1
        for p in range(promotions_per_model):
            when += 1
            counter += 1
            k = (p * 7) % versions_per_model
            stage = STAGES[p % len(STAGES)]
            tag = f"{name}#{stage}#{counter}"
            msg = f"Assigning stage {stage} to artifact {name} version v{k // 100}.{(k // 10) % 10}.{k % 10}".encode()
            out.append(f"tag {tag}\nfrom :{k + 1}\ntagger Bench <bench@example.com> {when} +0000\ndata {len(msg)}\n".encode() + msg + b"\n")
            np += 1
    subprocess.run(["git", "fast-import", "--quiet"], input=b"".join(out), cwd=path, check=True)
    subprocess.run(["git", "checkout", "-q", "main"], cwd=path, check=True)
    return nv, np


def timed(argv, cwd, repeat):
    """Median wall time, median CPU time (user + system, the command and its children) and the output.
    CPU time is the figure to compare on a busy machine, where wall time mostly measures the others."""
    times, cpus, out = [], [], None
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run(argv, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - t)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if r.returncode != 0:
            sys.exit(f"error: {' '.join(argv)} failed (exit {r.returncode}): {r.stderr.strip()}")
        out = r.stdout
    return statistics.median(times), statistics.median(cpus), out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tags", type=int, default=10_000)
    ap.add_argument("--models", type=int, default=100)
    ap.add_argument("--git-mlops", default=".build/release/git-mlops")
    ap.add_argument("--gto", default="gto")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--gto-repeat", type=int, default=1, help="gto is slow: runs of it (default 1)")
    ap.add_argument("--keep", help="build the repository in this (new) directory and keep it")
    a = ap.parse_args()
    mlops = os.path.abspath(a.git_mlops)
    if not os.access(mlops, os.X_OK):
        sys.exit(f"error: {a.git_mlops} not found; build it with `swift build -c release --product git-mlops`")
    if shutil.which(a.gto) is None:
        sys.exit("error: gto not found; install it with `pip install gto`")
    work = a.keep or tempfile.mkdtemp(prefix="catalog-bench-")
    try:
        repo = os.path.join(work, "repo")
        t = time.perf_counter()
        nv, np = build_repo(repo, a.tags, a.models)
        print(f"repository: {nv} version tags and {np} promotion tags on {a.models} models, built in {time.perf_counter() - t:.1f} s")
        loose, loose_cpu, _ = timed([mlops, "model", "list", "--json"], repo, a.repeat)
        print(f"git mlops model list --json: {loose:.3f} s ({loose_cpu:.3f} s CPU) with {nv + np} loose refs, as fast-import and `git tag` leave them (median of {a.repeat})")
        # `git gc` (and every clone or fetch) keeps refs in packed-refs: the usual state.
        subprocess.run(["git", "pack-refs", "--all"], cwd=repo, check=True)
        ours, ours_cpu, ours_out = timed([mlops, "model", "list", "--json"], repo, a.repeat)
        print(f"git mlops model list --json: {ours:.3f} s ({ours_cpu:.3f} s CPU) with packed refs (median of {a.repeat})")
        theirs, theirs_cpu, gto_out = timed([a.gto, "show", "--json"], repo, a.gto_repeat)
        print(f"gto show --json:             {theirs:.3f} s ({theirs_cpu:.3f} s CPU) with packed refs (median of {a.gto_repeat})")
        print(f"ratio, packed refs: {theirs / ours:.0f}x wall, {theirs_cpu / ours_cpu:.0f}x CPU; git-mlops with loose refs: {theirs / loose:.0f}x wall")
        mine = {m["name"]: m for m in json.loads(ours_out)}
        for name, g in json.loads(gto_out).items():
            m = mine.get(name)
            got = (m and m["latest"], m and {k: v["version"] for k, v in m["stages"].items()})
            want = (g["version"], {k: v for k, v in g["stage"].items() if v})
            if got != want:
                sys.exit(f"error: {name}: git-mlops says {got}, gto says {want}")
        print(f"agreement: both report the same latest version and stages for all {len(mine)} models")
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
