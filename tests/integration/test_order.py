"""Request order against a real chaosd: a connection's answers come in the order of its
requests, also when a request is answered later (login, characters, create/delete, a
content op waiting for its transaction's commit) and the client pipelines more behind it."""
import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, Server, ServerTest, frame, main, play  # noqa: E402

PW = "correct horse 1"

PAY = """
local chaos = require("chaos")
chaos.on_op("order_pay", function(req, ctx)
  chaos.txn(ctx.player, "order test", function(t) t:add_gold(req.amount) end)
  return { paid = req.amount }
end)
"""


def pipeline(c, *requests):
    """Sends every request in ONE write; returns the answers (events skipped) in arrival order."""
    c.send_raw(b"".join(frame(r) for r in requests))
    answers = []
    while len(answers) < len(requests):
        m = c.recv()
        assert m is not None, "closed after %r" % (answers,)
        if "ev" in m:
            c.events.append(m)
        else:
            answers.append(m)
    return answers


class Order(ServerTest):
    server_args = FAST_AUTH

    def setUp(self):
        self.server = Server(extra=self.server_args)
        self.server.write_content("order_test.lua", PAY)
        self.server.start()

    def test_requests_behind_login_wait_for_its_answer(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Orla", password=PW)["ok"])
        got = pipeline(c, {"op": "login", "id": 1, "name": "Orla", "password": PW},
                       {"op": "ping", "id": 2},
                       {"op": "characters", "id": 3},
                       {"op": "echo", "id": 4, "text": "after"})
        self.assertEqual([m["id"] for m in got], [1, 2, 3, 4], got)
        self.assertTrue(all(m.get("ok") for m in got), got)
        # characters ran after the login, so it was logged in.
        self.assertEqual(got[2]["characters"], [])

    def test_character_ops_are_answered_in_order(self):
        c = self.server.client()
        self.assertTrue(c.request("register", name="Pia", password=PW)["ok"])
        got = pipeline(c, {"op": "login", "id": 1, "name": "Pia", "password": PW},
                       {"op": "create_character", "id": 2, "name": "PiaA", "race": "elf",
                        "job": "mage"},
                       {"op": "ping", "id": 3},
                       {"op": "create_character", "id": 4, "name": "PiaB", "race": "human",
                        "job": "warrior"},
                       {"op": "characters", "id": 5},
                       {"op": "ping", "id": 6})
        self.assertEqual([m["id"] for m in got], [1, 2, 3, 4, 5, 6], got)
        self.assertEqual([x["name"] for x in got[4]["characters"]], ["PiaA", "PiaB"])
        a, b = got[1]["character"]["id"], got[3]["character"]["id"]
        got = pipeline(c, {"op": "delete_character", "id": 7, "character": a},
                       {"op": "characters", "id": 8},
                       {"op": "enter_world", "id": 9, "character": b},
                       {"op": "ping", "id": 10})
        self.assertEqual([m["id"] for m in got], [7, 8, 9, 10], got)
        self.assertEqual([x["name"] for x in got[1]["characters"]], ["PiaB"])
        self.assertTrue(got[2]["ok"], got[2])

    def test_content_op_waiting_for_its_commit_keeps_its_place(self):
        c = self.server.client()
        play(c, "Quinn")
        got = pipeline(c, {"op": "order_pay", "id": 1, "amount": 5},
                       {"op": "ping", "id": 2},
                       {"op": "order_pay", "id": 3, "amount": 7},
                       {"op": "echo", "id": 4, "text": "x"})
        self.assertEqual([m["id"] for m in got], [1, 2, 3, 4], got)
        self.assertEqual((got[0]["paid"], got[2]["paid"]), (5, 7))
        # The gold events came after each commit, so before the answer they precede.
        golds = [e["gold"] for e in c.events if e.get("ev") == "gold"]
        self.assertEqual(golds, [5, 12])

    def test_logout_then_login_pipelined(self):
        c = self.server.client()
        play(c, "Rhea")
        got = pipeline(c, {"op": "logout", "id": 1},
                       {"op": "characters", "id": 2},
                       {"op": "login", "id": 3, "name": "Rhea", "password": PW},
                       {"op": "characters", "id": 4})
        self.assertEqual([m["id"] for m in got], [1, 2, 3, 4], got)
        self.assertEqual(got[0]["saved"], True)
        self.assertEqual(got[1]["error"]["code"], "not_logged_in")
        self.assertEqual([x["name"] for x in got[3]["characters"]], ["Rhea"])


if __name__ == "__main__":
    main()
