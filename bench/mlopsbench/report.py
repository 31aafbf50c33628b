"""The report: markdown tables of time, storage and memory, CPU seconds, peak RSS and CPU utilisation
per step, the targets of issues 2 and 3, S3, correctness, errors; and the machine it ran on."""
import datetime
import os
import platform

from .disk import INODE_REUSE_WINDOW
from .measure import RSS_SOURCE, sh
from .steps import S3_STEPS, STEPS
from .tools import TOOLS

MiB = 1 << 20
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def fmt_s(x):
    if x is None:
        return "-"
    return "%.2f" % x if x >= 0.1 else "%.3f" % x


def ratio(a, b):
    if a is None or b is None or b <= 0:
        return None
    return a / b


def fmt_ratio(x):
    return "-" if x is None else "%.1fx" % x


def step_ok(results, tool, key):
    t = results.get(tool)
    return bool(t) and key in t["steps"] and t["steps"][key].get("ok", True)


def step_wall(results, tool, key):
    """The step's seconds, or None when it did not run or one of its commands failed."""
    t = results.get(tool)
    if not t or key not in t["steps"] or not t["steps"][key].get("ok", True):
        return None
    if key not in ("push", "status") and not t["steps"][key]["commands"]:
        return None
    return t["steps"][key]["wall"]


def targets(results, info):
    gm = results.get("git-mlops")
    v1b = info["v1"]["bytes"]
    rows = []

    def ratio_target(label, key, factor):
        g, d = step_wall(results, "git-mlops", key), step_wall(results, "dvc", key)
        x = ratio(d, g)
        verdict = "n/a" if x is None else ("PASS" if x >= factor else "FAIL")
        rows.append((label, ">= %gx" % factor, fmt_ratio(x) + (" (%s s vs %s s)" % (fmt_s(d), fmt_s(g)) if x else ""),
                     verdict))

    ratio_target("add v1 faster than `dvc add`", "add_v1", 3)
    if gm and "after_v2" in gm["store"]:
        g = (gm["store"]["after_v2"] - gm["store"]["after_v1"]) / v1b
        rows.append(("store growth for v2, % of v1", "<= 5%", "%.2f%%" % (100 * g), "PASS" if g <= 0.05 else "FAIL"))
    else:
        rows.append(("store growth for v2, % of v1", "<= 5%", "-", "n/a"))
    st = step_wall(results, "git-mlops", "status")
    rows.append(("status, nothing changed", "<= 0.3 s", fmt_s(st) + " s" if st is not None else "-",
                 "n/a" if st is None else ("PASS" if st <= 0.3 else "FAIL")))
    ratio_target("checkout into an empty workspace faster than `dvc checkout`", "empty_checkout", 3)
    if gm and gm["steps"]:
        mib = gm["peak_rss_kib"] / 1024
        rows.append(("peak memory (any git-mlops command)", "< 256 MiB", "%.0f MiB" % mib,
                     "PASS" if mib < 256 else "FAIL"))
        for key, label in (("add_v1", "add v1"), ("empty_checkout", "checkout into an empty workspace")):
            s = gm["steps"].get(key)
            if s and s["wall"] > 0:
                u = s["cpu"] / s["wall"]
                rows.append(("both cores used: %s (CPU s / wall s)" % label, ">= 1.5", "%.2f" % u,
                             "PASS" if u >= 1.5 else "FAIL"))
    ratio_target("push v1 faster than `dvc push`", "push_v1", 3)
    ratio_target("fresh clone + pull faster than DVC's", "clone_pull", 2)
    return rows


def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def header(ctx, results, tools, meta):
    info = ctx.data_info
    lines = ["# git-mlops benchmark, scale %g (%s)" % (ctx.scale, meta["date"]), ""]
    lines.append("- machine: %s, %s cores, %s GiB RAM, %s, work dir on %s" % (
        meta["cpu"], meta["cores"], meta["mem_gib"], meta["kernel"], meta["fs"]))
    lines.append("- load average (1 min) at start: %s; when each tool's run started: %s" % (meta["loadavg"], ", ".join(
        "%s %s" % (t, results[t].get("loadavg_start")) for t in tools)))
    if ctx.repeat > 1:
        lines.append("- %d runs per tool, interleaved; each figure is the median over the runs (peak RSS: the max)"
                     % ctx.repeat)
    lines.append("- data: v1 %.1f MiB in %d files, v2 %.1f MiB in %d files (bench/mlopsbench/data.py, scale %g)" % (
        info["v1"]["bytes"] / MiB, info["v1"]["files"], info["v2"]["bytes"] / MiB, info["v2"]["files"], ctx.scale))
    for t in tools:
        lines.append("- %s: %s" % (t, results[t].get("version", "?")))
    lines.append("- git-mlops source: %s; peak RSS from %s" % (meta.get("git_mlops_commit", "?"), meta["rss_source"]))
    lines.append("- caveats: " + ("the page cache is dropped before each tool's run, so every tool starts with "
                 "the same free memory. " if getattr(ctx, "dropped_caches", False) else
                 "the page cache could not be dropped (root only), so a later tool may find memory fuller. ") +
                 "Every tool gets a fresh copy of v1 (cp -a, "
                 "then sync) right before its run, and `sync` runs before every timed step, so each tool starts "
                 "with its input hot in the page cache and no pending writeback. Times are wall clock, from one run (or the median of --repeat runs); "
                 "a step's time is the sum of its commands (including `git add`/`git commit`/`git push`/`git "
                 "clone` where the step needs them). At small scales fixed start-up costs dominate; the targets "
                 "are meant for scale 1." + (" The work dir is on ext4 without a journal: nothing is deleted while the "
                 "tools run (what a run leaves goes to a trash deleted at the end), and a tool starts at least %d s "
                 "after any deletion, so that no tool pays for the inodes another freed (see INODE_REUSE_WINDOW "
                 "in bench/mlopsbench/disk.py)." % INODE_REUSE_WINDOW if ctx.disk.nojournal else ""))
    return lines + [""]


def time_section(results, tools):
    head = ["step"] + ["%s (s)" % t for t in tools]
    peers = [t for t in tools if t != "git-mlops"] if "git-mlops" in tools else []
    head += ["%s / git-mlops" % t for t in peers]
    rows = []
    for key, label in STEPS:
        row = [label] + [("FAILED" if key in results[t]["steps"] and not step_ok(results, t, key)
                          else fmt_s(step_wall(results, t, key))) for t in tools]
        g = step_wall(results, "git-mlops", key)
        row += [fmt_ratio(ratio(step_wall(results, t, key), g)) for t in peers]
        rows.append(row)
    return ["## Time", "", md_table(head, rows), ""]


def storage_section(results, tools, info):
    v1b = info["v1"]["bytes"]
    rows = []
    for t in tools:
        r = results[t]
        st = r["store"]
        a1, a2 = st.get("after_v1"), st.get("after_v2")
        rows.append([t,
                     "%.1f MiB (%.0f%%)" % (a1 / MiB, 100 * a1 / v1b) if a1 is not None else "-",
                     "%.2f MiB (%.2f%%)" % ((a2 - a1) / MiB, 100 * (a2 - a1) / v1b) if a2 is not None else "-",
                     "%.1f MiB" % (st["remote_after_v2"] / MiB) if "remote_after_v2" in st else "-",
                     "%.0f MiB" % (r["peak_rss_kib"] / 1024) if r["steps"] else "-"])
    stores = ", ".join("`%s` (%s)" % (c.store_rel, c.title) for c in TOOLS.values())
    return ["## Storage and memory", "",
            "Store: %s; apparent sizes (sum of file sizes). Percentages are of v1's data size." % stores, "",
            md_table(["tool", "store after v1", "store growth for v2", "remote after v1+v2", "peak RSS"], rows), ""]


def cpu_section(results, tools):
    rows = []
    for key, label in STEPS:
        rows.append([label] + ["%s (%s)" % (fmt_s(results[t]["steps"][key]["cpu"]), fmt_s(results[t]["steps"][key]["user"]))
                               if key in results[t]["steps"] else "-" for t in tools])
    return ["## CPU seconds: user + sys (user)", "",
            "Less sensitive than wall time to other load on the machine; a step's CPU seconds include its git "
            "commands and every child process. System time is mostly the kernel writing and creating files.",
            "", md_table(["step"] + ["%s (CPU s)" % t for t in tools], rows), ""]


def rss_section(results, tools):
    rows = []
    for key, label in STEPS:
        if key == "push":
            continue
        row = [label]
        for t in tools:
            s = results[t]["steps"].get(key)
            if s and s.get("commands"):
                row.append("%.0f MiB / %.2f" % (s["rss_kib"] / 1024, s["cpu"] / s["wall"] if s["wall"] else 0))
            else:
                row.append("-")
        rows.append(row)
    return ["## Peak RSS and CPU utilisation per step", "",
            "Peak RSS of the largest process of the step; CPU utilisation = (user + sys CPU seconds) / wall "
            "seconds, i.e. how many cores were busy on average (2 = both).", "",
            md_table(["step"] + ["%s (RSS / cores)" % t for t in tools], rows), ""]


def s3_section(ctx, results, tools):
    rows = []
    for t in tools:
        s3 = results[t].get("s3")
        if not s3:
            continue
        if "skipped" in s3:
            rows.append([t, "skipped: " + s3["skipped"], "", "", "", "", ""])
            continue
        st = results[t]["steps"]

        def cell(k, rate):
            if k not in st:
                return "-"
            if not st[k].get("ok", True):
                return "FAILED"
            return "%s s (%s MB/s)" % (fmt_s(st[k]["wall"]), s3.get(k + "_MBps", "-")) if rate \
                else "%s s" % fmt_s(st[k]["wall"])
        rows.append([t, cell("s3_push_v1", True), cell("s3_push_v2", False), cell("s3_pull_v2", True),
                     "%s objects, %.1f MiB" % (s3.get("objects"), (s3.get("bytes") or 0) / MiB)
                     if s3.get("objects") is not None else "-",
                     results[t]["verify"].get("s3_pull_v2", "-"),
                     "%.0f MiB" % (max((st[k]["rss_kib"] for k in S3_STEPS if k in st), default=0) / 1024)])
    if rows:
        return ["## S3 (SeaweedFS on loopback)", "",
                "Server: %s, bucket %s. MB/s = the data's logical size (v1 for push, v2 for pull) / wall "
                "seconds. Pull is a fresh clone's `pull` (the clone itself is not timed)." % (
                    ctx.s3.how, ctx.s3.bucket), "",
                md_table(["tool", "push v1", "push v2 (incremental)", "pull v2 (fresh clone)",
                          "bucket after v1+v2", "verified", "peak RSS"], rows), ""]
    if ctx.s3 is not None and ctx.s3.error:
        return ["## S3", "", "not run: " + ctx.s3.error, ""]
    return []


def correctness_section(results, tools):
    rows = []
    for t in tools:
        r = results[t]
        bad = ["%s: %s" % (k, v) for k, v in r["verify"].items() if v != "ok"]
        checks = "; ".join(bad) if bad else ("%d of %d ok (%s)" % (len(r["verify"]), len(r["verify"]),
                                                                  ", ".join(r["verify"])) if r["verify"] else "-")
        rows.append([t, "yes" if r["ok"] else "**NO**", checks])
    return ["## Correctness", "", "Each checkout and pull is compared with the expected version's manifest (md5 "
            "of every file); after each commit `git status` must be clean, and after each checkout and pull the "
            "tool's own status (not timed).", "", md_table(["tool", "all steps ok", "checks"], rows), ""]


def errors_section(results, tools):
    errs = [(t, e) for t in tools for e in results[t]["errors"]]
    notes = [(t, n) for t in tools for n in results[t]["notes"]]
    if not errs and not notes:
        return []
    lines = ["## Errors and notes", ""]
    for t, e in errs:
        el = e.splitlines()
        last = [x for x in el[1:] if x.strip() and not x.startswith(("#", "$"))]
        lines.append("- **%s**: %s%s" % (t, el[0].rstrip(":"), (" -- last output: `%s`" % last[-1].strip()[:300])
                                         if last else ""))
    lines += ["- %s: %s" % (t, n) for t, n in notes]
    return lines + [""]


def report(ctx, results, meta):
    """The whole report, as markdown."""
    tools = [t for t in ctx.tools if t in results]
    lines = header(ctx, results, tools, meta)
    lines += time_section(results, tools)
    lines += storage_section(results, tools, ctx.data_info)
    lines += cpu_section(results, tools)
    lines += rss_section(results, tools)
    if "git-mlops" in tools:
        lines += ["## Targets (issues 2 and 3)", "",
                  md_table(["target", "wanted", "measured", "verdict"], targets(results, ctx.data_info)), ""]
    lines += s3_section(ctx, results, tools)
    lines += correctness_section(results, tools)
    lines += errors_section(results, tools)
    lines.append("Logs of every command: `%s/logs/`." % os.path.relpath(ctx.work, REPO_ROOT))
    return "\n".join(lines) + "\n"


def machine_meta(ctx):
    """What the report's header says about the machine and the run."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / (1 << 30)
    fs = sh(["stat", "-f", "-c", "%T", ctx.work], check=False).strip()
    commit = sh(["git", "-C", ctx.src, "describe", "--always", "--dirty"], check=False).strip()
    return {"date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"), "cpu": cpu, "cores": os.cpu_count(),
            "mem_gib": round(mem, 1), "kernel": platform.platform(), "fs": fs or "?",
            "loadavg": " ".join("%.2f" % x for x in os.getloadavg()), "git_mlops_commit": commit,
            "python": platform.python_version(), "rss_source": RSS_SOURCE}

