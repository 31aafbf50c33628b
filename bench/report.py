#!/usr/bin/env python3
"""How long `git mlops report` takes on a repository with many recorded runs (issue 13: under 2 s for
1,000 runs).

    swift build -c release --product git-mlops && bench/report.py [--runs 1000] [--repeat 5]

Makes the repository in a few seconds with two `git fast-import` streams: RUNS/2 commits of a
two-stage pipeline (prepare -> train; params, metrics, pointers, a plots file that changes every
commit), then one note per commit on refs/notes/mlops holding a prepare and a train run record
(canonical JSON lines, as `git mlops run` writes them). No command runs and no data is stored: the
report reads history, notes, pointers and git blobs, which is all this builds. Then times `git mlops
report` (wall clock, median of --repeat) and checks what it wrote. Standard library only.
"""
import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

PIPELINE = """stages:
  prepare:
    cmd: python3 prepare.py
    deps: [prepare.py, data/raw.csv]
    params: [prepare.seed]
    outs: [data/prepared]
  train:
    cmd: python3 train.py
    deps: [train.py, data/prepared]
    params: [train.lr, train.epochs]
    outs: [model.npy]
    metrics: [metrics.json]
    plots:
      - loss.csv: {x: epoch, y: loss}
"""


def sha(text):
    return hashlib.sha256(text.encode()).hexdigest()


def blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def pointer(oid, size, kind, files=None):
    s = f"version https://git-mlops.dev/spec/pointer/v1\noid sha256:{oid}\nsize {size}\ntype {kind}\n"
    return s + (f"files {files}\n" if files is not None else "")


def canonical(obj):
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def data(stream, payload):
    raw = payload.encode() if isinstance(payload, str) else payload
    stream.append(b"data %d\n" % len(raw) + raw + b"\n")


def commit_stream(n):
    """n commits on main, each changing params, metrics, pointers and the loss curve."""
    out = []
    raw = pointer(sha("raw"), 10_000, "file")
    for k in range(n):
        lr = round(0.01 + 0.3 * ((k * 37) % 100) / 100, 4)
        mse = round(0.5 / (1 + k / 50) + 0.01 * ((k * 13) % 7), 6)
        files = {
            ".gitmlops": "[core]\n\tversion = 1\n",
            "mlops.yaml": PIPELINE,
            "params.yaml": f"prepare:\n  seed: {k // 100}\ntrain:\n  lr: {lr}\n  epochs: 20\n",
            "metrics.json": json.dumps({"mse": mse, "acc": round(1 - mse / 2, 6), "epochs": 20}, indent=2) + "\n",
            "loss.csv": "epoch,loss\n" + "".join(f"{e},{mse * (1 + 5 / (e + 1)):.6f}\n" for e in range(50)),
            "prepare.py": "print('prepare')\n",
            "train.py": f"print('train {k % 3}')\n",
            "data/raw.csv.mlops": raw,
            "data/prepared.mlops": pointer(sha(f"prepared{k // 100}"), 50_000, "dir", 2),
            "model.npy.mlops": pointer(sha(f"model{k}"), 4_096, "file"),
        }
        out.append(b"commit refs/heads/main\nmark :%d\n" % (k + 1))
        out.append(b"committer Bench <bench@example.com> %d +0000\n" % (1_700_000_000 + k * 60))
        data(out, f"train with lr {lr}")
        for path, text in files.items():
            out.append(b"M 100644 inline " + path.encode() + b"\n")
            data(out, text)
    return b"".join(out)


def record(stage, k, commit, run_id):
    """A run record as `git mlops run` writes it (fields of docs/lineage.md)."""
    lr = round(0.01 + 0.3 * ((k * 37) % 100) / 100, 4)
    mse = round(0.5 / (1 + k / 50) + 0.01 * ((k * 13) % 7), 6)
    started = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(1_700_000_000 + k * 60)) + ".000Z"
    prepared = {"path": "data/prepared", "oid": "sha256:" + sha(f"prepared{k // 100}"), "size": 50_000, "type": "dir", "files": 2}
    r = {"schema": "https://git-mlops.dev/spec/run/v1", "id": run_id, "stage": stage, "started": started,
         "duration": 1.5, "exit": 0, "user": "bench", "host": "bench",
         "env": {"git_mlops": "0.1.0", "os": "Linux", "interpreter": "Python 3.11.2"},
         "code": {"commit": commit, "dirty": False}}
    if stage == "prepare":
        r.update(cmd="python3 prepare.py", params={"prepare.seed": k // 100},
                 inputs=[{"path": "data/raw.csv", "oid": "sha256:" + sha("raw"), "size": 10_000, "type": "file"}],
                 outputs=[prepared])
        r["code"]["deps"] = [{"path": "prepare.py", "blob": blob_id(b"print('prepare')\n")}]
    else:
        metrics = {"mse": mse, "acc": round(1 - mse / 2, 6), "epochs": 20}
        text = (json.dumps(metrics, indent=2) + "\n").encode()
        r.update(cmd="python3 train.py", params={"train.lr": lr, "train.epochs": 20}, inputs=[prepared],
                 outputs=[{"path": "model.npy", "oid": "sha256:" + sha(f"model{k}"), "size": 4_096, "type": "file"}],
                 metric_files=[{"path": "metrics.json", "oid": "sha256:" + hashlib.sha256(text).hexdigest(),
                                "blob": blob_id(text), "size": len(text), "type": "file"}],
                 metrics={"metrics.json": metrics})
        r["code"]["deps"] = [{"path": "train.py", "blob": blob_id(f"print('train {k % 3}')\n".encode())}]
    r["key"] = sha(canonical({"stage": stage, "k": k}))
    return canonical(r)


def notes_stream(commits):
    out = [b"commit refs/notes/mlops\n", b"committer Bench <bench@example.com> 1800000000 +0000\n"]
    data(out, "run records")
    for k, c in enumerate(commits):
        ids = [sha(f"run {stage} {k}")[:16] for stage in ("prepare", "train")]
        lines = sorted([record("prepare", k, c, ids[0]), record("train", k, c, ids[1])])
        out.append(b"N inline " + c.encode() + b"\n")
        data(out, "\n".join(lines) + "\n")
    return b"".join(out)


def git(repo, *args, stdin=None, env=None):
    return subprocess.run(["git", "-C", repo, *args], input=stdin, env=env, check=True, capture_output=True).stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=1000, help="run records to make (two per commit; default 1000)")
    ap.add_argument("--repeat", type=int, default=5, help="timed reports (default 5); the median is reported")
    ap.add_argument("--git-mlops", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "git-mlops"))
    ap.add_argument("--keep", action="store_true", help="keep the repository (its path is printed)")
    args = ap.parse_args()
    exe = os.path.abspath(args.git_mlops)
    if not os.access(exe, os.X_OK):
        print(f"error: {exe} not found; build it with `swift build -c release --product git-mlops`", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="report-bench-")
    env = dict(os.environ, HOME=work, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.path.join(work, "gitconfig"),
               PATH=os.path.dirname(exe) + os.pathsep + os.environ.get("PATH", ""), LC_ALL="C", NO_COLOR="1")
    repo = os.path.join(work, "repo")
    try:
        t0 = time.monotonic()
        n = max(1, args.runs // 2)
        subprocess.run(["git", "init", "-q", "-b", "main", repo], check=True, env=env)
        marks = os.path.join(work, "marks")
        git(repo, "fast-import", "--quiet", f"--export-marks={marks}", stdin=commit_stream(n), env=env)
        by_mark = dict(line.split() for line in open(marks))
        commits = [by_mark[f":{k + 1}"] for k in range(n)]
        git(repo, "fast-import", "--quiet", stdin=notes_stream(commits), env=env)
        git(repo, "checkout", "-q", "-f", "main", env=env)
        subprocess.run([exe, "init"], cwd=repo, env=env, check=True, capture_output=True)
        made = time.monotonic() - t0
        print(f"repository: {n} commits, {2 * n} runs, made in {made:.1f} s ({repo})")

        times = []
        for i in range(args.repeat):
            t = time.monotonic()
            r = subprocess.run([exe, "report"], cwd=repo, env=env, capture_output=True, text=True)
            times.append(time.monotonic() - t)
            if r.returncode != 0:
                print(f"error: git mlops report failed (exit {r.returncode}): {r.stderr}", file=sys.stderr)
                return 1
        out = os.path.join(repo, "mlops-report")
        runs_html = open(os.path.join(out, "runs.html"), encoding="utf-8").read()
        rows = runs_html.count("<tr><td><code title=")
        index = open(os.path.join(out, "index.html"), encoding="utf-8").read()
        points = index.count('<circle class="pt"')
        sizes = {f: os.path.getsize(os.path.join(out, f)) for f in sorted(os.listdir(out)) if f.endswith(".html")}
        ok = rows == 2 * n and points == 3 * n and r.stderr == ""
        print(f"git mlops report: median {statistics.median(times):.3f} s over {args.repeat} runs "
              f"(min {min(times):.3f}, max {max(times):.3f})")
        print(f"checks: runs table {rows} rows, trend charts {points} points (3 metrics x {n} commits), "
              f"warnings {'none' if not r.stderr else r.stderr.strip()}: {'ok' if ok else 'FAILED'}")
        print("pages: " + ", ".join(f"{f} {s / 1024:.0f} KiB" for f, s in sizes.items()))
        return 0 if ok else 1
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
