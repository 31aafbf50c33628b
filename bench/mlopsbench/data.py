#!/usr/bin/env python3
"""The benchmark data: a data set shaped like a small ML project, a realistic next version of it, and
a manifest that tells whether a checkout reproduced a version exactly.

    python3 bench/mlopsbench/data.py gen --out DIR [--scale S] [--seed N]
    python3 bench/mlopsbench/data.py mutate --dir DIR [--scale S] [--seed N]
    python3 bench/mlopsbench/data.py manifest DIR [PATH...]

gen (v1, about 1.1 GiB at scale 1; sizes and the file count scale linearly with S):
  weights.bin   512 MiB of float32 standard normals (model weights: nearly incompressible)
  table.csv     ~256 MiB CSV, 10 columns, numeric and categorical, ending at a row boundary
  files/dNN/    20,000 files of 4-32 KiB in 20 sub-directories: ~80% random bytes, ~10% exact
                copies of an earlier file, ~10% made of blocks from a pool of 64 repeated 4 KiB blocks
mutate (v2, in place):
  table.csv     1,000 new rows inserted at the first row boundary past the middle (file rewritten)
  weights.bin   1% of the values, one block in the middle, perturbed in place (noise sigma 0.01)
  files/        100 files removed and 100 new ones added, round-robin over the sub-directories
manifest: `md5  path` lines, sorted by path, for weights.bin, table.csv and every file under files/.

The same seed and scale give the same bytes. The output is byte-identical to the generator the
figures in bench/RESULTS.md were measured on (manifests compared at scales 0.013, 0.02, 0.05 and
0.2; bench/tests/test_data.py pins those of 0.02), so old and new figures compare directly.
gen and mutate need numpy; manifest needs only Python.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time

MiB = 1 << 20
KiB = 1 << 10

# Bump when the bytes change, so that cached data made by an older generator is made again.
DATA_VERSION = 1
GEN_SEED = 20240601
MUTATE_SEED = 7
DATA_PATHS = ["weights.bin", "table.csv", "files"]

# v1
WEIGHTS_BYTES = 512 * MiB
CSV_BYTES = 256 * MiB
CSV_BLOCK_ROWS = 50_000        # rows drawn at a time (part of the random stream: changing it changes the bytes)
SMALL_FILES = 20_000
SMALL_DIRS = 20
SMALL_MIN, SMALL_MAX = 4 * KiB, 32 * KiB
COPY_SHARE = 0.10              # exact copies of one of the first COPY_SOURCES files
POOL_SHARE = 0.10              # built from POOL_BLOCKS blocks of POOL_BLOCK bytes
COPY_SOURCES = 2_000
POOL_BLOCKS, POOL_BLOCK = 64, 4 * KiB
WEIGHTS_CHUNK = 4 * MiB        # float32 values drawn and written at a time (16 MiB)

# v2
CSV_INSERTED_ROWS = 1_000      # not scaled
WEIGHTS_CHANGED = 0.01
WEIGHTS_NOISE = 0.01
SMALL_CHANGED = 100            # removed, and as many added; scaled

# table.csv
CSV_HEADER = b"id,ts,user_id,category,country,price,quantity,score,flag,label\n"
CATEGORIES = ("electronics", "books", "garden", "toys", "grocery", "fashion", "sports", "beauty", "auto",
              "music", "office", "pets", "health", "baby", "tools", "games", "movies", "kitchen", "outdoor",
              "art")
COUNTRIES = ("US", "DE", "FR", "GB", "JP", "CN", "IN", "BR", "CA", "AU", "ES", "IT", "NL", "SE", "NO", "PL",
             "MX", "KR", "ZA", "AR", "CH", "AT", "BE", "DK", "FI", "IE", "PT", "GR", "CZ", "HU", "RO", "TR",
             "IL", "EG", "NG", "KE", "SG", "MY", "TH", "VN", "ID", "PH", "NZ", "CL", "CO", "PE", "UA", "RU",
             "SA", "AE")
LABELS = 8
FIRST_TS = 1_600_000_000       # ts = FIRST_TS + 7 * id + jitter in [0, 7)


def _numpy():
    import numpy  # imported here so that `manifest` (and bench/run.py) work without numpy
    return numpy


def _rng(seed, stream=None):
    """A PCG64 generator; with `stream`, the stream-th of three independent children of `seed`."""
    np = _numpy()
    if stream is None:
        return np.random.Generator(np.random.PCG64(seed))
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed).spawn(3)[stream]))


def scaled_count(n, scale):
    return int(round(n * scale))


# ----------------------------------------------------------------------------------------------
# v1

def csv_rows(rng, first_id, n):
    """n rows with ids first_id... as bytes. Every column is drawn for all n rows at once, in a fixed
    order (the order is part of the data: the same seed must give the same table)."""
    np = _numpy()
    ids = np.arange(first_id, first_id + n)
    ts = FIRST_TS + 7 * ids + rng.integers(0, 7, n)
    user = rng.integers(1, 5_000_000, n)
    category = rng.zipf(1.6, n) % len(CATEGORIES)          # a few categories dominate
    country = rng.integers(0, len(COUNTRIES), n)
    price = np.round(rng.lognormal(3.0, 1.0, n), 2)          # rounded first, then printed with 2 places
    quantity = rng.integers(1, 20, n)
    score = rng.random(n)
    flag = rng.random(n) < 0.3
    label = rng.integers(0, LABELS, n)
    out = "".join("%d,%d,%d,%s,%s,%.2f,%d,%.6f,%s,cls_%d\n" % (
        i, t, u, CATEGORIES[c], COUNTRIES[k], p, q, s, "true" if f else "false", lab)
        for i, t, u, c, k, p, q, s, f, lab in zip(
            ids.tolist(), ts.tolist(), user.tolist(), category.tolist(), country.tolist(), price.tolist(),
            quantity.tolist(), score.tolist(), flag.tolist(), label.tolist()))
    return out.encode("ascii")


def write_weights(path, nbytes, rng):
    np = _numpy()
    left = nbytes // 4
    with open(path, "wb") as f:
        while left:
            k = min(WEIGHTS_CHUNK, left)
            f.write(rng.standard_normal(k, dtype=np.float32).tobytes())
            left -= k


def write_csv(path, nbytes, rng):
    """Rows until the file reaches nbytes: a block that would overshoot is cut at its last row that
    fits, and once not even one more row fits, that row is written anyway (the file ends with a whole
    row just past nbytes)."""
    with open(path, "wb") as f:
        f.write(CSV_HEADER)
        size, next_id = len(CSV_HEADER), 0
        while size < nbytes:
            block = csv_rows(rng, next_id, CSV_BLOCK_ROWS)
            room = nbytes - size
            if len(block) > room:
                end = block.rfind(b"\n", 0, room) + 1
                block = block[:end] if end else block[:block.index(b"\n") + 1]
            f.write(block)
            size += len(block)
            next_id += block.count(b"\n")


def write_small_files(root, count, rng):
    """count files in SMALL_DIRS sub-directories (filled in order), of three kinds drawn per file."""
    os.makedirs(root, exist_ok=True)
    pool = [rng.bytes(POOL_BLOCK) for _ in range(POOL_BLOCKS)]
    sizes = rng.integers(SMALL_MIN, SMALL_MAX + 1, count).tolist()
    kinds = rng.random(count).tolist()
    per_dir = max(1, -(-count // SMALL_DIRS))
    sources = []  # the first COPY_SOURCES files' bytes, which copies are taken from
    for i in range(count):
        size, kind = sizes[i], kinds[i]
        if kind < COPY_SHARE and sources:
            data = sources[int(rng.integers(0, len(sources)))]
        elif kind < COPY_SHARE + POOL_SHARE:
            blocks = rng.integers(0, POOL_BLOCKS, -(-size // POOL_BLOCK))
            data = b"".join(pool[b] for b in blocks.tolist())[:size]
        else:
            data = rng.bytes(size)
        d = os.path.join(root, "d%02d" % (i // per_dir))
        if i % per_dir == 0:
            os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "f%06d.bin" % i), "wb") as f:
            f.write(data)
        if len(sources) < COPY_SOURCES:
            sources.append(data)


def _gen_part(args):
    part, out, scale, seed = args
    rng = _rng(seed, part)  # one independent stream per part, so the parts can be made in parallel
    if part == 0:
        write_weights(os.path.join(out, "weights.bin"), int(WEIGHTS_BYTES * scale) // 4 * 4, rng)
    elif part == 1:
        write_csv(os.path.join(out, "table.csv"), int(CSV_BYTES * scale), rng)
    else:
        write_small_files(os.path.join(out, "files"), scaled_count(SMALL_FILES, scale), rng)


def generate(out, scale=1.0, seed=GEN_SEED):
    """Writes v1 into `out`: the three parts in parallel (one process each, as many as there are cores)."""
    os.makedirs(out, exist_ok=True)
    jobs = [(part, out, scale, seed) for part in (1, 2, 0)]  # the slowest first
    workers = min(len(jobs), os.cpu_count() or 1)
    if workers == 1:
        for j in jobs:
            _gen_part(j)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(workers) as ex:
        for _ in ex.map(_gen_part, jobs):
            pass


# ----------------------------------------------------------------------------------------------
# v2

def _copy_range(src, dst, n):
    while n:
        b = src.read(min(n, 4 * MiB))
        if not b:
            raise ValueError("%s: shorter than expected" % src.name)
        dst.write(b)
        n -= len(b)


def insert_csv_rows(path, rng, nrows):
    """Inserts nrows new rows (ids after the last row's) at the first row boundary past the middle,
    into a new file renamed over the old one, as most writers do. Streams: memory does not grow
    with the file."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        f.seek(max(0, size - 64 * KiB))
        last_row = f.read().rstrip(b"\n").rsplit(b"\n", 1)[-1]
        next_id = int(last_row.split(b",", 1)[0]) + 1
        f.seek(size // 2)
        middle = size // 2 + len(f.readline())
        if middle >= size:
            raise ValueError("%s: no row boundary after the middle" % path)
        new_rows = csv_rows(rng, next_id, nrows)
        tmp = path + ".tmp"
        with open(tmp, "wb") as out:
            f.seek(0)
            _copy_range(f, out, middle)
            out.write(new_rows)
            _copy_range(f, out, size - middle)
    os.replace(tmp, path)


def perturb_weights(path, rng, share=WEIGHTS_CHANGED):
    """Adds small noise to one contiguous block of `share` of the values, centred, in place."""
    np = _numpy()
    n = os.path.getsize(path) // 4
    k = max(1, int(n * share))
    offset = (n - k) // 2 * 4
    with open(path, "r+b") as f:
        f.seek(offset)
        values = np.frombuffer(f.read(k * 4), dtype=np.float32).copy()
        values += rng.normal(0, WEIGHTS_NOISE, k).astype(np.float32)
        f.seek(offset)
        f.write(values.tobytes())


def replace_small_files(root, rng, n):
    """Removes n files drawn from all of them and adds n new random ones, newNNNNNN.bin, one per
    sub-directory in turn."""
    files = sorted(os.path.relpath(os.path.join(dp, f), root) for dp, _, fs in os.walk(root) for f in fs)
    for i in sorted(rng.choice(len(files), n, replace=False).tolist()):
        os.remove(os.path.join(root, files[i]))
    dirs = sorted(d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)))
    for j in range(n):
        size = int(rng.integers(SMALL_MIN, SMALL_MAX + 1))
        with open(os.path.join(root, dirs[j % len(dirs)], "new%06d.bin" % j), "wb") as f:
            f.write(rng.bytes(size))


def mutate(root, scale=1.0, seed=MUTATE_SEED):
    """Turns v1 in `root` into v2, in place. One random stream for the three changes, in this order."""
    rng = _rng(seed)
    insert_csv_rows(os.path.join(root, "table.csv"), rng, CSV_INSERTED_ROWS)
    perturb_weights(os.path.join(root, "weights.bin"), rng)
    replace_small_files(os.path.join(root, "files"), rng, max(1, scaled_count(SMALL_CHANGED, scale)))


# ----------------------------------------------------------------------------------------------
# Manifest

def _files(root, rel):
    p = os.path.join(root, rel)
    if os.path.isdir(p):
        for dp, _, fs in os.walk(p):
            for f in fs:
                yield os.path.relpath(os.path.join(dp, f), root)
    elif os.path.lexists(p):
        yield rel


def manifest(root, rels=DATA_PATHS):
    """`md5  path` lines sorted by path, newline-terminated: equal manifests mean equal data."""
    lines = []
    for rel in rels:
        for r in _files(root, rel):
            h = hashlib.md5()
            with open(os.path.join(root, r), "rb") as f:
                while True:
                    b = f.read(MiB)
                    if not b:
                        break
                    h.update(b)
            lines.append((r, "%s  %s" % (h.hexdigest(), r)))
    return "\n".join(line for _, line in sorted(lines)) + "\n"


# ----------------------------------------------------------------------------------------------
# The benchmark's cache: v1 and v2 and their manifests, made once per scale

def size_and_count(root):
    """Apparent bytes and number of files of the data paths under root."""
    nbytes = nfiles = 0
    for rel in DATA_PATHS:
        for r in _files(root, rel):
            nbytes += os.path.getsize(os.path.join(root, r))
            nfiles += 1
    return nbytes, nfiles


def run_self(*args):
    """Runs this file as a command (keeps numpy and the data out of the caller's memory)."""
    r = subprocess.run([sys.executable, os.path.abspath(__file__)] + [str(a) for a in args],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        raise RuntimeError("`data.py %s` exit %d:\n%s" % (" ".join(map(str, args)), r.returncode, r.stdout[-2000:]))


def prepare(work, scale, remove, log):
    """WORK/data/scale<S>/ with v1, v2 and their manifests (made unless already there, by this
    DATA_VERSION); returns (that directory, {"scale", "v1": {"bytes", "files"}, "v2": ...}).
    `remove(path)` deletes a stale or half-made cache."""
    d = os.path.join(work, "data", "scale%g" % scale)
    marker = os.path.join(d, "complete.json")
    if os.path.exists(marker):
        with open(marker) as f:
            info = json.load(f)
        if info.get("data_version", 1) == DATA_VERSION:  # caches without it: the same bytes (version 1)
            log("data: cached in %s" % d)
            return d, info
    remove(d)
    os.makedirs(d)
    v1, v2 = os.path.join(d, "v1"), os.path.join(d, "v2")
    log("data: generating v1 at scale %g in %s" % (scale, v1))
    t0 = time.monotonic()
    run_self("gen", "--out", v1, "--scale", scale)
    log("data: v1 in %.1fs; making v2" % (time.monotonic() - t0))
    subprocess.run(["cp", "-a", v1, v2], check=True)
    run_self("mutate", "--dir", v2, "--scale", scale)
    info = {"scale": scale, "data_version": DATA_VERSION}
    for v, p in (("v1", v1), ("v2", v2)):
        with open(os.path.join(d, v + ".manifest"), "w") as f:
            f.write(manifest(p))
        nbytes, nfiles = size_and_count(p)
        info[v] = {"bytes": nbytes, "files": nfiles}
    with open(marker, "w") as f:
        json.dump(info, f)
    return d, info


def main(argv=None):
    ap = argparse.ArgumentParser(prog="data.py", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("gen", help="write v1 into --out")
    g.add_argument("--out", required=True)
    g.add_argument("--scale", type=float, default=1.0)
    g.add_argument("--seed", type=int, default=GEN_SEED)
    m = sub.add_parser("mutate", help="turn v1 in --dir into v2, in place")
    m.add_argument("--dir", required=True)
    m.add_argument("--scale", type=float, default=1.0)
    m.add_argument("--seed", type=int, default=MUTATE_SEED)
    f = sub.add_parser("manifest", help="print the manifest of DIR")
    f.add_argument("dir")
    f.add_argument("paths", nargs="*")
    a = ap.parse_args(argv)
    if a.cmd in ("gen", "mutate") and not a.scale > 0:
        ap.error("--scale must be above 0")
    if a.cmd == "gen":
        generate(a.out, a.scale, a.seed)
    elif a.cmd == "mutate":
        mutate(a.dir, a.scale, a.seed)
    else:
        sys.stdout.write(manifest(a.dir, a.paths or DATA_PATHS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
