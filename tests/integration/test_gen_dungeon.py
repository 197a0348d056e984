"""`chaosctl gen dungeon`: the content's dungeon as ASCII, the same map for the same seed,
clear exit codes for bad input (offline, no server)."""
import os
import subprocess
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import BIN, SRC, main  # noqa: E402


def gen(*args):
    return subprocess.run([os.path.join(BIN, "chaosctl"), "gen", *args], cwd=SRC,
                          capture_output=True, text=True, timeout=60)


class GenDungeonTest(unittest.TestCase):
    def test_same_seed_same_map(self):
        a = gen("dungeon", "--template", "wolf_den", "--seed", "42")
        b = gen("dungeon", "--template", "wolf_den", "--seed", "42")
        self.assertEqual(a.returncode, 0, a.stderr)
        self.assertEqual(a.stdout, b.stdout)
        rows = a.stdout.rstrip("\n").split("\n")
        self.assertEqual(len(rows), 24)  # content/dungeons.lua: size = {40, 24}
        self.assertTrue(all(len(r) == 40 for r in rows))
        text = "".join(rows)
        self.assertEqual(set(text) - set("#.SMCB"), set())
        self.assertEqual(text.count("S"), 1)
        self.assertEqual(text.count("B"), 1)
        self.assertEqual(rows[0], "#" * 40)
        other = gen("dungeon", "--template", "wolf_den", "--seed", "43")
        self.assertEqual(other.returncode, 0, other.stderr)
        self.assertNotEqual(other.stdout, a.stdout)

    def test_errors(self):
        r = gen("dungeon", "--template", "no_such", "--seed", "1")
        self.assertEqual(r.returncode, 1)
        self.assertIn("unknown dungeon template 'no_such'", r.stderr)
        r = gen("dungeon", "--template", "wolf_den", "--seed", "1.5")
        self.assertEqual(r.returncode, 2)
        self.assertIn("--seed must be", r.stderr)
        r = gen("dungeon", "--template", "wolf_den")
        self.assertEqual(r.returncode, 2)
        r = gen("castle")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown subcommand", r.stderr)


if __name__ == "__main__":
    main()
