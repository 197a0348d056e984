"""Wire protocol v1 against a real chaosd: hello, ping, framing, every
malformed-input case, oversize frames, limits."""
import json
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))
from harness import ServerTest, frame, main  # noqa: E402


def recv_raw(c):
    """The next frame's payload bytes, undecoded (None once closed)."""
    while True:
        if len(c.buf) >= 4:
            (n,) = struct.unpack(">I", c.buf[:4])
            if len(c.buf) >= 4 + n:
                payload = c.buf[4:4 + n]
                c.buf = c.buf[4 + n:]
                return payload
        chunk = c.sock.recv(65536)
        if not chunk:
            return None
        c.buf += chunk


class Protocol(ServerTest):
    server_args = ["--set", "net.rate=1000", "--set", "net.burst=1000"]

    def test_hello_reports_version_name_and_limits(self):
        c = self.server.client()
        r = c.request("hello", version=1)
        self.assertTrue(r["ok"])
        self.assertEqual(r["protocol"], 1)
        self.assertEqual(r["server"], "chaos-1")
        self.assertEqual(r["limits"]["max_frame"], 65536)
        self.assertIn("rate", r["limits"])

    def test_hello_with_unknown_version_is_refused_and_connection_stays(self):
        c = self.server.client()
        r = c.request("hello", version=99)
        self.assertEqual(r["error"]["code"], "unsupported_version")
        r = c.request("hello", version="1")
        self.assertEqual(r["error"]["code"], "bad_field")
        self.assertTrue(c.request("ping")["ok"])

    def test_ping_echoes_any_scalar_id(self):
        c = self.server.client()
        for rid in ["abc", 7, 2.5, 9007199254740993, True, None]:
            c.send({"op": "ping", "id": rid})
            m = c.recv()
            self.assertTrue(m["ok"], m)
            self.assertEqual(m["id"], rid)

    def test_ping_before_hello_works(self):
        c = self.server.client()
        self.assertTrue(c.request("ping")["ok"])

    def test_malformed_inputs_get_stable_codes_and_connection_stays_open(self):
        c = self.server.client()
        cases = [
            (b"{not json", "bad_json"),
            (b"", "bad_json"),
            (b"[1,2,3]", "not_object"),
            (b"\"ping\"", "not_object"),
            (b"{\"id\":1}", "missing_op"),
            (b"{\"op\":5,\"id\":2}", "bad_field"),
            (b"{\"op\":\"ping\",\"id\":{\"a\":1}}", "bad_field"),
            (b"{\"op\":\"no_such_op\",\"id\":3}", "unknown_op"),
            (b"\xff\xfe{}", "bad_json"),
        ]
        for payload, code in cases:
            c.send_raw(frame(payload))
            m = c.recv()
            self.assertIsNotNone(m, "closed after %r" % payload)
            self.assertIn("error", m, payload)
            self.assertEqual(m["error"]["code"], code, payload)
            self.assertTrue(m["error"]["message"])
        # The id comes back when it could be read.
        c.send_raw(frame(b"{\"op\":\"no_such_op\",\"id\":\"x1\"}"))
        self.assertEqual(c.recv()["id"], "x1")
        self.assertTrue(c.request("ping")["ok"])

    def test_frame_split_over_many_reads(self):
        c = self.server.client()
        data = frame({"op": "echo", "id": 1, "text": "split"})
        for b in data:
            c.send_raw(bytes([b]))
            time.sleep(0.002)
        m = c.recv()
        self.assertEqual(m["text"], "split")

    def test_many_frames_in_one_write(self):
        c = self.server.client()
        data = b"".join(frame({"op": "echo", "id": i, "text": str(i)}) for i in range(200))
        c.send_raw(data)
        for i in range(200):
            m = c.recv()
            self.assertEqual(m["id"], i)
            self.assertEqual(m["text"], str(i))

    def test_oversize_frame_gets_one_error_then_close(self):
        c = self.server.client()
        other = self.server.client()
        c.send_raw(struct.pack(">I", 65537) + b"x" * 100)
        m = c.recv()
        self.assertEqual(m["error"]["code"], "frame_too_large")
        self.assertTrue(c.closed())
        self.assertTrue(other.request("ping")["ok"])

    def test_frame_of_exactly_max_is_accepted(self):
        c = self.server.client()
        body = {"op": "echo", "id": 1, "text": ""}
        overhead = len(json.dumps(body))
        body["text"] = "a" * (65536 - overhead)
        payload = json.dumps(body).encode()
        self.assertEqual(len(payload), 65536)
        c.send_raw(frame(payload))
        m = c.recv()
        self.assertTrue(m["ok"], m)
        self.assertEqual(len(m["text"]), 65536 - overhead)

    def test_echo_without_text_is_bad_field(self):
        c = self.server.client()
        r = c.request("echo")
        self.assertEqual(r["error"]["code"], "bad_field")
        self.assertEqual(c.request("echo", text="")["text"], "")

    def test_lua_answers_do_not_escape_slashes(self):
        c = self.server.client()
        max_frame = c.request("hello", version=1)["limits"]["max_frame"]
        c.send({"op": "echo", "id": 1, "text": "/" * 65000})
        raw = recv_raw(c)
        self.assertLessEqual(len(raw), max_frame)
        self.assertNotIn(b"\\/", raw)
        self.assertEqual(json.loads(raw)["text"], "/" * 65000)
        # An escaped backslash before a slash stays escaped: the text survives.
        for text in ("a\\/b", "\\\\/", "\\", "/\\", "x\\\\\\/y", "\"/\""):
            self.assertEqual(c.request("echo", text=text)["text"], text, text)

    def test_answer_over_the_frame_limit_is_refused_not_sent(self):
        c = self.server.client()
        max_frame = c.request("hello", version=1)["limits"]["max_frame"]
        # lua-cjson writes each DEL as \u007f: 6 bytes for 1, so the answer
        # would be about 79 KB for a 13 KB request (DEL sent raw: JSON allows it).
        c.send_raw(frame('{"op":"echo","id":2,"text":"%s"}' % ("\x7f" * 13200)))
        raw = recv_raw(c)
        self.assertLessEqual(len(raw), max_frame)
        m = json.loads(raw)
        self.assertEqual(m["id"], 2)
        self.assertEqual(m["error"]["code"], "answer_too_large")
        self.assertTrue(c.request("ping")["ok"])  # the connection stays
        status, body = self.server.http_get("/metrics")
        self.assertRegex(body, r'chaos_protocol_errors_total\{code="answer_too_large"\} 1\b')
        self.assertIn("conn_answer_too_large", self.server.log())

    def test_wrong_field_type_from_lua_handler(self):
        c = self.server.client()
        r = c.request("echo", text=5)
        self.assertEqual(r["error"]["code"], "bad_field")
        self.assertTrue(c.request("ping")["ok"])

    def test_metrics_count_frames_and_ops(self):
        c = self.server.client()
        for _ in range(5):
            c.request("ping")
        c.request("nope")
        status, body = self.server.http_get("/metrics")
        self.assertEqual(status, 200)
        lines = body.splitlines()

        def value(prefix):
            for l in lines:
                if l.startswith(prefix + " "):
                    return float(l.split()[-1])
            self.fail("no metric %s in\n%s" % (prefix, body))

        self.assertEqual(value('chaos_requests_total{op="ping"}'), 5)
        self.assertEqual(value('chaos_requests_total{op="(unknown)"}'), 1)
        self.assertGreaterEqual(value("chaos_frames_in_total"), 6)
        self.assertGreaterEqual(value("chaos_bytes_out_total"), 6 * 20)
        self.assertEqual(value('chaos_request_seconds_count{op="ping"}'), 5)

    def test_healthz(self):
        status, body = self.server.http_get("/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(body)["status"], "ok")


class RateLimit(ServerTest):
    server_args = ["--set", "net.rate=5", "--set", "net.burst=5", "--set", "net.abuse_strikes=30"]

    def test_excess_requests_get_rate_limited_then_recover(self):
        c = self.server.client()
        data = b"".join(frame({"op": "ping", "id": i}) for i in range(20))
        c.send_raw(data)
        codes = []
        for _ in range(20):
            m = c.recv()
            codes.append("ok" if m.get("ok") else m["error"]["code"])
        self.assertEqual(codes.count("ok"), 5, codes)
        self.assertEqual(codes.count("rate_limited"), 15, codes)
        time.sleep(0.5)  # refills 2.5 tokens
        self.assertTrue(c.request("ping")["ok"])


class RateAbuse(ServerTest):
    server_args = ["--set", "net.rate=2", "--set", "net.burst=2", "--set", "net.abuse_strikes=5"]

    def test_sustained_abuse_disconnects_only_the_abuser(self):
        bystander = self.server.client()
        c = self.server.client()
        c.send_raw(b"".join(frame({"op": "ping", "id": i}) for i in range(50)))
        self.assertTrue(c.closed())
        self.assertTrue(bystander.request("ping")["ok"])


class Limits(ServerTest):
    server_args = ["--set", "net.max_connections=3", "--set", "net.idle_timeout_s=1",
                   "--set", "net.max_output=65536", "--set", "net.rate=0"]

    def test_max_connections(self):
        self.server.wait_connections(0)  # the start-up probe has gone
        cs = [self.server.client() for _ in range(3)]
        for c in cs:
            self.assertTrue(c.request("ping")["ok"])
        extra = self.server.client()
        m = extra.recv()
        self.assertEqual(m["error"]["code"], "server_busy")
        self.assertTrue(extra.closed())
        self.assertTrue(cs[0].request("ping")["ok"])

    def test_idle_timeout_closes_silent_connections(self):
        c = self.server.client()
        self.assertTrue(c.request("ping")["ok"])
        self.assertTrue(c.closed(timeout=5))

    def test_client_that_stops_reading_is_dropped_and_others_unaffected(self):
        slow = self.server.client()
        slow.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        good = self.server.client()
        # Ask for far more output than max_output + socket buffers hold, never read.
        big = "y" * 30000
        sent = 0
        try:
            for i in range(400):
                slow.send({"op": "echo", "id": i, "text": big})
                sent += 1
        except OSError:
            pass
        deadline = time.time() + 10
        dropped = False
        while time.time() < deadline and not dropped:
            status, body = self.server.http_get("/metrics")
            dropped = 'chaos_disconnects_total{reason="output_overflow"} 1' in body
            self.assertTrue(good.request("ping")["ok"])
            time.sleep(0.1)
        self.assertTrue(dropped, "slow reader was not dropped")


if __name__ == "__main__":
    main()
