#!/usr/bin/env python3
"""Profiling benchmark: `git-mlops profile FILE --json` against pandas on the benchmark CSV.

    bench/profile.py [--csv PATH | --scale S] [--work DIR] [--git-mlops PATH] [--repeat N]

Without --csv it writes the benchmark's table.csv (~256 MiB at scale 1; bench/mlopsbench/data.py, the
same bytes as bench/run.py's) to WORK/profile-scale<S>.csv once: 10 columns
id,ts,user_id,category,country,price,quantity,score,flag,label, e.g.
`1,1600000003,2723454,books,DE,18.52,7,0.374540,false,cls_3`.

It times, each --repeat times, interleaved, after one read of the file to warm the page cache:
  git-mlops  `git-mlops profile FILE --json` (build it with `swift build -c release --product git-mlops`)
  pandas     read_csv + describe() + quantile([.01 .05 .25 .5 .75 .95 .99]) in a fresh python3,
             timed inside that process (imports excluded)
and prints the median time of each (git-mlops's by the monotonic clock around the process, start-up
included), the ratio, and each one's CPU-seconds and peak resident memory (GNU time, else wait4):
on a busy machine the CPU-seconds compare better than the times.
Standard library plus numpy (to generate) and pandas (to compare); installs nothing (bench/setup does).
"""
import argparse
import os
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from mlopsbench import data  # noqa: E402
from mlopsbench.measure import once  # noqa: E402

MiB = 1 << 20
PANDAS = r"""
import sys, time
import pandas as pd

t = time.perf_counter()
df = pd.read_csv(sys.argv[1])
d = df.describe()
q = df.select_dtypes('number').quantile([0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99])
print(time.perf_counter() - t)
"""


def generate(path, scale):
    """The benchmark's own table.csv (bench/mlopsbench/data.py, byte for byte), written to `path`."""
    tmp = path + ".tmp"
    data.write_csv(tmp, int(data.CSV_BYTES * scale), data._rng(data.GEN_SEED, 1))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--csv", help="profile this CSV instead of generating one")
    ap.add_argument("--scale", type=float, default=1.0, help="size of the generated CSV: 256 MiB x S")
    ap.add_argument("--work", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
    ap.add_argument("--git-mlops", default=".build/release/git-mlops")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--generate", metavar="PATH", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.generate:
        generate(a.generate, a.scale)
        return

    if not os.access(a.git_mlops, os.X_OK):
        sys.exit("error: %s not found; build it with `swift build -c release --product git-mlops`" % a.git_mlops)
    # Checked (and the CSV generated) in child processes, so this one stays small.
    check = subprocess.run([sys.executable, "-c", "import numpy, pandas"], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit("error: %s; run bench/setup" % check.stderr.strip().splitlines()[-1])
    path = a.csv
    if not path:
        os.makedirs(a.work, exist_ok=True)
        path = os.path.join(a.work, "profile-scale%g.csv" % a.scale)
        if not os.path.exists(path):
            print("generating %s ..." % path, flush=True)
            subprocess.run([sys.executable, os.path.abspath(__file__), "--generate", path, "--scale", str(a.scale)], check=True)
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        while f.read(16 * MiB):
            pass

    ours, theirs = [], []
    for i in range(a.repeat):
        t, rss, cpu, _, out = once([a.git_mlops, "profile", path, "--json"])
        ours.append((t, rss, cpu))
        inner, prss, pcpu, _, pout = once([sys.executable, "-c", PANDAS, path])
        theirs.append((float(pout.decode().strip()), prss, pcpu))
        print("run %d: git-mlops %.3f s (%.2f CPU-s, %.0f MiB), pandas %.3f s (%.2f CPU-s with imports, %.0f MiB)"
              % (i + 1, t, cpu, rss / MiB, theirs[-1][0], pcpu, prss / MiB), flush=True)
    g = statistics.median(t for t, _, _ in ours)
    p = statistics.median(t for t, _, _ in theirs)
    print()
    print("file: %s (%.1f MiB), %d cores" % (path, size / MiB, os.cpu_count()))
    print("| tool | time (median of %d) | MB/s | CPU-seconds | peak RSS |" % a.repeat)
    print("|---|---|---|---|---|")
    print("| git-mlops profile --json | %.3f s | %.0f | %.2f | %.0f MiB |"
          % (g, size / 1e6 / g, statistics.median(c for _, _, c in ours), max(r for _, r, _ in ours) / MiB))
    print("| pandas read_csv+describe+quantile | %.3f s | %.0f | %.2f (with imports) | %.0f MiB |"
          % (p, size / 1e6 / p, statistics.median(c for _, _, c in theirs), max(r for _, r, _ in theirs) / MiB))
    print("ratio: git-mlops is %.1fx faster than pandas" % (p / g))


if __name__ == "__main__":
    main()
