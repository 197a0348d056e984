"""The README's chaos-load example, as written, against a server with the default limits:
every connection stays up and every ping is answered (a load example that the server's
own rate limit (net.rate) disconnects is no example)."""
import json
import os
import shlex
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from harness import BIN, SRC, ServerTest, main  # noqa: E402


def readme_load_command():
    with open(os.path.join(SRC, "README.md")) as f:
        for line in f:
            if line.startswith("build/bin/chaos-load"):
                return shlex.split(line, comments=True)
    raise AssertionError("README.md has no build/bin/chaos-load line")


class ReadmeLoad(ServerTest):
    server_args = []  # the default limits: net.rate 50/s, burst 100, 20 strikes

    def test_readme_example_runs_within_the_default_limits(self):
        argv = readme_load_command()
        argv[0] = os.path.join(BIN, "chaos-load")
        argv += ["--port", str(self.server.port)]  # the only change: this test server's port
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr)
        out = json.loads(p.stdout.strip().splitlines()[-1])
        conns = int(argv[argv.index("--connections") + 1])
        self.assertEqual(out["connected"], conns, (out, p.stderr))
        self.assertEqual(out["errors"], 0, (out, p.stderr))
        self.assertGreater(out["requests"], 0, out)
        self.assertNotIn("rate_abuse", self.server.log())
        self.assertNotIn("rate_limited", p.stderr)


if __name__ == "__main__":
    main()
