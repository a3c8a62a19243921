#!/usr/bin/env python3
"""Check the partition apps set aside as known reference bugs against a second oracle.

usage: partition_oracle.py [--sluice BIN] WORK_DIR...   (work dirs of compare.py runs)

The reference's bugs with partitions (timers of two keys due in the same millisecond fire
once, `timeBatch` flushes only the first key, `batch()` never resets) do not arise with one
key. A partition runs one copy of its queries per key, so its output is the union of the
outputs of the same queries, unpartitioned, each fed only its key's events. For every
partition app compare.py set aside as `known-ref-bug`, this runs those unpartitioned apps
on the reference (per key: that key's events, every `{time: T}` step, and a last step at
the input's last time), and checks Sluice's output of the partitioned app against their
union as a multiset (current rows of `Out`). Only apps whose set-aside tags are these
partition bugs alone, and where the reference did not throw, are checked (the per-key
runs still have the reference's other bugs). Then it records in results.json
`oracle: confirmed` (Sluice = the per-key reference: the reference's partitioned run was
wrong) or `oracle: refuted` (Sluice differs from that too: compare.py --merge counts it as
`differ`).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare as fuzz  # noqa: E402

PARTITION_BUGS = {"partition-timer", "partition-batch"}
RANGE = re.compile(r"(\w+)\s*(<=|>=|==|<|>)\s*(-?\d+)\s+as\s+'(\w+)'")


def split_app(app):
    """(define lines, key spec, body lines) of a generated partition app, or None."""
    lines = app.splitlines()
    try:
        p = next(i for i, line in enumerate(lines) if line.startswith("partition with"))
        b = lines.index("begin", p)
        e = lines.index("end;", b)
    except (StopIteration, ValueError):
        return None
    key = lines[p][len("partition with "):].strip()
    body = [line.replace("#Mid", "Mid") for line in lines[b + 1:e]]
    return lines[:p], key, body


def keys_of(key, attrs, data):
    """The partition keys an event belongs to (none when the key value is null)."""
    names = [a for a, _ in attrs]
    inner = key.strip("()")
    m = re.fullmatch(r"(\w+) of (\w+)", inner)
    if m:
        v = data[names.index(m.group(1))]
        return [] if v is None else [repr(v)]
    out = []
    for a, op, c, label in RANGE.findall(inner):
        v = data[names.index(a)]
        if v is None:
            continue
        c = int(c)
        if {"<": v < c, "<=": v <= c, ">": v > c, ">=": v >= c, "==": v == c}[op]:
            out.append(label)
    return out


def attrs_of(define_line):
    m = re.match(r"define stream (\w+) \((.*)\);", define_line)
    return [tuple(x.split()) for x in m.group(2).split(", ")]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="/work/bin/sluice")
    ap.add_argument("works", nargs="+")
    a = ap.parse_args()
    for work in a.works:
        path = os.path.join(work, "results.json")
        with open(path) as f:
            results = json.load(f)
        # only where the reference's partition bugs alone are in question: the per-key runs still
        # have its other bugs (min/max, batch resets of *Forever, a throw at run time)
        todo = [r for r in results if r["feature"] == "partition" and r["verdict"] == "known-ref-bug"
                and not r.get("ref_runtime_error")
                and {t for t in r["tags"] if t in fuzz.REF_BUG_TAGS} <= PARTITION_BUGS]
        for r in results:
            r.pop("oracle", None)
            if "ref_status" in r:
                fuzz.judge(r)
        if not todo:
            continue
        odir = os.path.join(work, "oracle")
        shutil.rmtree(odir, ignore_errors=True)
        os.makedirs(os.path.join(odir, "keys"))
        plan = {}
        for n, r in enumerate(todo):
            with open(r["path"]) as f:
                case = yaml.safe_load(f)
            parts = split_app(case["app"])
            if parts is None:
                continue
            defines, key, body = parts
            attrs = attrs_of(defines[0])
            steps = case.get("input") or []
            last = max([s.get("ts", 0) for s in steps] + [s.get("time", 0) for s in steps])
            per = {}
            for s in steps:
                if "stream" in s:
                    for k in keys_of(key, attrs, s["data"]):
                        per.setdefault(k, []).append(s)
            files = []
            for j, (k, evs) in enumerate(sorted(per.items())):
                sub = [s for s in steps if "time" in s or any(s is e for e in evs)]
                sub.append({"time": last})
                c = {"name": f"oracle_{n}_{j}", "app": "\n".join(defines + body) + "\n", "input": sub,
                     "expect": {"Out": {"current": []}}}
                fn = os.path.join(odir, "keys", f"{n:04d}_{j:02d}.yaml")
                with open(fn, "w") as f:
                    yaml.safe_dump(c, f, sort_keys=False)
                files.append(os.path.normpath(fn))
            plan[r["path"]] = (case, files)
        refs = fuzz.run_reference([os.path.join(odir, "keys")], odir)
        checks = {}
        for p, (case, files) in plan.items():
            rows, ok = [], True
            for fn in files:
                ref = refs.get(fn)
                if not ref or ref["status"] != "ok":
                    ok = False
                    break
                rows += [[v for v in r["d"]] for r in ref["targets"]["Out"]["current"]]
            if not ok:
                continue
            c = {"name": "oracle_" + os.path.basename(p)[:-5], "app": case["app"], "input": case.get("input") or [],
                 "expect": {"Out": {"current": rows, "unordered": True}}}
            fn = os.path.join(odir, os.path.basename(p))
            with open(fn, "w") as f:
                yaml.safe_dump(c, f, sort_keys=False)
            checks[os.path.normpath(fn)] = p
        verdicts = fuzz.ref_compare.run_sluice(a.sluice, list(checks))
        counts = {"confirmed": 0, "refuted": 0}
        for fn, p in checks.items():
            v = verdicts.get(fn, ("FAIL", ""))[0]
            for r in results:
                if r["path"] == p:
                    r["oracle"] = "confirmed" if v == "PASS" else "refuted"
                    counts[r["oracle"]] += 1
                    fuzz.judge(r)
        with open(path, "w") as f:
            json.dump(results, f, indent=1)
        print(f"{work}: {len(todo)} partition apps set aside; per-key oracle: {counts}")


if __name__ == "__main__":
    main()
