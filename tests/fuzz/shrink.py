#!/usr/bin/env python3
"""Shrink the input of a generated case on which Sluice and the reference disagree.

usage: shrink.py CASE.yaml OUT.yaml [--sluice BIN] [--work DIR]

Repeatedly drops one input step (an event or a `{time: T}` step) while the disagreement
stays (Sluice's output differs from the reference's, also when only the order differs),
trying every one-step removal in one reference run per round. Writes the smallest case
found with the reference's output as its `expect` (the app is left as it is: shrink it
by hand, see README.md).
"""
import argparse
import copy
import os
import shutil
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare as fuzz  # noqa: E402  (tests/fuzz/compare.py)
import generate as gen  # noqa: E402


def verdicts(cases, work, sluice):
    d = os.path.join(work, "variants")
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    paths = []
    for n, c in enumerate(cases):
        p = os.path.join(d, f"v{n:03d}.yaml")
        with open(p, "w") as f:
            yaml.safe_dump(c, f, sort_keys=False)
        paths.append(os.path.normpath(p))
    refs = fuzz.run_reference([d], work)
    ran = [(p, c, refs[p]) for p, c in zip(paths, cases) if p in refs and refs[p]["status"] == "ok"]
    sl = fuzz.sluice_vs_ref(sluice, ran, work)
    return [(sl.get(p, ("?", ""))[0], refs.get(p)) for p in paths]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("case")
    ap.add_argument("out")
    ap.add_argument("--sluice", default="/work/bin/sluice")
    ap.add_argument("--work", default="/work/fuzz-out/shrink")
    a = ap.parse_args()
    with open(a.case) as f:
        case = yaml.safe_load(f)
    case.pop("fuzz", None)
    (v0, ref0), = verdicts([case], a.work, a.sluice)
    if v0 not in ("N", "order"):
        sys.exit(f"no disagreement to shrink (sluice vs reference: {v0})")
    best, best_ref = case, ref0
    while True:
        steps = best.get("input") or []
        variants = []
        for i in range(len(steps)):
            c = copy.deepcopy(best)
            del c["input"][i]
            variants.append(c)
        if not variants:
            break
        vs = verdicts(variants, a.work, a.sluice)
        hit = next((k for k, (v, _) in enumerate(vs) if v == v0), None)
        if hit is None:
            break
        best, best_ref = variants[hit], vs[hit][1]
        print(f"{len(best['input'])} steps", file=sys.stderr)
    out, _ = fuzz.ref_compare.ref_case(best, best_ref)
    out["origin"] = best.get("origin", "")
    with open(a.out, "w") as f:
        yaml.dump(out, f, Dumper=gen.Dumper, sort_keys=False, default_flow_style=None, width=110)
    print(f"{a.out}: {len(best.get('input') or [])} steps, sluice vs reference: {v0}")


if __name__ == "__main__":
    main()
