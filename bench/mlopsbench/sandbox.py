"""Each tool's run is sealed from the user's set-up and from the other tools: its own HOME (with a
.gitconfig of its own), TMPDIR, XDG directories and DVC site cache, no system git config, no
analytics, no colour, and git-mlops first on PATH."""
import os

KEEP = ("PATH", "LANG", "LC_ALL", "TERM", "PYENV_ROOT", "PYENV_VERSION", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
GITCONFIG = ("[user]\n\tname = Bench\n\temail = bench@example.invalid\n"
             "[init]\n\tdefaultBranch = main\n[advice]\n\tdetachedHead = false\n"
             "[gc]\n\tauto = 0\n[maintenance]\n\tauto = false\n")


def make_env(work, tool_dir, git_mlops=None):
    """The environment for the commands of one run in tool_dir (created here)."""
    home = os.path.join(tool_dir, "home")
    tmp = os.path.join(tool_dir, "tmp")
    bindir = os.path.join(tool_dir, "bin")
    for d in (home, tmp, bindir):
        os.makedirs(d, exist_ok=True)
    if git_mlops:
        link = os.path.join(bindir, "git-mlops")
        if not os.path.lexists(link):
            os.symlink(git_mlops, link)
    env = {k: v for k, v in os.environ.items() if k in KEEP}
    env.update({
        "PATH": bindir + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": home,
        "TMPDIR": tmp,
        "XDG_CONFIG_HOME": os.path.join(home, ".config"),
        "XDG_CACHE_HOME": os.path.join(home, ".cache"),
        "XDG_DATA_HOME": os.path.join(home, ".local", "share"),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CEILING_DIRECTORIES": work,
        "GIT_TERMINAL_PROMPT": "0",
        "DVC_NO_ANALYTICS": "1",
        "DVC_SITE_CACHE_DIR": os.path.join(tool_dir, "dvc-site-cache"),
        "NO_COLOR": "1",
    })
    env.setdefault("LANG", "C.UTF-8")
    with open(os.path.join(home, ".gitconfig"), "w") as f:
        f.write(GITCONFIG)
    return env
