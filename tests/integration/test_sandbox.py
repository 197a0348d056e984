"""The content sandbox, the memory cap and reload off the loop, in a real
chaosd: every escape a red-team pass found is refused at start, by
`chaosd --check`, over a reload (the old content keeps answering) and inside
a handler (an error answer; other clients keep being served) — and none of
them has a side effect. A handler that asks for gigabytes answers
out_of_memory; a file whose top level never ends is refused with its
file:line while the loop keeps answering pings."""
import os
import subprocess
import sys
import tempfile
import threading
import time
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SRC, Server, ServerTest, main, wait_for  # noqa: E402

MARK_DIR = tempfile.mkdtemp(prefix="chaos-escape-")


def mark(name):
    return os.path.join(MARK_DIR, name)


# name -> one line of Lua that would escape the sandbox if it worked; each
# would create mark(name) on success.
ESCAPES = {
    "os_execute": 'os.execute("touch %s")',
    "io_popen": 'io.popen("touch %s")',
    "io_open": 'io.open("%s", "w"):close()',
    "ffi_system": 'require("ffi").C.system("touch %s")',
    "ffi": 'local ffi = require("ffi") ffi.cdef("int system(const char *);") ffi.C.system("touch %s")',
    "bytecode": 'assert(loadstring("\\27LJ\\2\\10" .. "%s"))()',
    "debug_sethook": 'debug.sethook() local f = "%s"',
    "jit_on": 'jit.on() local f = "%s"',
    "gc_stop": 'collectgarbage("stop") local f = "%s"',
    "getfenv": 'getfenv(0).io.open("%s", "w")',
    "setfenv": 'setfenv(1, {}) local f = "%s"',
    "string_mt": 'getmetatable("").__index.format = nil local f = "%s"',
}

PRELUDE = 'local chaos = require("chaos")\n-- an escape on line 3\n'

GOOD = '''local chaos = require("chaos")
chaos.on_op("version", function() return { v = "good" } end)
'''


def top_level(name):
    return PRELUDE + (ESCAPES[name] % mark(name)) + "\n"


def in_handler(name):
    return 'chaos.on_op("esc_%s", function() %s end)\n' % (name, ESCAPES[name] % mark(name))


def no_marks(test):
    test.assertEqual(os.listdir(MARK_DIR), [], "an escape had a side effect")


class CheckAndStart(unittest.TestCase):
    """Every escape at top level: `chaosd --check` and the start both refuse it."""

    def test_check_reports_every_escape_with_file_and_line(self):
        for name in ESCAPES:
            with self.subTest(escape=name):
                s = Server(content={"escape.lua": top_level(name)})
                try:
                    p = subprocess.run(
                        [os.path.join(BIN, "chaosd"), "--check", "--scripts", s.scripts,
                         "--content", s.content], capture_output=True, text=True, timeout=60,
                        cwd=SRC)
                    self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
                    self.assertIn("escape.lua:3:", p.stderr)
                    self.assertNotIn("AddressSanitizer", p.stderr)
                finally:
                    s.cleanup()
        no_marks(self)

    def test_server_refuses_to_start_with_file_and_line(self):
        for name in ESCAPES:
            with self.subTest(escape=name):
                s = Server(content={"escape.lua": top_level(name), "good.lua": GOOD})
                try:
                    with self.assertRaises(RuntimeError) as cm:
                        s.start()
                    self.assertIn("escape.lua:3:", str(cm.exception))
                    self.assertEqual(s.proc.wait(timeout=30), 1)
                finally:
                    s.cleanup()
        no_marks(self)


class OverReload(ServerTest):
    server_content = {"good.lua": GOOD}
    server_args = ["--set", "net.rate=0"]

    def test_every_escape_is_refused_by_reload_and_the_old_content_answers(self):
        c = self.server.client()
        adm = self.server.admin()
        for name in ESCAPES:
            with self.subTest(escape=name):
                self.server.write_content("escape.lua", top_level(name))
                r = adm.cmd("reload")
                self.assertFalse(r["ok"], r)
                self.assertEqual(r["error"]["code"], "escript")
                self.assertTrue(any("escape.lua:3:" in e for e in r["errors"]), r)
                self.assertEqual(c.request("version")["v"], "good")
        self.assertEqual(adm.cmd("status")["generation"], 1)
        no_marks(self)

    def test_chaosctl_reload_prints_the_refusal(self):
        self.server.write_content("escape.lua", top_level("io_open"))
        p = subprocess.run([os.path.join(BIN, "chaosctl"), "reload", "--admin",
                            "127.0.0.1:%d" % self.server.admin_port, "--token", self.server.token],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("escape.lua:3:", p.stdout + p.stderr)
        os.remove(os.path.join(self.server.content, "escape.lua"))
        p = subprocess.run([os.path.join(BIN, "chaosctl"), "reload", "--admin",
                            "127.0.0.1:%d" % self.server.admin_port, "--token", self.server.token],
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertIn("2", p.stdout)
        no_marks(self)


class InHandler(ServerTest):
    server_content = {
        "good.lua": GOOD,
        "escapes.lua": 'local chaos = require("chaos")\n' + "".join(in_handler(n) for n in ESCAPES),
        "memory.lua": '''local chaos = require("chaos")
chaos.on_op("hog", function()
  local a = string.rep("x", 2^30)
  local b = string.rep("x", 2^30)
  local c = string.rep("x", 2^30)
  return { n = #a + #b + #c }
end)
''',
    }
    server_args = ["--set", "net.rate=0"]

    def test_every_escape_in_a_handler_answers_an_error(self):
        a = self.server.client()
        b = self.server.client()
        for name in ESCAPES:
            with self.subTest(escape=name):
                r = a.request("esc_" + name)
                self.assertIn("error", r)
                self.assertEqual(r["error"]["code"], "internal", r)
                self.assertTrue(b.request("ping")["ok"])
                self.assertEqual(b.request("version")["v"], "good")
        self.assertTrue(a.request("ping")["ok"])
        no_marks(self)

    def _refused(self):
        _, body = self.server.http_get("/metrics")
        for line in body.splitlines():
            if line.startswith("chaos_lua_memory_refused_total "):
                return float(line.split()[1])
        self.fail("no chaos_lua_memory_refused_total in /metrics")

    def test_gigabytes_answer_out_of_memory_and_the_server_keeps_serving(self):
        before = self._refused()
        a = self.server.client()
        b = self.server.client()
        r = a.request("hog")
        self.assertIn("error", r)
        self.assertEqual(r["error"]["code"], "out_of_memory")
        self.assertTrue(b.request("ping")["ok"])
        self.assertTrue(a.request("ping")["ok"])
        self.assertGreater(self._refused(), before)
        st = self.server.admin().cmd("status")
        self.assertLess(st["lua_memory_bytes"], 256 * 1024 * 1024)



BACKTRACK = 'string.rep("a", 80):find(("a-"):rep(6) .. "b")'


class PatternFreeze(ServerTest):
    """A pattern with catastrophic backtracking (minutes of matching in C,
    where the count hook never runs) is bounded by the call's budget: in a
    handler it answers an error at once, at load time the reload is refused
    with the file and line; other clients are answered throughout."""
    server_content = {
        "good.lua": GOOD,
        "slow.lua": 'local chaos = require("chaos")\n'
                    'chaos.on_op("backtrack", function() return { r = %s } end)\n' % BACKTRACK,
    }
    server_args = ["--set", "net.rate=0"]

    def test_in_a_handler(self):
        a, b = self.server.client(), self.server.client()
        r = a.request("backtrack")
        self.assertEqual(r["error"]["code"], "script_timeout", r)
        errs = [x.get("error", "") for x in self.server.log_records() if x.get("msg") == "lua error"]
        self.assertTrue(any("pattern too complex" in e and "slow.lua:2" in e for e in errs), errs)
        self.assertTrue(b.request("ping")["ok"])
        self.assertEqual(b.request("version")["v"], "good")

    def test_at_load_over_a_reload_and_at_start(self):
        self.server.write_content("top.lua", "local x = 1\nlocal y = %s\n" % BACKTRACK)
        r = self.server.admin().cmd("reload")
        self.assertFalse(r["ok"], r)
        self.assertTrue(any("top.lua:2:" in e and "too complex" in e for e in r["errors"]), r)
        c = self.server.client()
        self.assertEqual(c.request("version")["v"], "good")
        self.server.stop()
        rc = subprocess.run([os.path.join(BIN, "chaosd"), "--check", "--scripts",
                             self.server.scripts, "--content", self.server.content],
                            capture_output=True, text=True, cwd=SRC, timeout=60)
        self.assertNotEqual(rc.returncode, 0)
        self.assertIn("top.lua:2:", rc.stdout + rc.stderr)


LOOPING = 'local chaos = require("chaos")\n\nwhile true do end\n'


class ReloadOffTheLoop(ServerTest):
    server_content = {"good.lua": GOOD}
    server_args = ["--set", "lua.watch_ms=50", "--set", "net.rate=0"]

    def _log_has(self, msg):
        return any(x.get("msg") == msg for x in self.server.log_records())

    def test_pings_are_answered_while_a_looping_file_builds(self):
        c = self.server.client()
        self.assertEqual(c.request("version")["v"], "good")
        self.server.write_content("spin.lua", LOOPING)
        # The watcher starts the build; pings go on until the refusal is logged.
        wait_for(lambda: self._log_has("reload: building"), what="the build to start")
        answered_during_build = 0
        while not self._log_has("reload refused"):
            self.assertTrue(c.request("ping")["ok"])
            if not self._log_has("reload refused"):
                answered_during_build += 1
        self.assertGreater(answered_during_build, 0)
        refused = [x for x in self.server.log_records() if x.get("msg") == "reload refused"][-1]
        self.assertIn("spin.lua:3:", refused["errors"])
        self.assertIn("budget", refused["errors"])
        self.assertEqual(c.request("version")["v"], "good")

    def test_console_reload_answers_after_the_build_and_pings_go_on(self):
        c = self.server.client()
        self.server.write_content("spin.lua", LOOPING)
        os.utime(os.path.join(self.server.content, "spin.lua"))
        result = {}

        def reload():
            result["r"] = self.server.admin().cmd("reload")

        t = threading.Thread(target=reload)
        t.start()
        pings = 0
        while t.is_alive():
            self.assertTrue(c.request("ping")["ok"])
            pings += 1
        t.join()
        self.assertGreater(pings, 1)
        r = result["r"]
        self.assertFalse(r["ok"], r)
        self.assertTrue(any("spin.lua:3:" in e and "budget" in e for e in r["errors"]), r)
        recs = [x for x in self.server.log_records() if x.get("msg") == "reloaded"]
        self.assertEqual(recs, [])

    def test_reloaded_line_has_build_and_swap_times(self):
        self.server.write_content("more.lua", 'local chaos = require("chaos")\n'
                                  'chaos.on_op("more", function() return { m = 1 } end)\n')
        r = self.server.admin().cmd("reload")
        self.assertTrue(r["ok"], r)
        c = self.server.client()
        self.assertEqual(c.request("more")["m"], 1)
        rec = [x for x in self.server.log_records() if x.get("msg") == "reloaded"][-1]
        self.assertIn("build_ms", rec)
        self.assertIn("swap_ms", rec)


class ShutdownDuringBuild(ServerTest):
    server_content = {"good.lua": GOOD}
    # A 600 ms call budget gives each file 24 s to load: far longer than the test.
    server_args = ["--set", "lua.budget_ms=600", "--set", "net.rate=0"]

    def test_sigterm_abandons_the_build_and_exits_cleanly(self):
        self.server.write_content("spin.lua", LOOPING)
        adm = self.server.admin()
        adm.sock.sendall(b"reload\n")
        wait_for(lambda: any(x.get("msg") == "reload: building" for x in self.server.log_records()),
                 what="the build to start")
        self.assertTrue(self.server.client().request("ping")["ok"])
        rc = self.server.stop()
        self.assertEqual(rc, 0, self.server.log()[-3000:])
        self.assertTrue(any(x.get("msg") == "reload: build abandoned"
                            for x in self.server.log_records()))


if __name__ == "__main__":
    try:
        main()
    finally:
        import shutil
        shutil.rmtree(MARK_DIR, ignore_errors=True)
