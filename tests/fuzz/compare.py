#!/usr/bin/env python3
"""Run generated cases (generate.py) on the reference and on Sluice; print agreement per feature.

usage: compare.py [--sluice BIN] [--work DIR] [--by-kind] CASE_DIR...

1. `../shared/reference/run.sh` with SIDDHI_REF_COMPARE=0 (the reference only; one JVM)
   writes ref.jsonl under WORK/ref.
2. Each case the reference ran is rewritten with the reference's full output as its
   `expect` (every row of `Out` and of `query:q1`, current and expired, and every
   on-demand answer) and run with `sluice test`, once in order and once `unordered`
   (the functions of ../shared/reference/compare.py, imported, not copied).
3. Verdicts: `agree` (same rows in the same order), `order` (same rows, another order),
   `differ`, `known-ref-bug` (a disagreement in an app carrying a construct on which the
   reference is known to be wrong: the generator's `fuzz.tags`, see README.md), and
   outside the count: `ref-refused` (the reference refused the app), `ref-timeout`.

The conformance README compares rows in order unless a case says `unordered: true`
(only where the reference's own order is not stable), so `order` is NOT agreement in
the strict figure; the table shows both.
"""
import argparse
import collections
import importlib.util
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared", "reference"))
if not os.path.isdir(SHARED):
    SHARED = "/work/shared/reference"
sys.path.insert(0, SHARED)
from cases2json import collect, load_case  # noqa: E402

_spec = importlib.util.spec_from_file_location("ref_compare", os.path.join(SHARED, "compare.py"))
ref_compare = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ref_compare)
sluice_vs_ref = ref_compare.sluice_vs_ref

# Tags (set by generate.py) naming constructs on which the reference is wrong
# (../shared/conformance/generated/README.md). A disagreement in an app that carries
# one is counted as `known-ref-bug`, not as a disagreement; an agreement stays one.
REF_BUG_TAGS = {
    "nopk-delete": "deleting the last row of a table without a primary key loses every later insert",
    "pk-and": "a @primaryKey table matches nothing for `on T.pk == x and …`",
    "pk-null": "primary-key lookups match null == null",
    "index-update": "an @index update that makes two rows equal drops one",
    "minmax-expiry": "min/max remove values by value (duplicates, out-of-order expiry)",
    "forever-batch": "minForever/maxForever are reset by batch windows",
    "partition-timer": "partition timers: same-ms timers fire once; timeBatch flushes only the first key",
    "output-time-playback": "output last/all/snapshot every T never fire in playback",
    "first-after-batch": "output first after a batch window without aggregation counts the reset event",
    "first-every-1": "output first every 1 events emits only the first event ever",
    "join-batch": "lengthBatch/timeBatch windows in a join keep every past batch",
    "unidirectional": "a unidirectional join subtracts rows it never added",
    # found by this generator (tests/cases/generated/partition_batch_window.yaml): the same query
    # outside a partition resets, so with one key the outputs must be equal
    "partition-batch": "#window.batch() inside a partition never resets its aggregates",
    "index-null": "an @index table throws NullPointerException on a null in the indexed column",
    # tests/cases/generated/pattern_not_cond_and_same_stream.yaml: matches completing at one event
    # are chained through the state events' `next` links, which the `not` state then unlinks
    "not-and-same-stream": "after `not S[c] and e=S`, of matches completing at one event only the first comes out",
}


def applies(tag, r):
    """Whether a tagged reference bug can explain r's disagreement (narrower where it can be told)."""
    if tag == "unidirectional":
        # rows subtracted that were never added: only an aggregate can show it
        return "count()" in r["app"] or "sum(" in r["app"]
    if tag == "first-every-1":
        # only the first event ever comes out (per group: the group is the first column)
        if "grouped" in r["tags"]:
            return r.get("ref_out_first_unique", True)
        return r.get("ref_out_rows", 0) <= 1
    if tag == "output-time-playback":
        # the reference never fires: it emitted nothing at all
        return r["ref_out_empty"]
    return True


def ref_facts(ref):
    """What applies() needs to know of the reference's output."""
    rows = ref["targets"].get("Out", {}).get("current") or []
    firsts = [json.dumps(x["d"][0]) for x in rows if x["d"]]
    return {"ref_out_empty": not rows, "ref_out_rows": len(rows),
            "ref_out_first_unique": len(set(firsts)) == len(firsts)}


def judge(r):
    """Sets r's verdict and detail from what was recorded (so --merge can judge again with
    today's REF_BUG_TAGS and applies())."""
    st = r["ref_status"]
    if st != "ok":
        r["verdict"], r["detail"] = ("ref-refused" if st == "refused" else "ref-" + st), r["sdetail"]
        return
    sv, detail = r["sv"], r["sdetail"]
    v = {"Y": "agree", "order": "order"}.get(sv, "differ")
    if v == "order" and r.get("unstable"):
        v = "order-unstable"
    if v == "differ" and "not built yet" in detail:
        v = "sl-notbuilt"
    bugs = [t for t in r["tags"] if t in REF_BUG_TAGS and applies(t, r)]
    if r.get("ref_runtime_error"):
        bugs.append("ref-runtime-error " + r["ref_runtime_error"])
    if v not in ("agree", "order-unstable") and bugs:
        if r.get("oracle") == "refuted":
            # partition_oracle.py: Sluice also differs from the reference run per key
            detail = "per-key oracle refutes " + ",".join(bugs) + ": " + detail
        else:
            v = "known-ref-bug"
            detail = ("verified per key, " if r.get("oracle") == "confirmed" else "") + ",".join(bugs) + ": " + detail
    r["verdict"], r["detail"] = v, detail


def outputs(ref):
    """What a reference run emitted (to tell whether two runs agree)."""
    return json.dumps([ref.get("targets"), ref.get("answers")], sort_keys=True)


def run_reference(paths, work, sub="ref", order="sorted"):
    env = dict(os.environ, SIDDHI_REF_COMPARE="0", SIDDHI_REF_OUT=os.path.join(work, sub), SLUICE="none",
               SIDDHI_REF_ORDER=order)
    subprocess.run([os.path.join(SHARED, "run.sh"), *paths], env=env, check=True, cwd=ROOT)
    refs = {}
    with open(os.path.join(work, sub, "ref.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            refs[os.path.normpath(r["path"])] = r
    return refs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sluice", default="/work/bin/sluice")
    ap.add_argument("--work", default="/work/fuzz-out/work")
    ap.add_argument("--by-kind", action="store_true", help="also print disagreements per feature and kind")
    ap.add_argument("--reuse-ref", action="store_true", help="reuse WORK/ref/ref.jsonl")
    ap.add_argument("--merge", action="store_true",
                    help="PATHS are work dirs of earlier runs: print the table over their results.json")
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    if a.merge:
        results = []
        for w in a.paths:
            refs = {}
            with open(os.path.join(w, "ref", "ref.jsonl")) as f:
                for line in f:
                    x = json.loads(line)
                    refs[os.path.normpath(x["path"])] = x
            with open(os.path.join(w, "results.json")) as f:
                for r in json.load(f):
                    ref = refs.get(r["path"])
                    if ref and ref["status"] == "ok":
                        r.update(ref_facts(ref))
                    if "ref_status" in r:  # judge again, with today's tags from the case file
                        with open(r["path"]) as c:
                            r["tags"] = (yaml.safe_load(c).get("fuzz") or {}).get("tags", [])
                        judge(r)
                    results.append(r)
        print_table(results, a.by_kind)
        return
    os.makedirs(a.work, exist_ok=True)
    paths = [os.path.abspath(p) for p in a.paths]
    if a.reuse_ref:
        refs = {}
        with open(os.path.join(a.work, "ref", "ref.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                refs[os.path.normpath(r["path"])] = r
    else:
        refs = run_reference(paths, a.work)
    files = [os.path.normpath(p) for p in collect(paths)]
    cases = {p: load_case(p) for p in files}
    ran = [(p, cases[p], refs[p]) for p in files if p in refs and refs[p]["status"] == "ok"]
    slref = sluice_vs_ref(a.sluice, ran, a.work)

    results = []
    for p in files:
        meta = cases[p].get("fuzz") or {}
        ref = refs.get(p)
        st = ref["status"] if ref else "missing"
        r = {"path": p, "feature": meta.get("feature", "?"), "kind": meta.get("kind", ""),
             "tags": meta.get("tags", []), "app": cases[p]["app"], "ref_status": st}
        if st == "ok":
            r["sv"], r["sdetail"] = slref.get(p, ("N", "no sluice verdict"))
            r.update(ref_facts(ref))
            r["ref_runtime_error"] = (ref.get("runtime_errors") or [""])[0][:80]
        else:
            r["sdetail"] = (ref or {}).get("message", "")[:300]
        judge(r)
        results.append(r)

    # `order`: is the reference's own order stable? Run those apps again (alone, in other orders:
    # other identity hashes); where the reference's output changes, its order means nothing.
    reordered = [r["path"] for r in results if r.get("sv") == "order"]
    if reordered:
        for n, order in enumerate(("reverse", "shuffle:7")):
            again = run_reference(reordered, a.work, sub=f"ref-again{n}", order=order)
            for r in results:
                if r.get("sv") == "order" and r["path"] in again and outputs(again[r["path"]]) != outputs(
                        refs[r["path"]]):
                    r["unstable"] = True
                    judge(r)
    with open(os.path.join(a.work, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    print_table(results, a.by_kind)


def print_table(results, by_kind=False):
    per = collections.OrderedDict()
    for r in sorted(results, key=lambda r: r["feature"]):
        per.setdefault(r["feature"], collections.Counter())[r["verdict"]] += 1
    tot = collections.Counter()
    print(f"{'feature':<10} {'apps':>5} {'agree':>6} {'order':>5} {'unstbl':>6} {'differ':>6} {'refbug':>6} {'refused':>7} "
          f"{'notbuilt':>8} {'strict%':>7} {'+order%':>7}")
    for feat, c in list(per.items()) + [("ALL", None)]:
        if c is None:
            c = tot
        else:
            tot.update(c)
        apps = c["agree"] + c["order"] + c["order-unstable"] + c["differ"]
        pct = lambda n: f"{100.0 * n / apps:.1f}" if apps else "-"  # noqa: E731
        print(f"{feat:<10} {apps:>5} {c['agree']:>6} {c['order']:>5} {c['order-unstable']:>6} {c['differ']:>6} {c['known-ref-bug']:>6} "
              f"{c['ref-refused'] + c['ref-timeout'] + c['ref-skipped']:>7} {c['sl-notbuilt']:>8} {pct(c['agree'] + c['order-unstable']):>7} "
              f"{pct(c['agree'] + c['order-unstable'] + c['order']):>7}")
    print("apps = agree + order + unstbl + differ (apps the reference ran, minus known reference bugs);"
          " order = same rows in another order where the reference's order is stable (NOT agreement in strict%);"
          " unstbl = same rows in another order where the reference's own order changes between runs (agreement);"
          " refbug = disagreements set aside as known reference bugs; refused = the reference refused or timed out;"
          " notbuilt = Sluice refused the app as not built yet (outside apps)")
    bugs = collections.Counter(r["detail"].split(":")[0] for r in results if r["verdict"] == "known-ref-bug")
    if bugs:
        print("\nset aside as known reference bugs (tags of the app):")
        for t, n in bugs.most_common():
            print(f"  {n:>4}  {t}")
    if by_kind:
        k = collections.Counter((r["feature"], r["kind"], r["verdict"]) for r in results
                                if r["verdict"] in ("differ", "order"))
        print("\ndisagreements per feature/kind:")
        for (f, kind, v), n in sorted(k.items(), key=lambda x: -x[1]):
            print(f"  {n:>4}  {f:<10} {kind:<30} {v}")


if __name__ == "__main__":
    main()
