"""DVC: `dvc add/status/push/pull/checkout` with core.autostage, a local directory and (with the
optional dvc-s3) S3 as data remotes. Run through its real entry point, not a pyenv shim (which adds
about 50 ms to every call)."""
import functools
import os
import shutil
import subprocess
import sys

from ..data import DATA_PATHS
from .base import Tool


def find_dvc():
    """dvc beside this Python (its real entry point), else on PATH."""
    for cand in (os.path.join(os.path.dirname(os.path.realpath(sys.executable)), "dvc"),
                 os.path.join(os.path.dirname(sys.executable), "dvc")):
        if os.access(cand, os.X_OK):
            return cand
    return shutil.which("dvc")


@functools.lru_cache(maxsize=None)
def has_dvc_s3(dvc):
    """Whether dvc-s3 is importable by the Python that runs `dvc`."""
    py = os.path.join(os.path.dirname(dvc), "python3")
    return subprocess.run([py if os.path.exists(py) else sys.executable, "-c", "import dvc_s3"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


class Dvc(Tool):
    name = "dvc"
    title = "DVC"
    store_rel = ".dvc/cache"
    supports_s3 = True

    @staticmethod
    def missing(ctx):
        return [] if ctx.dvc else ["dvc"]

    def dvc(self, *args):
        return [self.ctx.dvc] + list(args)

    def version(self, r):
        return "dvc " + r.run(self.dvc("--version"), self.ctx.work, capture=True, check=False).strip()

    def setup(self, r, repo, remote):
        r.run(self.dvc("init", "-q"), repo)
        r.run(self.dvc("config", "core.autostage", "true"), repo)
        r.run(self.dvc("config", "core.analytics", "false"), repo)
        r.run(self.dvc("remote", "add", "-d", "local", remote), repo)

    def add(self, r, repo, step, version):
        r.run(self.dvc("add", "-q", *DATA_PATHS), repo, step)

    def status(self, r, repo, step):
        return r.run(self.dvc("status"), repo, step, capture=True)

    def status_clean(self, out):
        return "up to date" in out

    def push(self, r, repo, step, rev):
        # dvc push has no --rev: it pushes what the .dvc files in the workspace name. For v1, check
        # out v1's .dvc files first (untimed; data files are git-ignored and stay as they are).
        if rev != "HEAD":
            r.run(["git", "checkout", "-q", rev], repo)
        try:
            r.run(self.dvc("push", "-q"), repo, step)
        finally:
            if rev != "HEAD":
                r.run(["git", "checkout", "-q", "main"], repo)

    def clone_pull(self, r, clone, step):
        r.run(self.dvc("pull", "-q"), clone, step)

    def checkout(self, r, repo, step):
        r.run(self.dvc("checkout", "-q"), repo, step)

    def s3_missing(self):
        return None if has_dvc_s3(self.ctx.dvc) else "dvc-s3 is not installed (optional: pip install 'dvc[s3]')"

    def s3_remote_add(self, r, repo, url, endpoint):
        r.run(self.dvc("remote", "add", "--local", "s3", url), repo)
        r.run(self.dvc("remote", "modify", "--local", "s3", "endpointurl", endpoint), repo)

    def s3_push(self, r, repo, step, rev):
        r.run(["git", "checkout", "-q", rev], repo)  # untimed: the .dvc files of rev (see push)
        r.run(self.dvc("push", "-q", "-r", "s3"), repo, step)

    def s3_pull(self, r, clone, step):
        r.run(self.dvc("pull", "-q", "-r", "s3"), clone, step)
