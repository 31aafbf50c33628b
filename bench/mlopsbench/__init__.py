"""The benchmark of git-mlops against DVC and git-lfs (bench/run.py is the entry point).

    data.py      the data: v1 (gen), v2 (mutate), manifests; cached per scale (prepare)
    tools/       one adapter per tool: the commands it runs in each step
    steps.py     the steps of a tool's run, in order, and what each checks
    s3.py        the S3 server of step 8
    measure.py   running and timing commands: wall, CPU, peak RSS; medians over runs
    disk.py      sizes, and getting finished runs out of the way (ext4 without a journal)
    sandbox.py   each run's own HOME and environment
    report.py    the markdown report and the targets
    cli.py       the command line: checks what is missing, runs the tools, writes the results
"""
import sys


def log(msg):
    print(msg, file=sys.stderr, flush=True)
