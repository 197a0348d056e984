"""Integration-test harness: a real chaosd on free loopback ports.

Each Server copies scripts/ and content/ into a temporary directory (so a test
can edit content and reload), starts build/bin/chaosd with its own var dir and
ports, and waits until all three listeners answer. Client speaks the framed
JSON protocol; Admin speaks the console's line protocol.
"""
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest

SRC = os.environ.get("CHAOS_SRC", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
BIN = os.environ.get("CHAOS_BIN", os.path.join(SRC, "build", "bin"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def free_ports(n):
    """n distinct free ports: every socket stays bound until all are picked, so the kernel
    cannot hand the same port out twice (three free_port() calls in a row can)."""
    socks = []
    try:
        for _ in range(n):
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            socks.append(s)
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


class Server:
    def __init__(self, extra=None, content=None, env=None):
        self.dir = tempfile.mkdtemp(prefix="chaos-it-")
        self.scripts = os.path.join(self.dir, "scripts")
        self.content = os.path.join(self.dir, "content")
        shutil.copytree(os.path.join(SRC, "scripts"), self.scripts)
        if content is None:
            shutil.copytree(os.path.join(SRC, "content"), self.content)
        else:
            os.makedirs(self.content)
            for name, text in content.items():
                self.write_content(name, text)
        self.var = os.path.join(self.dir, "var")
        self.port, self.admin_port, self.http_port = free_ports(3)
        self.token = "test-token-0123456789abcdef"
        self.log_path = os.path.join(self.dir, "chaosd.log")
        self.args = [
            os.path.join(BIN, "chaosd"),
            "--port", str(self.port), "--admin-port", str(self.admin_port),
            "--http-port", str(self.http_port), "--scripts", self.scripts,
            "--content", self.content, "--var", self.var,
            "--set", "admin.token=" + self.token, "--log-level", "debug",
            # A fresh var dir has an empty database: apply the migrations.
            "--migrate",
        ] + (extra or [])
        self.env = dict(os.environ)
        self.env.update(env or {})
        self.proc = None
        self.clients = []

    def write_content(self, name, text):
        path = os.path.join(self.content, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        # Write then rename so the watcher never sees half a file.
        tmp = path + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, path)
        return path

    def start(self, wait=True):
        self.logf = open(self.log_path, "ab")
        # The working directory holds migrations/ (relative to it, as in production).
        self.proc = subprocess.Popen(self.args, stdout=self.logf, stderr=self.logf, env=self.env,
                                     cwd=SRC)
        if wait:
            deadline = time.time() + 20
            while time.time() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError("chaosd exited with %s:\n%s" % (self.proc.returncode, self.log()))
                try:
                    for p in (self.port, self.admin_port, self.http_port):
                        socket.create_connection(("127.0.0.1", p), timeout=1).close()
                    return self
                except OSError:
                    time.sleep(0.05)
            raise RuntimeError("chaosd did not start:\n" + self.log())
        return self

    def log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_records(self):
        out = []
        for line in self.log().splitlines():
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        rc = self.proc.returncode if self.proc else None
        if self.proc:
            self.logf.close()
        return rc

    def cleanup(self):
        for c in self.clients:
            c.close()
        self.clients = []
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    def client(self, **kw):
        c = Client(self.port, **kw)
        self.clients.append(c)
        return c

    def wait_connections(self, n, timeout=10):
        """Waits until the server counts n open game connections."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            status, body = self.http_get("/healthz")
            if json.loads(body)["connections"] == n:
                return
            time.sleep(0.02)
        raise AssertionError("server never reached %d connections" % n)

    def admin(self, auth=True):
        a = Admin(self.admin_port)
        if auth:
            reply = a.cmd("auth " + self.token)
            assert reply.get("ok") is True, reply
        return a

    def http_get(self, path):
        s = socket.create_connection(("127.0.0.1", self.http_port), timeout=5)
        s.sendall(("GET %s HTTP/1.0\r\nHost: x\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head, _, body = data.partition(b"\r\n\r\n")
        status = int(head.split(b" ")[1])
        return status, body.decode()


def frame(payload):
    if isinstance(payload, dict):
        payload = json.dumps(payload)
    if isinstance(payload, str):
        payload = payload.encode()
    return struct.pack(">I", len(payload)) + payload


class Client:
    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.next_id = 1
        self.events = []

    def send_raw(self, data):
        self.sock.sendall(data)

    def send(self, obj):
        self.sock.sendall(frame(obj))

    def recv(self):
        """Next frame as a dict, or None when the server closed the connection."""
        while True:
            if len(self.buf) >= 4:
                (n,) = struct.unpack(">I", self.buf[:4])
                if len(self.buf) >= 4 + n:
                    payload = self.buf[4:4 + n]
                    self.buf = self.buf[4 + n:]
                    return json.loads(payload)
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk

    def request(self, op, **fields):
        rid = self.next_id
        self.next_id += 1
        msg = {"op": op, "id": rid}
        msg.update(fields)
        self.send(msg)
        return self.reply(rid)

    def reply(self, rid):
        while True:
            m = self.recv()
            if m is None:
                raise ConnectionError("closed while waiting for reply %r" % (rid,))
            if "ev" in m:
                self.events.append(m)
                continue
            if m.get("id") == rid:
                return m
            raise AssertionError("unexpected frame %r while waiting for %r" % (m, rid))

    def event(self, ev, timeout=10):
        """The next event named ev (waiting up to timeout seconds); other events are kept in
        self.events. None if the server closes the connection first."""
        for i, e in enumerate(self.events):
            if e.get("ev") == ev:
                return self.events.pop(i)
        deadline = time.time() + timeout
        self.sock.settimeout(timeout)
        try:
            while time.time() < deadline:
                m = self.recv()
                if m is None:
                    return None
                assert "ev" in m, "unexpected frame %r" % (m,)
                if m.get("ev") == ev:
                    return m
                self.events.append(m)
        finally:
            self.sock.settimeout(10)
        raise AssertionError("no %s event within %ss" % (ev, timeout))

    def closed(self, timeout=5):
        """True when the server closes the connection within timeout."""
        self.sock.settimeout(timeout)
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
                self.buf += chunk
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.sock.close()

    def __del__(self):
        try:
            self.sock.close()
        except Exception:
            pass


class Admin:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.f = self.sock.makefile("rb")

    def __del__(self):
        try:
            self.f.close()
            self.sock.close()
        except Exception:
            pass

    def cmd(self, line):
        self.sock.sendall((line + "\n").encode())
        reply = self.f.readline()
        if not reply:
            return None
        return json.loads(reply)

    def close(self):
        self.sock.close()


def stop_checked(test, server, clean_exit=True):
    """Closes server's clients, stops it (SIGTERM), removes its files and fails test on a
    sanitizer report in its log or, with clean_exit, on an exit code other than 0. A crash on
    the way out is a failure of the test. Use clean_exit=False for a server killed on purpose."""
    for c in server.clients:
        c.close()
    rc = server.stop()
    log = server.log()
    server.cleanup()
    test.assertNotIn("ERROR: AddressSanitizer", log)
    test.assertNotIn("ERROR: LeakSanitizer", log)
    test.assertNotIn("runtime error:", log)
    if clean_exit:
        test.assertEqual(rc, 0, "chaosd exit code %r; log:\n%s" % (rc, log[-4000:]))


class ServerTest(unittest.TestCase):
    """A test case with one fresh server per test (override server_args)."""

    server_args = None
    server_content = None

    def setUp(self):
        self.server = Server(extra=self.server_args, content=self.server_content).start()

    def tearDown(self):
        stop_checked(self, self.server)


class PrivateRedis:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="chaos-redis-")
        self.port = free_port()
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        def up():
            try:
                out = subprocess.run(["redis-cli", "-p", str(self.port), "ping"],
                                     capture_output=True, text=True, timeout=5).stdout
                return "PONG" in out
            except subprocess.TimeoutExpired:
                return False
        wait_for(up, timeout=20, what="redis-server")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)

    @property
    def url(self):
        return "redis://127.0.0.1:%d" % self.port


class TwoServersWithRedis(unittest.TestCase):
    """Two real chaosd processes (shard-a, shard-b) sharing a private redis-server."""

    def setUp(self):
        if not shutil.which("redis-server"):
            self.skipTest("redis-server is not installed")
        self.redis = PrivateRedis()
        self.redis.start()
        self.a = Server(extra=FAST_AUTH + ["--name", "shard-a", "--redis", self.redis.url]).start()
        self.b = Server(extra=FAST_AUTH + ["--name", "shard-b", "--redis", self.redis.url]).start()
        for s in (self.a, self.b):
            wait_for(lambda s=s: s.admin().cmd("status")["redis"]["available"], what="redis up")

    def tearDown(self):
        for s in (self.a, self.b):
            stop_checked(self, s)
        self.redis.cleanup()


def main():
    unittest.main(verbosity=2)


# ---- accounts and characters (additive helpers) ---------------------------------

# Cheap Argon2id and roomy login limits for tests that are not about them.
FAST_AUTH = ["--set", "auth.opslimit=1", "--set", "auth.memlimit_kib=64",
             "--set", "auth.login_rate_addr=1000", "--set", "auth.login_rate_account=1000"]


def wait_for(pred, timeout=30, interval=0.05, what="condition"):
    """Polls pred() until it returns a truthy value; returns it, or fails after timeout."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError("timed out waiting for " + what)


def play(client, name, password="correct horse 1", race="human", job="warrior", register=True):
    """Registers (optionally), logs in, creates a character named name and enters the world.
    Returns the enter_world answer's character."""
    if register:
        r = client.request("register", name=name, password=password)
        assert r.get("ok"), r
    r = client.request("login", name=name, password=password)
    assert r.get("ok"), r
    r = client.request("create_character", name=name, race=race, job=job)
    assert r.get("ok"), r
    r = client.request("enter_world", character=r["character"]["id"])
    assert r.get("ok"), r
    return r["character"]


def reenter(client, name, password="correct horse 1"):
    """Logs in and enters the world with the account's first character."""
    r = client.request("login", name=name, password=password)
    assert r.get("ok"), r
    chars = client.request("characters")["characters"]
    r = client.request("enter_world", character=chars[0]["id"])
    assert r.get("ok"), r
    return r["character"]


def cluster_ctl(*args):
    """Runs `chaosctl cluster ARGS...` (the store comes in ARGS) and returns the JSON line it
    printed last; a non-zero exit fails the calling test."""
    p = subprocess.run([os.path.join(BIN, "chaosctl"), "cluster"] + list(args), cwd=SRC,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, (args, p.stdout, p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def audit(store):
    """Runs `chaosctl audit --store STORE` (from the source tree, which holds migrations/).
    Returns (exit code, the JSON line it printed or None)."""
    p = subprocess.run([os.path.join(BIN, "chaosctl"), "audit", "--store", store], cwd=SRC,
                       capture_output=True, text=True, timeout=120)
    out = p.stdout.strip().splitlines()
    return p.returncode, (json.loads(out[-1]) if out else None)
