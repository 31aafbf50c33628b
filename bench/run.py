#!/usr/bin/env python3
"""Benchmark git-mlops against DVC and git-lfs: `bench/run.py --help`, and bench/README.md.
The benchmark itself is the package bench/mlopsbench/ (its __init__.py maps the parts)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from mlopsbench.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
