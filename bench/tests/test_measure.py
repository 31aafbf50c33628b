"""Commands are measured and their failures reported: `python3 -m unittest discover -s bench/tests`."""
import os
import shutil
import signal
import sys
import tempfile
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from mlopsbench.measure import TIME, CmdFailed, Runner, Step, merge_runs, once  # noqa: E402

PY = sys.executable


def alive(pid):
    """Whether the process exists and is not a zombie (killed, not yet reaped by its new parent)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


class RunnerTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mlopsbench-test-")
        self.log = os.path.join(self.tmp, "tool.log")
        self.r = Runner(dict(os.environ), self.log, timeout=60)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def test_output_and_record(self):
        s = Step("x")
        out = self.r.run([PY, "-c", "print('hello')"], self.tmp, s, capture=True)
        self.assertEqual(out, "hello\n")
        self.assertEqual(len(s.cmds), 1)
        self.assertEqual(s.cmds[0]["rc"], 0)
        self.assertTrue(s.ok)
        with open(self.log) as f:
            self.assertIn("hello", f.read())

    def test_failure_is_raised_with_the_commands_output_and_recorded(self):
        s = Step("x")
        with self.assertRaises(CmdFailed) as e:
            self.r.run([PY, "-c", "import sys; print('broken pipe'); sys.exit(3)"], self.tmp, s)
        self.assertIn("exit 3", str(e.exception))
        self.assertIn("broken pipe", str(e.exception))
        self.assertFalse(s.ok)
        self.assertFalse(s.to_json()["ok"])
        self.r.run([PY, "-c", "import sys; sys.exit(3)"], self.tmp, s, check=False)
        self.assertEqual([c["rc"] for c in s.cmds], [3, 3])

    def test_timeout_kills_the_whole_process_group(self):
        r = Runner(dict(os.environ), self.log, timeout=2)
        pidfile = os.path.join(self.tmp, "grandchild.pid")
        script = ("import subprocess, sys, time\n"
                  "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])\n"
                  "open(sys.argv[1], 'w').write(str(p.pid))\n"
                  "time.sleep(600)\n")
        with self.assertRaises(CmdFailed) as e:
            r.run([PY, "-c", script, pidfile], self.tmp)
        self.assertIn("timed out after 2s", str(e.exception))
        with open(pidfile) as f:
            pid = int(f.read())
        # SIGKILL is delivered asynchronously: give the kernel time to end it before calling it a survivor.
        deadline = time.monotonic() + 10
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        survived = alive(pid)
        if survived:
            os.kill(pid, signal.SIGKILL)
        self.assertFalse(survived, "the command's child outlived the timeout")

    @unittest.skipUnless(TIME, "GNU time is not installed (bench/setup)")
    def test_peak_rss_is_the_commands_own(self):
        s = Step("x")
        self.r.run([PY, "-c", "b = bytearray(200 << 20)"], self.tmp, s)       # 200 MiB, touched by zeroing
        self.r.run([PY, "-c", "pass"], self.tmp, s)
        self.assertGreater(s.rss_kib, 200 << 10)
        self.assertLess(s.cmds[1]["rss_kib"], 100 << 10)


class OnceTest(unittest.TestCase):
    """The one-command measurement of bench/profile.py and bench/monitor.py."""

    def test_figures_status_and_output(self):
        wall, rss, cpu, status, out = once([PY, "-c", "x = bytearray(64 << 20); print('done')"])
        self.assertEqual((status, out), (0, b"done\n"))
        self.assertGreater(rss, 64 << 20)
        self.assertGreater(wall, 0)
        self.assertGreater(cpu, 0)

    def test_a_status_outside_ok_exits_naming_the_command(self):
        failing = [PY, "-c", "import sys; sys.stderr.write('boom'); sys.exit(1)"]
        self.assertEqual(once(failing, ok=(0, 1))[3], 1)
        with self.assertRaises(SystemExit) as caught:
            once(failing)
        self.assertIn("failed: boom", str(caught.exception.code))


class MergeTest(unittest.TestCase):
    def test_medians_over_runs(self):
        def run(wall, rss, ok=True):
            return {"steps": {"add_v1": {"wall": wall, "cpu": wall / 2, "user": wall / 4, "rss_kib": rss, "ok": ok}},
                    "verify": {"clone_v2": "ok" if ok else "MISMATCH"}, "errors": [], "notes": [],
                    "peak_rss_kib": rss, "ok": ok, "loadavg_start": 0.1}
        m = merge_runs([run(3.0, 10), run(1.0, 30), run(2.0, 20, ok=False)], {})
        self.assertEqual(m["steps"]["add_v1"]["wall"], 2.0)
        self.assertEqual(m["steps"]["add_v1"]["walls"], [3.0, 1.0, 2.0])
        self.assertEqual(m["steps"]["add_v1"]["rss_kib"], 30)
        self.assertFalse(m["steps"]["add_v1"]["ok"])
        self.assertFalse(m["ok"])
        self.assertEqual(m["verify"]["clone_v2"], "MISMATCH")


if __name__ == "__main__":
    unittest.main()
