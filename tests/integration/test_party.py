"""Parties over TCP: invite, accept, the "party" chat channel (only members get
it; outsiders are refused), kick, leader and leave; a member logging out leaves.
Negative checks ("C did not get it") use a marker sent afterwards: frames of one
connection arrive in order."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(__file__))
from harness import FAST_AUTH, ServerTest, main, play  # noqa: E402


def err(reply):
    return reply.get("error", {}).get("code")


def next_ev(c, name):
    """The next event called name on c (skipping others)."""
    while True:
        if c.events:
            ev = c.events.pop(0)
        else:
            ev = c.recv()
            assert ev is not None, "connection closed"
            assert "ev" in ev, "unexpected frame %r" % (ev,)
        if ev.get("ev") == name:
            return ev


class Party(ServerTest):
    server_args = FAST_AUTH + ["--name", "solo"]

    def test_invite_chat_kick_leave(self):
        a, b, c = [self.server.client() for _ in range(3)]
        for cl, n in ((a, "alice"), (b, "bob"), (c, "carol")):
            play(cl, n)

        self.assertEqual(err(a.request("party_invite", name="nobody")), "not_online")
        self.assertEqual(err(a.request("party_invite", name="alice")), "bad_target")
        self.assertEqual(err(a.request("party_invite")), "bad_field")
        self.assertEqual(err(b.request("party_accept")), "no_invite")
        self.assertEqual(err(c.request("chat", channel="party", text="hi")), "not_in_party")

        r = a.request("party_invite", name="BOB")
        self.assertEqual(r.get("invited"), "bob", r)
        self.assertEqual(next_ev(b, "party_invite"), {"ev": "party_invite", "from": "alice"})
        r = b.request("party_accept")
        self.assertEqual((r.get("leader"), r.get("members")), ("alice", ["alice", "bob"]), r)
        ev = next_ev(a, "party")
        self.assertEqual((ev["event"], ev["name"], ev["members"]), ("joined", "bob", ["alice", "bob"]))

        # party chat: both members, not carol
        r = a.request("chat", channel="party", text="hello team")
        self.assertEqual(r.get("sent"), True, r)
        want = {"ev": "chat", "channel": "party", "from": "alice", "text": "hello team"}
        self.assertEqual(next_ev(a, "chat"), want)
        self.assertEqual(next_ev(b, "chat"), want)
        self.assertTrue(b.request("chat", channel="zone", text="marker")["ok"])
        self.assertEqual(next_ev(c, "chat")["text"], "marker")
        self.assertEqual(err(a.request("chat", channel="party", text="\u0001")), "bad_field")

        # carol joins; only the leader invites and kicks
        self.assertEqual(err(b.request("party_invite", name="carol")), "not_leader")
        self.assertTrue(a.request("party_invite", name="carol").get("invited"))
        self.assertEqual(len(c.request("party_accept")["members"]), 3)
        self.assertEqual(err(b.request("party_kick", name="carol")), "not_leader")
        self.assertEqual(a.request("party_leader", name="bob").get("leader"), "bob")
        self.assertEqual(next_ev(c, "party")["event"], "joined")
        self.assertEqual(next_ev(c, "party")["event"], "leader")
        self.assertEqual(b.request("party_kick", name="carol").get("kicked"), "carol")
        ev = next_ev(c, "party")
        self.assertEqual(ev, {"ev": "party", "event": "kicked", "name": "carol", "leader": "bob"})
        self.assertEqual(err(c.request("chat", channel="party", text="hi")), "not_in_party")
        self.assertEqual(a.request("party")["members"], ["alice", "bob"])

        # the leader logs out: a party of one is no party
        b.close()
        self.server.clients.remove(b)
        for _ in range(5):  # joined (carol), leader, kicked, then disbanded
            if next_ev(a, "party")["event"] == "disbanded":
                break
        else:
            self.fail("alice was not told the party is disbanded")
        self.assertEqual(a.request("party").get("in_party"), False)
        self.assertEqual(err(a.request("party_leave")), "not_in_party")


if __name__ == "__main__":
    main()
