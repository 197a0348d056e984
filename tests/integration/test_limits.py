"""Descriptor limits: chaosd under a small open-file limit (prlimit).

With RLIMIT_NOFILE at 256 the game port must refuse with server_busy while
descriptors remain for HTTP and the admin console (net.fd_reserve, 64 by
default), and when descriptors do run out every listener must back off
instead of spinning, log one warning per episode (JSON, like every line) and
recover once descriptors are free again.
"""
import json
import os
import shutil
import socket
import time
import unittest

from harness import Admin, Client, Server, ServerTest, main, wait_for

NOFILE = 256
RESERVE = 64


def cpu_seconds(pid):
    """User + system CPU time of pid, from /proc/PID/stat."""
    with open("/proc/%d/stat" % pid) as f:
        data = f.read()
    fields = data[data.rindex(")") + 2:].split()  # fields[0] is field 3 (state)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def game_reply(c, rid):
    """Sends a ping; returns "ok", an error code, or "closed"."""
    c.send({"op": "ping", "id": rid})
    while True:
        m = c.recv()
        if m is None:
            return "closed"
        if "ev" in m:
            continue
        if m.get("ok"):
            return "ok"
        return m["error"]["code"]


def bad_json_lines(text):
    bad = []
    for line in text.splitlines():
        if not line.strip():
            continue
        try:
            if not isinstance(json.loads(line), dict):
                bad.append(line)
        except ValueError:
            bad.append(line)
    return bad


def metric(body, name, label):
    for line in body.splitlines():
        if line.startswith('%s{listener="%s"} ' % (name, label)):
            return float(line.split()[-1])
    return 0.0


@unittest.skipUnless(shutil.which("prlimit"), "prlimit (util-linux) is not installed")
class SmallNofile(ServerTest):
    def setUp(self):
        self.server = Server()
        self.server.args = ["prlimit", "--nofile=%d:%d" % (NOFILE, NOFILE)] + self.server.args
        self.server.start()
        self.pid = self.server.proc.pid  # prlimit execs chaosd: same process

    def records(self, msg):
        return [r for r in self.server.log_records() if r.get("msg") == msg]

    def test_start_lowers_max_connections_to_fit(self):
        lowered = [r for r in self.server.log_records()
                   if r.get("msg", "").startswith("net.max_connections lowered")]
        self.assertEqual(len(lowered), 1, self.server.log()[-3000:])
        self.assertEqual(lowered[0]["level"], "warn")
        self.assertEqual(lowered[0]["max_connections"], NOFILE - RESERVE)
        self.assertEqual(lowered[0]["configured"], 20000)
        self.assertEqual(lowered[0]["nofile"], NOFILE)

    def test_busy_before_exhaustion_and_backoff_after(self):
        srv = self.server
        with open("/proc/%d/comm" % self.pid) as f:
            self.assertEqual(f.read().strip(), "chaosd")
        srv.wait_connections(0)

        # 1. Fill the game port: it answers server_busy before descriptors run out.
        game, outcome = [], None
        for i in range(NOFILE):
            c = Client(srv.port)
            outcome = game_reply(c, i)
            if outcome != "ok":
                c.close()
                break
            game.append(c)
        self.assertEqual(outcome, "server_busy")
        self.assertGreater(len(game), NOFILE // 2)
        self.assertLessEqual(len(game), NOFILE - RESERVE)
        refused = self.records("conn_refused")
        self.assertEqual(len(refused), 1)
        self.assertEqual(refused[0]["reason"], "fd_reserve")

        # 2. The reserve is there: HTTP and the admin console still work.
        status, body = srv.http_get("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["connections"], len(game))
        admin = srv.admin()
        self.assertTrue(admin.cmd("status")["ok"])

        # 3. Use the reserve up with idle HTTP connections, then knock on every port.
        idle = [socket.create_connection(("127.0.0.1", srv.http_port), timeout=5)
                for _ in range(RESERVE + 40)]
        late_admin = Admin(srv.admin_port)  # completes in the kernel's backlog
        late_game = Client(srv.port)
        late_http = socket.create_connection(("127.0.0.1", srv.http_port), timeout=10)
        late_http.sendall(b"GET /healthz HTTP/1.0\r\nHost: x\r\n\r\n")
        for name in ("http", "admin", "game"):
            wait_for(lambda name=name: [r for r in self.records("accept paused")
                                        if r.get("listener") == name],
                     timeout=10, what="accept paused on " + name)

        # 4. Out of descriptors, chaosd idles: little CPU, little log.
        cpu0, log0 = cpu_seconds(self.pid), os.path.getsize(srv.log_path)
        time.sleep(2.0)
        cpu1, log1 = cpu_seconds(self.pid), os.path.getsize(srv.log_path)
        self.assertLess(cpu1 - cpu0, 0.5, "chaosd spins while out of descriptors")
        self.assertLess(log1 - log0, 100 * 1024, "the log grows while out of descriptors")
        for name in ("http", "admin", "game"):
            paused = [r for r in self.records("accept paused") if r.get("listener") == name]
            self.assertEqual(len(paused), 1, "one warning per episode (%s)" % name)
            self.assertEqual(paused[0]["level"], "warn")
        self.assertEqual(bad_json_lines(srv.log()), [])

        # 5. Descriptors come back: everything waiting is served.
        for s in idle:
            s.close()
        late_http.settimeout(10)
        data = b""
        while True:
            chunk = late_http.recv(65536)
            if not chunk:
                break
            data += chunk
        late_http.close()
        self.assertTrue(data.startswith(b"HTTP/1.0 200") or data.startswith(b"HTTP/1.1 200"),
                        data[:200])
        self.assertTrue(late_admin.cmd("auth " + srv.token)["ok"])
        self.assertTrue(late_admin.cmd("status")["ok"])
        # The game is still at its ceiling: the late client is refused, not left hanging.
        self.assertEqual(game_reply(late_game, 1), "server_busy")
        late_game.close()
        status, body = srv.http_get("/metrics")
        for name in ("http", "admin", "game"):
            self.assertGreaterEqual(metric(body, "chaos_accept_paused_total", name), 1, name)

        # 6. Players leave: the game port accepts and answers again.
        for c in game:
            c.close()
        srv.wait_connections(0)
        c = srv.client()
        self.assertEqual(game_reply(c, 1), "ok")
        status, _ = srv.http_get("/healthz")
        self.assertEqual(status, 200)
        wait_for(lambda: self.records("conn_refused_end"), timeout=5, what="conn_refused_end")
        self.assertEqual(bad_json_lines(srv.log()), [])
        admin.close()
        late_admin.close()


class LibraryLogs(ServerTest):
    """libevent's own messages are JSON log lines too."""

    def setUp(self):
        # Makes libevent report its backend through its logger at start.
        self.server = Server(env={"EVENT_SHOW_METHOD": "1"}).start()

    def test_libevent_messages_are_json(self):
        said = [r for r in self.server.log_records() if r.get("msg") == "libevent"]
        self.assertTrue(any(r.get("message", "").startswith("libevent using:") for r in said),
                        self.server.log()[-3000:])
        self.assertEqual(bad_json_lines(self.server.log()), [])


@unittest.skipUnless(shutil.which("prlimit"), "prlimit (util-linux) is not installed")
class TooSmallNofile(unittest.TestCase):
    def test_no_room_for_any_connection_stops_the_start(self):
        srv = Server()
        srv.args = ["prlimit", "--nofile=48:48"] + srv.args
        try:
            srv.start(wait=False)
            rc = srv.proc.wait(timeout=30)
            srv.logf.close()
            srv.proc = None
            self.assertEqual(rc, 1)
            errors = [r for r in srv.log_records() if r.get("level") == "error"]
            self.assertTrue(any("net.fd_reserve" in r["msg"] for r in errors), srv.log())
            self.assertEqual(bad_json_lines(srv.log()), [])
        finally:
            srv.cleanup()


if __name__ == "__main__":
    main()
