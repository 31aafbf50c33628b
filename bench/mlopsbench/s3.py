"""The S3 server of step 8: SeaweedFS on loopback started with scripts/s3-server (which picks free
ports and prints the endpoint), or, with --s3-endpoint, a server that is already running. Either way
the benchmark works in a bucket of its own, named for the run, and removes it at the end."""
import os
import shutil
import subprocess
import time

# scripts/s3-server's credentials, used for --s3-endpoint when the environment names none
DEFAULT_KEY, DEFAULT_SECRET = "gitmlops", "gitmlops-secret-key"


class S3Server:
    def __init__(self, work, src, endpoint=None):
        self.dir = os.path.join(work, "s3server")
        self.script = os.path.join(src, "scripts", "s3-server")
        self.given_endpoint = endpoint
        self.endpoint = endpoint
        self.bucket = "gitmlops-bench-%d" % int(time.time())
        self.env = {}          # credentials (and the endpoint) for the tools' commands
        self.error = None      # why there is no server, when start() failed
        self.started = False
        self.bucket_made = False
        self.how = ""

    def aws(self, *a):
        env = dict(os.environ)
        env.update(self.env)
        return subprocess.run(["aws", "--endpoint-url", self.endpoint] + list(a), env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)

    def start(self):
        """Starts (or finds) the server and makes the bucket; False with self.error set if it cannot."""
        if self.given_endpoint:
            self.env = {"AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", DEFAULT_KEY),
                        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", DEFAULT_SECRET)}
            self.how = "an already running server at %s (--s3-endpoint)" % self.endpoint
        else:
            if not os.path.exists(self.script):
                self.error = "no %s (use --src to point at a git-mlops checkout)" % self.script
                return False
            r = subprocess.run([self.script, "start", self.dir], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
            if r.returncode != 0:
                self.error = "scripts/s3-server start failed: %s" % r.stderr.strip()
                return False
            self.started = True
            for line in r.stdout.splitlines():
                if line.startswith("export ") and "=" in line:
                    k, v = line[len("export "):].split("=", 1)
                    self.env[k] = v
            self.endpoint = self.env.get("GIT_MLOPS_TEST_S3_ENDPOINT")
            if not self.endpoint:
                self.error = "scripts/s3-server start printed no GIT_MLOPS_TEST_S3_ENDPOINT: %r" % r.stdout
                return False
            self.how = "SeaweedFS started by scripts/s3-server at %s" % self.endpoint
        out = self.aws("s3", "mb", "s3://" + self.bucket)
        if out.returncode != 0:
            self.error = "aws s3 mb s3://%s failed: %s" % (self.bucket, out.stdout.strip())
            return False
        self.bucket_made = True
        return True

    def url(self, prefix):
        return "s3://%s/%s" % (self.bucket, prefix)

    def prefix_bytes(self, prefix):
        """(objects, bytes) under s3://bucket/prefix/, or (None, None) if the listing failed."""
        out = self.aws("s3", "ls", "--recursive", "--summarize", "s3://%s/%s/" % (self.bucket, prefix))
        objs = size = None
        for line in out.stdout.splitlines():
            line = line.strip()
            if line.startswith("Total Objects:"):
                objs = int(line.split(":")[1])
            elif line.startswith("Total Size:"):
                size = int(line.split(":")[1])
        return objs, size

    def stop(self):
        if self.bucket_made:
            self.aws("s3", "rb", "--force", "s3://" + self.bucket)
            self.bucket_made = False
        if self.started:
            subprocess.run([self.script, "stop", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            self.started = False
            shutil.rmtree(os.path.join(self.dir, "data"), ignore_errors=True)
