"""The benchmark data has the shape bench/README.md promises, for any seed: run with
`python3 -m unittest discover -s bench/tests` (needs numpy)."""
import hashlib
import os
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

from mlopsbench import data  # noqa: E402

SCALE = 0.02  # 10 MiB of weights, 5 MiB of CSV, 400 small files


def rows(path):
    with open(path, "rb") as f:
        return f.read().split(b"\n")[1:-1]  # without the header and the empty string after the last newline


def small_files(root):
    return sorted(os.path.relpath(os.path.join(dp, f), root) for dp, _, fs in os.walk(root) for f in fs)


class DataTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="mlopsbench-test-")
        cls.v1 = os.path.join(cls.tmp, "v1")
        cls.v2 = os.path.join(cls.tmp, "v2")
        data.generate(cls.v1, SCALE)
        shutil.copytree(cls.v1, cls.v2)
        data.mutate(cls.v2, SCALE)

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp)

    def test_same_seed_same_bytes_other_seed_other_bytes(self):
        again = os.path.join(self.tmp, "again")
        other = os.path.join(self.tmp, "other")
        data.generate(again, SCALE)
        data.generate(other, SCALE, seed=1)
        self.assertEqual(data.manifest(again), data.manifest(self.v1))
        a, b = data.manifest(other).splitlines(), data.manifest(self.v1).splitlines()
        self.assertEqual([x[34:] for x in a], [x[34:] for x in b])  # the same paths...
        self.assertFalse(set(a) & set(b))                            # ...with other contents

    def test_bytes_change_only_with_the_data_version(self):
        # SHA-256 of the manifests of v1 and v2 at SCALE, for DATA_VERSION 1: the bytes of the generator
        # that the figures in bench/RESULTS.md were measured with. If this fails after a change to
        # data.py (or a numpy whose random streams changed), old and new figures are not measured on
        # the same data: bump DATA_VERSION (so caches are made again), pin the new sums, say so in
        # bench/README.md.
        pinned = {1: ("438e021c58a46fa7b3bc06229f98afa68fec02ae0feac498a6a3547feefa51c4",
                      "0acf5c300c78fd598eb25208221371ac5a0f6693c0baa4bb49421ddeb8d2140f")}
        self.assertIn(data.DATA_VERSION, pinned, "pin the sums of the new DATA_VERSION")
        got = tuple(hashlib.sha256(data.manifest(v).encode()).hexdigest() for v in (self.v1, self.v2))
        self.assertEqual(got, pinned[data.DATA_VERSION])

    def test_weights_are_float32_standard_normals(self):
        path = os.path.join(self.v1, "weights.bin")
        self.assertEqual(os.path.getsize(path), int(data.WEIGHTS_BYTES * SCALE) // 4 * 4)
        w = np.fromfile(path, dtype=np.float32)
        self.assertAlmostEqual(float(w.mean()), 0, delta=0.01)
        self.assertAlmostEqual(float(w.std()), 1, delta=0.01)

    def test_csv_has_whole_rows_of_ten_columns_up_to_its_size(self):
        path = os.path.join(self.v1, "table.csv")
        with open(path, "rb") as f:
            text = f.read()
        self.assertTrue(text.startswith(data.CSV_HEADER))
        self.assertTrue(text.endswith(b"\n"))
        rs = rows(path)
        self.assertTrue(all(r.count(b",") == 9 for r in rs))
        self.assertEqual([int(r.split(b",", 1)[0]) for r in rs], list(range(len(rs))))
        target = int(data.CSV_BYTES * SCALE)
        self.assertGreaterEqual(len(text), target)
        self.assertLess(len(text) - len(rs[-1]) - 1, target)  # the last row is the one that reaches it
        categories = {r.split(b",")[3] for r in rs}
        self.assertLessEqual(categories, {c.encode() for c in data.CATEGORIES})

    def test_small_files_kinds_and_layout(self):
        root = os.path.join(self.v1, "files")
        names = small_files(root)
        self.assertEqual(len(names), data.scaled_count(data.SMALL_FILES, SCALE))
        self.assertEqual(len({os.path.dirname(n) for n in names}), data.SMALL_DIRS)
        contents = []
        for n in names:
            with open(os.path.join(root, n), "rb") as f:
                contents.append(f.read())
        self.assertTrue(all(data.SMALL_MIN <= len(c) <= data.SMALL_MAX for c in contents))
        distinct = set(contents)
        copies = len(contents) - len(distinct)
        self.assertTrue(0.05 <= copies / len(contents) <= 0.15, copies)
        seen = {}  # 4 KiB block -> how many distinct files hold it
        for c in distinct:
            for blk in {c[i:i + data.POOL_BLOCK] for i in range(0, len(c) - data.POOL_BLOCK + 1, data.POOL_BLOCK)}:
                seen[blk] = seen.get(blk, 0) + 1
        shared = {blk for blk, n in seen.items() if n > 1}
        self.assertLessEqual(len(shared), data.POOL_BLOCKS)  # random bytes never repeat; only the pool does
        pooled = sum(1 for c in distinct if c[:data.POOL_BLOCK] in shared)
        self.assertTrue(0.05 <= pooled / len(contents) <= 0.15, pooled)

    def test_v2_inserts_rows_in_the_middle(self):
        r1, r2 = rows(os.path.join(self.v1, "table.csv")), rows(os.path.join(self.v2, "table.csv"))
        n = data.CSV_INSERTED_ROWS
        self.assertEqual(len(r2), len(r1) + n)
        mid = next(i for i in range(len(r1)) if r1[i] != r2[i])
        self.assertEqual(r2[:mid] + r2[mid + n:], r1)
        self.assertEqual([int(r.split(b",", 1)[0]) for r in r2[mid:mid + n]], list(range(len(r1), len(r1) + n)))
        self.assertAlmostEqual(mid / len(r1), 0.5, delta=0.01)

    def test_v2_changes_one_block_of_weights(self):
        w1 = np.fromfile(os.path.join(self.v1, "weights.bin"), dtype=np.float32)
        w2 = np.fromfile(os.path.join(self.v2, "weights.bin"), dtype=np.float32)
        changed = np.flatnonzero(w1 != w2)
        k = int(len(w1) * data.WEIGHTS_CHANGED)
        self.assertGreater(len(changed), 0.99 * k)
        self.assertGreaterEqual(changed[0], (len(w1) - k) // 2)
        self.assertLess(changed[-1], (len(w1) - k) // 2 + k)
        self.assertLess(float(np.abs(w2 - w1).max()), 10 * data.WEIGHTS_NOISE)

    def test_v2_replaces_small_files(self):
        f1 = set(small_files(os.path.join(self.v1, "files")))
        f2 = set(small_files(os.path.join(self.v2, "files")))
        n = data.scaled_count(data.SMALL_CHANGED, SCALE)
        self.assertEqual(len(f1 - f2), n)
        self.assertEqual(len(f2 - f1), n)
        self.assertTrue(all(os.path.basename(p).startswith("new") for p in f2 - f1))

    def test_manifest_is_md5_lines_sorted_by_path(self):
        lines = data.manifest(self.v1).splitlines()
        paths = [line[34:] for line in lines]
        self.assertEqual(paths, sorted(paths))
        self.assertEqual([p for p in paths if not p.startswith("files/")], ["table.csv", "weights.bin"])
        self.assertEqual(len(paths), 2 + data.scaled_count(data.SMALL_FILES, SCALE))
        self.assertTrue(all(int(line[:32], 16) >= 0 and line[32:34] == "  " for line in lines))
        copy = os.path.join(self.tmp, "changed")
        shutil.copytree(self.v1, copy)
        with open(os.path.join(copy, "files", paths[-1][len("files/"):]), "ab") as f:
            f.write(b"x")
        self.assertNotEqual(data.manifest(copy), data.manifest(self.v1))


if __name__ == "__main__":
    unittest.main()
