"""Operators: the admin console, chaosctl, signals and graceful shutdown."""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, Admin, Server, ServerTest, main  # noqa: E402


class Console(ServerTest):
    def test_refused_without_token(self):
        a = Admin(self.server.admin_port)
        r = a.cmd("status")
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"]["code"], "unauthorized")
        self.assertIsNone(a.cmd("status"), "connection must be closed after refusal")

    def test_wrong_token_refused(self):
        a = Admin(self.server.admin_port)
        r = a.cmd("auth wrong-token-123456789")
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"]["code"], "unauthorized")

    def test_status_reports_the_server(self):
        c = self.server.client()
        c.request("ping")
        st = self.server.admin().cmd("status")
        self.assertTrue(st["ok"])
        self.assertEqual(st["connections"], 1)
        self.assertEqual(st["generation"], 1)
        self.assertGreater(st["lua_memory_bytes"], 0)
        self.assertGreaterEqual(st["uptime_s"], 0)
        self.assertIn("loop_lag_ms", st)
        self.assertIn("greet", st["ops"])

    def test_help_lists_commands(self):
        r = self.server.admin().cmd("help")
        names = [c["name"] for c in r["commands"]]
        for n in ("status", "reload", "shutdown"):
            self.assertIn(n, names)

    def ctl(self, *args, token=True):
        cmd = [os.path.join(BIN, "chaosctl")] + list(args) + [
            "--admin", "127.0.0.1:%d" % self.server.admin_port]
        if token:
            cmd += ["--token", self.server.token]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30)

    def test_chaosctl_status_and_reload(self):
        p = self.ctl("status", "--json")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertEqual(json.loads(p.stdout)["generation"], 1)
        p = self.ctl("reload")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = self.ctl("status", "--json")
        self.assertEqual(json.loads(p.stdout)["generation"], 2)

    def test_chaosctl_reload_broken_exits_1_with_file_and_line(self):
        self.server.write_content("world/greeting.lua", "local x = = 1\n")
        p = self.ctl("reload")
        self.assertEqual(p.returncode, 1)
        self.assertIn("greeting.lua:1", p.stdout + p.stderr)

    def test_chaosctl_without_token_fails(self):
        env = dict(os.environ)
        env.pop("CHAOS_ADMIN_TOKEN", None)
        p = subprocess.run([os.path.join(BIN, "chaosctl"), "status", "--admin",
                            "127.0.0.1:%d" % self.server.admin_port, "--token", "nope-nope-nope-nope"],
                           capture_output=True, text=True, timeout=30, env=env)
        self.assertEqual(p.returncode, 1)


class Shutdown(ServerTest):
    def test_sigterm_tells_clients_and_exits_zero(self):
        c = self.server.client()
        self.assertTrue(c.request("ping")["ok"])
        t0 = time.time()
        self.server.proc.send_signal(signal.SIGTERM)
        m = c.recv()
        self.assertEqual(m["ev"], "shutdown")
        self.assertEqual(m["reason"], "SIGTERM")
        rc = self.server.proc.wait(timeout=10)
        self.assertEqual(rc, 0)
        self.assertLess(time.time() - t0, 5)
        self.assertTrue(c.closed())

    def test_admin_shutdown(self):
        a = self.server.admin()
        r = a.cmd("shutdown maintenance")
        self.assertTrue(r["ok"])
        self.assertEqual(self.server.proc.wait(timeout=10), 0)
        self.assertTrue(any(x.get("msg") == "shutting down" and x.get("reason") == "maintenance"
                            for x in self.server.log_records()))


class Startup(ServerTest):
    def test_generated_token_file_is_private(self):
        s = Server(extra=["--set", "admin.token="])
        try:
            s.start()
            path = os.path.join(s.var, "admin.token")
            self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
            s.token = open(path).read().strip()
            self.assertGreaterEqual(len(s.token), 32)
            self.assertTrue(s.admin().cmd("status")["ok"])
        finally:
            self.assertEqual(s.stop(), 0)
            s.cleanup()

    def test_broken_content_refuses_to_start_with_file_and_line(self):
        s = Server(content={"bad.lua": "local chaos = require('chaos')\nchaos.on_op(\n"})
        try:
            s.start(wait=False)
            rc = s.proc.wait(timeout=20)
            self.assertNotEqual(rc, 0)
            self.assertIn("bad.lua:", s.log())
        finally:
            s.cleanup()

    def test_bad_setting_is_a_usage_error(self):
        p = subprocess.run([os.path.join(BIN, "chaosd"), "--set", "net.port=99999"],
                           capture_output=True, text=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("net.port", p.stderr)
        p = subprocess.run([os.path.join(BIN, "chaosd"), "--help"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0)
        self.assertIn("net.max_connections", p.stdout)

    def test_environment_and_config_file(self):
        cfg = os.path.join(self.server.dir, "chaosd.conf.lua")
        with open(cfg, "w") as f:
            f.write('return { server = { name = "from-file" }, net = { rate = 7 } }\n')
        env = dict(os.environ, CHAOS_NET_RATE="9")
        p = subprocess.run([os.path.join(BIN, "chaosd"), "--config", cfg, "--print-config"],
                           capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("server.name = from-file", p.stdout)
        self.assertIn("net.rate = 9", p.stdout)  # environment beats the file
        # A CHAOS_ variable that names no setting is warned about, not silently used.
        env = dict(os.environ, CHAOS_NET_PROT="1")
        p = subprocess.run([os.path.join(BIN, "chaosd"), "--print-config"],
                           capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(p.returncode, 0)
        self.assertIn("CHAOS_NET_PROT", p.stderr)
        self.assertIn("typo", p.stderr)
        # A bad value for a real setting stops the server.
        env = dict(os.environ, CHAOS_NET_PORT="-1")
        p = subprocess.run([os.path.join(BIN, "chaosd"), "--print-config"],
                           capture_output=True, text=True, env=env, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("net.port", p.stderr)


if __name__ == "__main__":
    main()
