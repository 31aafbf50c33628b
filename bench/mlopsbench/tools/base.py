"""What a tool adapter answers. The steps (steps.py) run the git commands every tool shares (commit,
push of the commits, clone, checkout of a revision) and time them; an adapter adds the tool's own
commands to each step. A new tool is one subclass in a file of its own, registered in tools/__init__.py.

Every method that takes `step` runs its commands with `r.run(argv, cwd, step)` so that they are timed
as part of that step; commands run without a step are set-up, not timed."""


class Tool:
    name = ""           # as in --tools
    title = ""          # as in prose
    store_rel = ""       # the tool's store, relative to the repository (its size is reported)
    supports_s3 = False  # whether step 8 (S3) applies

    def __init__(self, ctx):
        self.ctx = ctx

    @staticmethod
    def missing(ctx):
        """What this tool needs and the machine lacks, as short phrases (empty when all is there)."""
        return []

    def version(self, r):
        raise NotImplementedError

    def setup(self, r, repo, remote):
        """Untimed: make `repo` (a fresh git repository) use the tool, with `remote` (an empty
        directory) as its data remote if it has one."""

    def add(self, r, repo, step, version):
        """Store the data paths (data.DATA_PATHS); the steps then run `git add -A` and `git commit`."""
        raise NotImplementedError

    def status(self, r, repo, step):
        """The tool's status of the workspace; returns its output."""
        raise NotImplementedError

    def status_clean(self, out):
        """Whether `status` output says that the workspace matches the checked-out version."""
        return not out.strip()

    def push(self, r, repo, step, rev):
        """Send the data of `rev` (v1, or HEAD for v2) to the data remote; git push follows."""

    def remote_dir(self, origin, remote):
        """Where the pushed data is (its size is reported)."""
        return remote

    def clone_env(self):
        """Extra environment for `git clone` in step 5."""
        return None

    def clone_pull(self, r, clone, step):
        """Fetch the data of the freshly cloned `clone` into its workspace."""

    def checkout(self, r, repo, step):
        """Make the workspace match the revision `git checkout` just switched to."""

    def checkout_empty(self, r, repo, step):
        """Write the data of the checked-out revision into a workspace whose data paths are gone."""
        self.checkout(r, repo, step)

    # S3 (step 8), when supports_s3
    def s3_missing(self):
        """Why step 8 cannot run for this tool here, or None."""
        return None

    def s3_remote_add(self, r, repo, url, endpoint):
        """Untimed: add the S3 remote `s3` at url (s3://bucket/prefix) on `endpoint`, local to `repo`."""
        raise NotImplementedError

    def s3_push(self, r, repo, step, rev):
        """Push the data of `rev` (v1, then v2) to the S3 remote; returns the tool's report or None."""
        raise NotImplementedError

    def s3_pull(self, r, clone, step):
        """Pull v2 from the S3 remote into the fresh clone; returns the tool's report or None."""
        raise NotImplementedError

