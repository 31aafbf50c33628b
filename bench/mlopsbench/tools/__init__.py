"""One adapter per tool: the commands each step runs for it (see base.py)."""
from .dvc import Dvc, find_dvc
from .gitlfs import GitLfs
from .gitmlops import GitMlops

TOOLS = {t.name: t for t in (GitMlops, Dvc, GitLfs)}  # in report order
ALL_TOOLS = list(TOOLS)

__all__ = ["TOOLS", "ALL_TOOLS", "find_dvc"]
