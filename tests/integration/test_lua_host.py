"""The Lua host inside a real chaosd: handler errors, runaway scripts, reload
refused and accepted, timers across generations, reload on save."""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTest, main  # noqa: E402

GOOD = '''
local chaos = require("chaos")
chaos.on_op("version", function() return { v = "one" } end)
chaos.on_op("boom", function() local t = nil; return t.field end)
chaos.on_op("spin", function() local n = 0; while true do n = n + 1 end end)
chaos.on_op("spin_pcall", function()
  while true do pcall(function() local n = 0; while true do n = n + 1 end end) end
end)
chaos.on_op("fail", function() chaos.fail("not_allowed", "you may not") end)
chaos.on_op("list", function() return { 1, 2, 3 } end)
chaos.every(0.05, function() chaos.log("info", "tick", { tag = "one" }) end)
'''

BROKEN_SYNTAX = '''
local chaos = require("chaos")
chaos.on_op("version", function() return { v = "two" } end
'''

BROKEN_RUNTIME = '''
local chaos = require("chaos")
local x = nil
x.y = 1
'''

SECOND = '''
local chaos = require("chaos")
chaos.on_op("version", function() return { v = "two" } end)
chaos.every(0.05, function() chaos.log("info", "tick", { tag = "two" }) end)
'''


class LuaHost(ServerTest):
    server_content = {"main.lua": GOOD}
    server_args = ["--set", "lua.budget_ms=50", "--set", "net.rate=0"]

    def test_handler_error_is_internal_for_that_client_only(self):
        a = self.server.client()
        b = self.server.client()
        r = a.request("boom")
        self.assertEqual(r["error"]["code"], "internal")
        self.assertNotIn("main.lua", r["error"]["message"], "internals must not leak to clients")
        self.assertEqual(b.request("version")["v"], "one")
        self.assertEqual(a.request("version")["v"], "one")
        time.sleep(0.2)
        errs = [x for x in self.server.log_records() if x.get("msg") == "lua error"]
        self.assertTrue(errs)
        self.assertIn("main.lua:4", errs[0]["where"])
        self.assertIn("traceback", errs[0]["traceback"] + " traceback")
        status, body = self.server.http_get("/metrics")
        self.assertIn("chaos_lua_errors_total 1", body)

    def test_runaway_handler_is_interrupted(self):
        a = self.server.client()
        b = self.server.client()
        t0 = time.time()
        r = a.request("spin")
        self.assertEqual(r["error"]["code"], "script_timeout")
        self.assertLess(time.time() - t0, 5)
        self.assertEqual(b.request("version")["v"], "one")
        r = a.request("spin_pcall")
        self.assertEqual(r["error"]["code"], "script_timeout")
        self.assertTrue(a.request("ping")["ok"])

    def test_structured_failure_and_bad_return(self):
        c = self.server.client()
        r = c.request("fail")
        self.assertEqual(r["error"], {"code": "not_allowed", "message": "you may not"})
        r = c.request("list")
        self.assertEqual(r["error"]["code"], "internal")

    def test_reload_refused_keeps_old_generation(self):
        c = self.server.client()
        self.assertEqual(c.request("version")["v"], "one")
        self.server.write_content("main.lua", BROKEN_SYNTAX)
        self.server.write_content("zz_other.lua", BROKEN_RUNTIME)
        adm = self.server.admin()
        r = adm.cmd("reload")
        self.assertFalse(r["ok"])
        self.assertEqual(r["error"]["code"], "escript")
        self.assertEqual(len(r["errors"]), 2, r)
        self.assertIn("main.lua:4", r["errors"][0])      # syntax error: file and line
        self.assertIn("zz_other.lua:4", r["errors"][1])  # and every other error too
        self.assertEqual(c.request("version")["v"], "one")
        st = adm.cmd("status")
        self.assertEqual(st["generation"], 1)

    def test_good_reload_swaps_on_same_connection_and_old_timers_stop(self):
        c = self.server.client()
        self.assertEqual(c.request("version")["v"], "one")
        self.server.write_content("main.lua", SECOND)
        adm = self.server.admin()
        r = adm.cmd("reload")
        self.assertTrue(r["ok"], r)
        self.assertEqual(r["generation"], 2)
        self.assertEqual(c.request("version")["v"], "two")
        swap = time.time()
        time.sleep(0.5)
        recs = self.server.log_records()
        ticks_two = [x for x in recs if x.get("msg") == "tick" and x.get("tag") == "two"]
        self.assertTrue(ticks_two, "the new generation's timer runs")
        # Find the reload line and check no "one" tick is logged after it.
        idx = max(i for i, x in enumerate(recs) if x.get("msg") == "reloaded")
        late = [x for x in recs[idx + 1:] if x.get("msg") == "tick" and x.get("tag") == "one"]
        self.assertEqual(late, [], "old generation's timers ran after the swap")
        # Ops the new generation does not define are gone.
        self.assertEqual(c.request("boom")["error"]["code"], "unknown_op")
        del swap

    def test_ops_reserved_by_core_cannot_be_taken(self):
        self.server.write_content("main.lua", GOOD + '\nchaos.on_op("ping", function() end)\n')
        r = self.server.admin().cmd("reload")
        self.assertFalse(r["ok"])
        self.assertIn("handled by the core", " ".join(r["errors"]))

    def test_content_must_not_create_globals(self):
        self.server.write_content("main.lua", GOOD + "\nleaked = 1\n")
        r = self.server.admin().cmd("reload")
        self.assertFalse(r["ok"])
        line = (GOOD + "\nleaked = 1\n").splitlines().index("leaked = 1") + 1
        self.assertEqual(len(r["errors"]), 1, r)
        self.assertIn("main.lua:%d" % line, r["errors"][0])
        self.assertIn("undeclared global 'leaked'", r["errors"][0])


class Watch(ServerTest):
    server_content = {"main.lua": GOOD}
    server_args = ["--set", "lua.watch_ms=100", "--set", "net.rate=0"]

    def test_saving_a_file_reloads_it(self):
        c = self.server.client()
        self.assertEqual(c.request("version")["v"], "one")
        self.server.write_content("main.lua", SECOND)
        deadline = time.time() + 10
        v = None
        while time.time() < deadline:
            v = c.request("version")["v"]
            if v == "two":
                break
            time.sleep(0.05)
        self.assertEqual(v, "two")
        # A broken save is refused; the last good content keeps answering.
        self.server.write_content("main.lua", BROKEN_SYNTAX)
        time.sleep(0.6)
        self.assertEqual(c.request("version")["v"], "two")
        refused = [x for x in self.server.log_records() if x.get("msg") == "reload refused"]
        self.assertTrue(refused)
        self.assertIn("main.lua:4", refused[-1]["errors"])


if __name__ == "__main__":
    main()
