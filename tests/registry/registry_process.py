"""`cairn registry serve` as a child process for the registry's Python tests: start it on a free
loopback port, talk to it with Python's own HTTP client (not Cairn's), stop or kill it."""

import hashlib
import http.client
import os
import signal
import subprocess
import sys
import time


def fail(message):
    """Ends the test (from the main thread: the tests' `finally` stops the server)."""
    print("FAIL: " + message, file=sys.stderr)
    sys.exit(1)


def digest_of(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Registry:
    """One registry root served by one process at a time (start again after stop or kill)."""

    def __init__(self, cairn, work, *options):
        self.cairn = cairn
        self.work = work
        self.root = os.path.join(work, "root")
        self.options = list(options)
        self.process = None
        self.address = None
        os.makedirs(self.root, exist_ok=True)
        self.log_key = os.path.join(work, "log.key")
        subprocess.run([cairn, "key", "generate", "--ed25519", self.log_key], check=True, capture_output=True)

    def start(self):
        log = os.path.join(self.work, "serve.out")
        with open(log, "w") as out:
            self.process = subprocess.Popen(
                [self.cairn, "registry", "serve", "--root", self.root, "--listen", "127.0.0.1:0", "--origin",
                 "test.example/log", "--log-key", self.log_key, *self.options], stdout=out, stderr=subprocess.STDOUT)
        for _ in range(100):
            text = open(log).read()
            if "listening on http://" in text:
                self.address = text.split("listening on http://")[1].split()[0]
                return
            time.sleep(0.05)
        fail("the server did not start: " + open(log).read())

    def stop(self, sig=signal.SIGTERM):
        """Sends `sig` and returns the exit status."""
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)

    def close(self):
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def request(self, method, path, body=None, headers=None, token=None):
        """(status, headers with lower-case names, body bytes)."""
        connection = http.client.HTTPConnection(self.address, timeout=60)
        headers = dict(headers or {})
        if token:
            headers["Authorization"] = "Bearer " + token
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        data = response.read()
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data

    def add_token(self, scope, prefix):
        out = subprocess.run([self.cairn, "registry", "token", "add", "--root", self.root, "--" + scope, prefix],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()
