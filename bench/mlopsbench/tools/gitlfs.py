"""git-lfs: the clean filter stores the objects during `git add`, the pre-push hook sends them to
`origin.git/lfs/objects` (git-lfs's standalone file transfer) during `git push`, and the smudge filter
writes the data during `git checkout`; so most steps add no command of their own."""
import os
import subprocess

from ..data import DATA_PATHS
from .base import Tool


class GitLfs(Tool):
    name = "git-lfs"
    title = "git-lfs"
    store_rel = ".git/lfs/objects"

    @staticmethod
    def missing(ctx):
        ok = subprocess.run(["git", "lfs", "version"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL).returncode == 0
        return [] if ok else ["git-lfs"]

    def version(self, r):
        return r.run(["git", "lfs", "version"], self.ctx.work, capture=True, check=False).strip()

    def setup(self, r, repo, remote):
        r.run(["git", "lfs", "install"], repo)  # global filters in this tool's HOME + this repo's hooks

    def add(self, r, repo, step, version):
        if version == "v1":
            r.run(["git", "lfs", "track", "weights.bin", "table.csv", "files/**"], repo, step)

    def status(self, r, repo, step):
        return r.run(["git", "status", "--porcelain"], repo, step, capture=True)

    def remote_dir(self, origin, remote):
        return os.path.join(origin, "lfs")

    def clone_env(self):
        return {"GIT_LFS_SKIP_SMUDGE": "1"}

    def clone_pull(self, r, clone, step):
        r.run(["git", "lfs", "pull"], clone, step)

    def checkout_empty(self, r, repo, step):
        r.run(["git", "checkout", "--"] + DATA_PATHS, repo, step)
