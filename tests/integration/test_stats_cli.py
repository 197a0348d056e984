#!/usr/bin/env python3
"""CLI golden tests for `chaosctl stats resolve` (spec/stats.md worked examples).

Runs $CHAOS_BIN/chaosctl on every tests/data/stats/<name>.json that has a
<name>.expected.json next to it and checks the expected subset of the snapshot;
then feeds bad inputs and checks exit code 2 and that stderr names the element.
"""
import json
import math
import os
import subprocess
import sys
import tempfile
import unittest

SRC = os.environ.get("CHAOS_SRC", os.path.join(os.path.dirname(__file__), "..", ".."))
DATA = os.path.join(SRC, "tests", "data", "stats")
CTL = os.path.join(os.environ.get("CHAOS_BIN", os.path.join(SRC, "build", "bin")), "chaosctl")


def run(args, stdin=None):
    p = subprocess.run([CTL, "stats"] + args, input=stdin, capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def resolve(input_text, registry="registry.json", layers="layers.json", extra=()):
    args = ["resolve", "--registry", os.path.join(DATA, registry)]
    if layers:
        args += ["--layers", os.path.join(DATA, layers)]
    return run(args + list(extra) + ["-"], stdin=input_text)


def close(a, b):
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)


class Golden(unittest.TestCase):
    def check_subset(self, got, want, path=""):
        for k, v in want.items():
            self.assertIn(k, got, f"{path}{k} missing from {got}")
            if isinstance(v, dict):
                self.check_subset(got[k], v, f"{path}{k}.")
            else:
                self.assertTrue(close(got[k], v), f"{path}{k}: got {got[k]}, want {v}")

    def test_examples(self):
        names = sorted(f[:-len(".expected.json")] for f in os.listdir(DATA)
                       if f.endswith(".expected.json"))
        self.assertGreaterEqual(len(names), 7)
        for name in names:
            with self.subTest(example=name):
                registry = "registry_formula.json" if name.startswith("formula") else "registry.json"
                code, out, err = run(["resolve", "--registry", os.path.join(DATA, registry),
                                      "--layers", os.path.join(DATA, "layers.json"),
                                      os.path.join(DATA, name + ".json")])
                self.assertEqual(code, 0, err)
                got = json.loads(out)
                self.assertEqual(set(got), {"primary", "derived", "caps_used", "context", "version"})
                with open(os.path.join(DATA, name + ".expected.json")) as f:
                    self.check_subset(got, json.load(f))

    def test_example1_exact_output(self):
        with open(os.path.join(DATA, "example1_agility.json")) as f:
            code, out, err = resolve(f.read())
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out), {"primary": {"agility": 75}, "derived": {},
                                           "caps_used": {"agility": {"min": 0, "max": 75}},
                                           "context": {}, "version": 5})

    def test_empty_input_resolves_to_empty_snapshot(self):
        # Regression: "[]" made the engine do arithmetic on a NULL run array (found by the fuzzer).
        code, out, err = resolve("[]")
        self.assertEqual(code, 0, err)
        got = json.loads(out)
        self.assertEqual(got["primary"], {})
        self.assertEqual(got["derived"], {})
        self.assertEqual(got["caps_used"], {})

    def test_shuffled_input_same_output(self):
        with open(os.path.join(DATA, "formula_context_realm.json")) as f:
            data = json.load(f)
        outs = set()
        for order in (data, list(reversed(data))):
            code, out, err = resolve(json.dumps(order), registry="registry_formula.json")
            self.assertEqual(code, 0, err)
            outs.add(out)
        self.assertEqual(len(outs), 1)

    def test_prioritized_override_layers(self):
        inp = [{"primary": [{"dimension": "power", "bucket": "FLAT", "value": 100, "system": "job"}],
                "derived": [], "meta": {"system": "job"},
                "caps": [{"system": "w", "dimension": "power", "mode": "OVERRIDE", "kind": "max",
                          "value": 50, "scope": "WORLD"},
                         {"system": "e", "dimension": "power", "mode": "HARD_MAX", "kind": "max",
                          "value": 30, "scope": "EVENT"}]}]
        code, out, err = resolve(json.dumps(inp), layers="layers_prioritized.json")
        self.assertEqual(code, 0, err)
        self.assertEqual(json.loads(out)["primary"]["power"], 50)
        code, out, err = resolve(json.dumps(inp))
        self.assertEqual(json.loads(out)["primary"]["power"], 30)

    def test_realm_flag(self):
        inp = [{"primary": [{"dimension": "speed", "bucket": "FLAT", "value": 9, "system": "job"}],
                "derived": [], "meta": {"system": "job"},
                "caps": [{"system": "r", "dimension": "speed", "mode": "HARD_MAX", "kind": "max",
                          "value": 5, "scope": "REALM", "realm": "eu"}]}]
        self.assertEqual(json.loads(resolve(json.dumps(inp))[1])["primary"]["speed"], 9)
        out = resolve(json.dumps(inp), extra=["--realm", "eu"])[1]
        self.assertEqual(json.loads(out)["primary"]["speed"], 5)

    def test_help(self):
        code, out, _ = run(["--help"])
        self.assertEqual(code, 0)
        self.assertIn("--registry", out)


def contrib(**kw):
    c = {"dimension": "agility", "bucket": "FLAT", "value": 1, "system": "race"}
    c.update(kw)
    return c


def output(**kw):
    o = {"primary": [contrib()], "derived": [], "caps": [], "meta": {"system": "race"}}
    o.update(kw)
    return o


CAP = {"system": "w", "dimension": "agility", "mode": "HARD_MAX", "kind": "max", "value": 1}


class BadInput(unittest.TestCase):
    def expect_bad(self, text, needle, **kw):
        code, out, err = resolve(text, **kw)
        self.assertEqual(code, 2, f"stdout={out} stderr={err}")
        self.assertIn(needle, err)
        self.assertEqual(out, "")

    def test_cases(self):
        cases = [
            ("{not json", "input: invalid JSON"),
            ("{}", "input: expected an array"),
            ("[1]", "input[0]: expected a subsystem output"),
            (json.dumps([output(primary=[contrib(), contrib(), contrib(bucket="FLATT")])]),
             'input[0].primary[2].bucket: unknown bucket "FLATT"'),
            (json.dumps([output(), output(derived=[contrib(value="x")])]),
             "input[1].derived[0].value: expected a number"),
            (json.dumps([output(primary=[{"bucket": "FLAT", "value": 1, "system": "s"}])]),
             "input[0].primary[0].dimension: missing field"),
            (json.dumps([output(caps=[dict(CAP, mode="SOFT")])]),
             'input[0].caps[0].mode: unknown mode "SOFT"'),
            (json.dumps([output(caps=[dict(CAP, kind="min")])]), "input[0].caps[0].kind"),
            (json.dumps([output(caps=[dict(CAP, scope="REALM")])]),
             "input[0].caps[0].realm: a REALM cap needs a realm"),
            (json.dumps([output(caps=[{k: v for k, v in CAP.items() if k != "value"}])]),
             "input[0].caps[0].value: missing field"),
            ('[{"primary": [{"dimension": "a", "bucket": "FLAT", "value": NaN, "system": "s"}],'
             ' "derived": [], "caps": [], "meta": {"system": "s"}}]', "input: invalid JSON"),
            ('[{"primary": [{"dimension": "a", "bucket": "FLAT", "value": 1e999, "system": "s"}],'
             ' "derived": [], "caps": [], "meta": {"system": "s"}}]', "input: invalid JSON"),
            (json.dumps([output(meta={})]), "input[0].meta.system: missing field"),
            (json.dumps([{"primary": [], "caps": [], "meta": {"system": "s"}}]),
             "input[0].derived: missing field"),
            (json.dumps([output(primary=[contrib(priority=1.5)])]),
             "input[0].primary[0].priority"),
            (json.dumps([output(context={"damage": {"multipliers": ["x"]}})]),
             "input[0].context.damage.multipliers[0]"),
        ]
        for text, needle in cases:
            with self.subTest(needle=needle):
                self.expect_bad(text, needle)

    def test_bad_registry(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
            json.dump({"dimensions": {"luck": {"operator": "MINN"}}}, f)
        try:
            code, _, err = run(["resolve", "--registry", f.name, "-"], stdin="[]")
            self.assertEqual(code, 2)
            self.assertIn('registry.dimensions.luck.operator: unknown operator "MINN"', err)
        finally:
            os.unlink(f.name)

    def test_usage_errors(self):
        self.assertEqual(run(["resolve"])[0], 2)
        self.assertEqual(run(["frobnicate"])[0], 2)
        self.assertEqual(run(["resolve", "--registry", "/nonexistent.json", "-"], stdin="[]")[0], 2)


if __name__ == "__main__":
    result = unittest.main(exit=False, verbosity=2).result
    sys.exit(0 if result.wasSuccessful() else 1)
