"""The work directory's disk: sizes of trees, getting a finished run out of the way without slowing the
next tool down, and the page cache.

ext4 without a journal (this machine's root file system) will not reuse an inode freed in the last 60 s,
or 360 s while its inode table block is dirty (which any new file in the same block group makes it),
and skips such inodes one by one, under the directory's lock, when it allocates: creating thousands of
files within minutes of deleting thousands costs up to ten times the kernel time (seen here: 20,000
small files checked out with 0.7 s of system time, and with 5.5 s four minutes after the previous
tool's repositories were deleted). So on such a file system nothing is deleted while tools run: what a
run leaves is moved to WORK/trash and deleted at the end, or, when the disk runs short, deleted and
then waited out (Disk.make_room, Disk.settle) before the next tool starts.
"""
import os
import shutil
import time

GiB = 1 << 30
INODE_REUSE_WINDOW = 365


def tree_bytes(path):
    """Apparent size (sum of st_size of regular files) under path, like du --apparent-size -b."""
    if os.path.isfile(path):
        return os.path.getsize(path)
    total = 0
    for dp, _, fs in os.walk(path):
        for f in fs:
            p = os.path.join(dp, f)
            if not os.path.islink(p):
                try:
                    total += os.path.getsize(p)
                except OSError:
                    pass
    return total


def nojournal_ext4(path):
    """True when `path` is on ext4 mounted without a journal (where INODE_REUSE_WINDOW applies)."""
    best, fstype, dev = "", None, None
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                left, right = line.split(" - ", 1)
                mnt = left.split()[4]
                if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) >= len(best):
                    best, (fstype, dev) = mnt, right.split()[:2]
        if fstype != "ext4":
            return False
        with open("/sys/fs/ext4/%s/journal_task" % os.path.basename(dev)) as f:
            return f.read().strip() == "<none>"
    except (OSError, ValueError, TypeError):
        return False


def drop_caches():
    """Empties the page cache (root only), so that each tool starts with the same free memory: on a
    VM whose page cache has filled all of RAM, every page written costs a reclaim first (seen here:
    the same checkout at 1.1 s of system time with free memory and 4 s without)."""
    os.sync()
    try:
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("1\n")
        return True
    except OSError:
        return False


class Disk:
    """Deletes, or moves to the trash, what the benchmark is done with (see the module's comment)."""

    def __init__(self, work):
        self.work = work
        self.nojournal = nojournal_ext4(os.path.realpath(work))
        self.trash = os.path.join(work, "trash")
        self.last_removal = None

    def remove(self, path):
        if os.path.lexists(path):
            shutil.rmtree(path, ignore_errors=True)
            os.sync()
            self.last_removal = time.monotonic()

    def discard(self, path):
        """Gets `path` out of the way: moved to the trash where deleting would slow the next tool
        down, deleted elsewhere."""
        if not os.path.lexists(path):
            return
        if not self.nojournal:
            self.remove(path)
            return
        os.makedirs(self.trash, exist_ok=True)
        os.rename(path, os.path.join(self.trash, "%d-%s" % (len(os.listdir(self.trash)), os.path.basename(path))))

    def empty_trash(self):
        self.remove(self.trash)

    def make_room(self, scale, log):
        """Empties the trash only when the disk might not hold another run at this scale."""
        if os.path.exists(self.trash) and shutil.disk_usage(self.work).free < (20 * scale + 2) * GiB:
            log("  (emptying %s: the disk is short)" % self.trash)
            self.empty_trash()

    def settle(self, log):
        """Waits until the inodes of the last deletion may be reused."""
        if self.last_removal is None or not self.nojournal:
            return
        wait = INODE_REUSE_WINDOW - (time.monotonic() - self.last_removal)
        if wait > 0:
            log("  (waiting %.0f s for the inodes just freed to become reusable: ext4 without a journal)" % wait)
            time.sleep(wait)
