"""git-mlops: `git mlops add/status/push/pull/checkout`, a local directory and S3 as data remotes."""
import json
import os

from ..data import DATA_PATHS
from .base import Tool


class GitMlops(Tool):
    name = "git-mlops"
    title = "git-mlops"
    store_rel = ".git/mlops"
    supports_s3 = True

    @staticmethod
    def missing(ctx):
        if os.access(ctx.git_mlops, os.X_OK):
            return []
        return ["git-mlops binary %s (build it: swift build -c release --product git-mlops, "
                "or pass --git-mlops PATH)" % ctx.git_mlops]

    def version(self, r):
        return r.run(["git", "mlops", "--version"], self.ctx.work, capture=True, check=False).strip()

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

    def s3_remote_add(self, r, repo, url, endpoint):
        r.run(["git", "mlops", "remote", "add", "s3", url, "--endpoint", endpoint, "--local"], repo)

    def s3_push(self, r, repo, step, rev):
        out = r.run(["git", "mlops", "push", "s3", "--rev", rev, "--no-notes", "--json"], repo, step, capture=True)
        return json.loads(out)

    def s3_pull(self, r, clone, step):
        return json.loads(r.run(["git", "mlops", "pull", "s3", "--json"], clone, step, capture=True))
