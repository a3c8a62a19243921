#!/usr/bin/env python3
"""Random valid apps and inputs, one golden case (YAML) each, to run on the reference
implementation (Siddhi 5.1.7) and on Sluice and compare (issue 16).

usage: generate.py --seed S --count N --out DIR [--features f1,f2,...]

Writes DIR/<feature>/<feature>-<seed>-<n>.yaml. Deterministic from --seed (and the
feature list): the same arguments write the same files. Each case names `Out` and the
query `q1` in `expect` so that the reference records both; the expectations themselves
are placeholders (the comparison uses the reference's output, see compare.py).
Each case carries `fuzz:` metadata: its feature, sub-kind and `tags` naming constructs
on which the reference (5.1.7) is known to be wrong (../shared/conformance/generated/
README.md), which compare.py uses to set disagreements aside.

Only apps the reference accepts are meant to be generated: the `unique:*` and `first*`
windows and `expression*` windows are absent from the reference (siddhi-execution-unique
is not in its jars), so they are not generated.
"""
import argparse
import os
import random

import yaml

FEATURES = ["filter", "window", "aggregate", "table", "ratelimit", "partition", "join", "pattern", "sequence"]

TYPES = ["int", "long", "double", "string", "bool"]
STRS = ["A", "B", "C", "x", "y"]


class Ctx:
    """One app under construction: its random source, streams, tags."""

    def __init__(self, rng):
        self.rng = rng
        self.streams = {}  # name -> [(attr, type)]
        self.tags = set()
        self.kind = ""
        self.win = ""

    def r(self):
        return self.rng.random()

    def choice(self, xs):
        return self.rng.choice(xs)

    def new_stream(self, name, min_attrs=1, max_attrs=3, must=None):
        n = self.rng.randint(min_attrs, max_attrs)
        attrs = []
        letters = {"int": "i", "long": "l", "double": "d", "string": "t", "bool": "b", "float": "f"}
        types = list(must or [])
        while len(types) < n:
            types.append(self.choice(TYPES + ["int", "string"]))
        self.rng.shuffle(types)
        seen = {}
        for t in types:
            base = letters[t]
            k = seen.get(base, 0)
            seen[base] = k + 1
            attrs.append((base if k == 0 else f"{base}{k}", t))
        self.streams[name] = attrs
        return attrs

    def const(self, t):
        if t == "int":
            return str(self.rng.randint(-2, 8))
        if t == "long":
            return str(self.rng.randint(0, 12))
        if t == "double":
            return self.choice(["0.5", "2.0", "3.5", "-1.5", "4.25"])
        if t == "float":
            return self.choice(["0.5", "2.0", "3.5"])
        if t == "string":
            return "'" + self.choice(STRS) + "'"
        return self.choice(["true", "false"])

    def value(self, t, nulls):
        if nulls and self.r() < nulls:
            return None
        if t == "int":
            return self.rng.randint(-3, 9)
        if t == "long":
            return self.rng.randint(0, 14)
        if t in ("double", "float"):
            return self.choice([0.5, 1.0, 2.0, 2.5, 3.5, -1.5, 4.25, 7.0])
        if t == "string":
            return self.choice(STRS)
        return self.r() < 0.5


# ------------------------------------------------------------------ expressions
NUM = ("int", "long", "double")


def attrs_of(ctx, attrs, types):
    return [(a, t) for a, t in attrs if t in types]


def num_expr(ctx, attrs, depth=0, prefix=""):
    """A numeric expression over attrs; returns (text, type)."""
    nums = attrs_of(ctx, attrs, NUM)
    r = ctx.r()
    if depth >= 2 or r < 0.35 or not nums:
        if nums and ctx.r() < 0.8:
            a, t = ctx.choice(nums)
            return prefix + a, t
        t = ctx.choice(["int", "double"])
        return ctx.const(t), t
    if r < 0.7:
        x, tx = num_expr(ctx, attrs, depth + 1, prefix)
        y, ty = num_expr(ctx, attrs, depth + 1, prefix)
        op = ctx.choice(["+", "-", "*", "+", "-"])
        t = "double" if "double" in (tx, ty) else ("long" if "long" in (tx, ty) else "int")
        return f"({x} {op} {y})", t
    if r < 0.78:
        x, tx = num_expr(ctx, attrs, depth + 1, prefix)
        c = ctx.choice(["2", "3", "4"])
        if ctx.r() < 0.5:
            return f"({x} % {c})", tx
        return f"({x} / {c}.0)", "double"
    if r < 0.88:
        x, tx = num_expr(ctx, attrs, depth + 1, prefix)
        y, ty = num_expr(ctx, attrs, depth + 1, prefix)
        if tx != ty:
            return f"convert({x}, 'double')", "double"
        f = ctx.choice(["maximum", "minimum", "coalesce"])
        return f"{f}({x}, {y})", tx
    x, tx = num_expr(ctx, attrs, depth + 1, prefix)
    y = ctx.const(tx) + ("L" if tx == "long" else "")
    c = cond(ctx, attrs, depth + 1, prefix)
    return f"ifThenElse({c}, {x}, {y})", tx


def cond(ctx, attrs, depth=0, prefix=""):
    """A boolean condition over attrs (nulls, !=, and/or/not, arithmetic, functions)."""
    r = ctx.r()
    if depth < 2 and r < 0.25:
        a = cond(ctx, attrs, depth + 1, prefix)
        b = cond(ctx, attrs, depth + 1, prefix)
        return f"({a} {ctx.choice(['and', 'or'])} {b})"
    if depth < 2 and r < 0.3:
        return f"not ({cond(ctx, attrs, depth + 1, prefix)})"
    if r < 0.34 and attrs:
        a, _ = ctx.choice(attrs)
        return f"{prefix}{a} is null"
    strs = attrs_of(ctx, attrs, ("string",))
    bools = attrs_of(ctx, attrs, ("bool",))
    if r < 0.5 and strs:
        a, _ = ctx.choice(strs)
        return f"{prefix}{a} {ctx.choice(['==', '!='])} {ctx.const('string')}"
    if r < 0.55 and bools:
        a, _ = ctx.choice(bools)
        return ctx.choice([f"{prefix}{a}", f"{prefix}{a} == {ctx.const('bool')}", f"{prefix}{a} != true"])
    if r < 0.6 and attrs:
        a, t = ctx.choice(attrs)
        f = {"int": "instanceOfInteger", "long": "instanceOfLong", "double": "instanceOfDouble",
             "string": "instanceOfString", "bool": "instanceOfBoolean", "float": "instanceOfFloat"}[t]
        return f"{f}({prefix}{a})"
    x, _ = num_expr(ctx, attrs, depth + 1, prefix)
    nums = attrs_of(ctx, attrs, NUM)
    if nums and ctx.r() < 0.3:
        y = prefix + ctx.choice(nums)[0]
    else:
        y = ctx.const(ctx.choice(["int", "double"]))
    return f"{x} {ctx.choice(['>', '<', '>=', '<=', '==', '!='])} {y}"


# ------------------------------------------------------------------ input
def events(ctx, streams, n, nulls=0.0, t0=None, gap=(0, 900), ticks=0.1, ets=None):
    """n events over the given streams with increasing ts; a {time: T} step now and then,
    and one at the end (so time windows and `for` periods have a chance to end)."""
    t = t0 if t0 is not None else ctx.rng.randint(1000, 5000)
    steps = []
    for _ in range(n):
        t += ctx.rng.randint(*gap)
        s = ctx.choice(streams)
        data = []
        for a, ty in ctx.streams[s]:
            if ets and a == ets:
                data.append(t + ctx.rng.randint(-300, 0) if ctx.r() < 0.3 else t)
            else:
                data.append(ctx.value(ty, nulls))
        steps.append({"stream": s, "data": data, "ts": t})
        if ctx.r() < ticks:
            t += ctx.rng.randint(200, 3000)
            steps.append({"time": t})
    if ctx.r() < 0.6:
        steps.append({"time": t + ctx.rng.randint(500, 6000)})
    return steps


def define(ctx, name):
    return f"define stream {name} (" + ", ".join(f"{a} {t}" for a, t in ctx.streams[name]) + ");"


def project(ctx, attrs, k=None, prefix=""):
    k = k or ctx.rng.randint(1, min(3, len(attrs)))
    picked = ctx.rng.sample(attrs, k)
    return [f"{prefix}{a} as {a}" if prefix else a for a, _ in picked]


def insert_kind(ctx, p_all=0.2, p_exp=0.1):
    r = ctx.r()
    if r < p_all:
        return "insert all events into Out;"
    if r < p_all + p_exp:
        return "insert expired events into Out;"
    return "insert into Out;"


# ------------------------------------------------------------------ windows
def window(ctx, attrs, allow_batch=True, ext=None):
    """A core window over attrs; returns its text (`#window.x(...)`), and sets ctx.kind."""
    nums = attrs_of(ctx, attrs, NUM)
    kinds = ["length", "time", "timeLength", "sort", "frequent", "lossyFrequent", "delay", "session"]
    if allow_batch:
        kinds += ["lengthBatch", "timeBatch", "batch"]
    if ext:
        kinds += ["externalTime"] + (["externalTimeBatch"] if allow_batch else [])
    k = ctx.choice(kinds)
    ctx.kind = k
    ctx.win = k
    sec = lambda: ctx.choice(["500 milliseconds", "1 sec", "2 sec", "3 sec", "1500 milliseconds"])  # noqa: E731
    if k == "length":
        return f"#window.length({ctx.rng.randint(1, 4)})"
    if k == "lengthBatch":
        return f"#window.lengthBatch({ctx.rng.randint(1, 4)}{', true' if ctx.r() < 0.2 else ''})"
    if k == "time":
        return f"#window.time({sec()})"
    if k == "timeBatch":
        return f"#window.timeBatch({sec()}{', ' + str(ctx.rng.randint(0, 900)) if ctx.r() < 0.3 else ''})"
    if k == "timeLength":
        return f"#window.timeLength({sec()}, {ctx.rng.randint(1, 4)})"
    if k == "batch":
        # `batch(n)` (a maximum batch length) is refused by Sluice as not built yet: not generated
        return "#window.batch()"
    if k == "sort":
        keys = [x for x in attrs if x[1] != "bool"]
        if not keys:
            ctx.kind = ctx.win = "length"
            return f"#window.length({ctx.rng.randint(1, 4)})"
        a = ctx.choice(keys if ctx.r() < 0.2 or not nums else nums)[0]
        ctx.tags.add("sort")
        return f"#window.sort({ctx.rng.randint(1, 4)}, {a}{', ' + repr(ctx.choice(['asc', 'desc'])) if ctx.r() < 0.6 else ''})"
    if k == "frequent":
        ks = [a for a, t in attrs if t == "string"]
        if ks and ctx.r() < 0.8:
            return f"#window.frequent({ctx.rng.randint(1, 3)}, {ctx.choice(ks)})"
        ctx.tags.add("frequent-noattr")
        return f"#window.frequent({ctx.rng.randint(1, 3)})"
    if k == "lossyFrequent":
        ks = [a for a, t in attrs if t == "string"]
        s = ctx.choice(["0.1", "0.3", "0.5"])
        e = ctx.choice(["0.05", "0.1"])
        if ks and ctx.r() < 0.8:
            return f"#window.lossyFrequent({s}, {e}, {ctx.choice(ks)})"
        return f"#window.lossyFrequent({s}, {e})"
    if k == "delay":
        return f"#window.delay({sec()})"
    if k == "session":
        ks = [a for a, t in attrs if t == "string"]
        gap = sec()
        if ks and ctx.r() < 0.5:
            return f"#window.session({gap}, {ctx.choice(ks)})"
        return f"#window.session({gap})"
    if k == "externalTime":
        return f"#window.externalTime({ext}, {sec()})"
    if k == "externalTimeBatch":
        extra = ""
        if ctx.r() < 0.3:
            extra = f", {ctx.rng.randint(0, 3000)}"
            if ctx.r() < 0.4:
                extra += f", {ctx.choice(['1 sec', '2 sec'])}"
        return f"#window.externalTimeBatch({ext}, {sec()}{extra})"
    raise AssertionError(k)


SLIDING = ("length", "time", "timeLength", "sort", "externalTime", "delay", "session", "frequent",
           "lossyFrequent")
AGGS = ["sum", "count", "avg", "min", "max", "distinctCount", "minForever", "maxForever", "stdDev"]


def aggregates(ctx, attrs, n, prefix="", batch=False):
    nums = attrs_of(ctx, attrs, NUM)
    out = []
    for i in range(n):
        f = ctx.choice(AGGS)
        if f == "count":
            out.append(f"count() as a{i}")
            continue
        if f == "distinctCount":
            a = ctx.choice([x for x in attrs if x[1] != "bool"] or [("1", "int")])[0]
            out.append(f"distinctCount({prefix}{a}) as a{i}")
            continue
        if not nums:
            out.append(f"count() as a{i}")
            continue
        a = ctx.choice(nums)[0]
        if f in ("min", "max") and ctx.win in SLIDING:
            ctx.tags.add("minmax-expiry")
        if f in ("minForever", "maxForever") and batch:
            ctx.tags.add("forever-batch")
        out.append(f"{f}({prefix}{a}) as a{i}")
    return out


# ------------------------------------------------------------------ features
def gen_filter(ctx):
    ctx.new_stream("S1", 1, 4)
    attrs = ctx.streams["S1"]
    sel = project(ctx, attrs)
    if ctx.r() < 0.7:
        x, _ = num_expr(ctx, attrs)
        sel.append(f"{x} as c0")
    if ctx.r() < 0.3:
        sel.append(f"{cond(ctx, attrs)} as c1")
    ctx.kind = "filter"
    app = [define(ctx, "S1"), "@info(name = 'q1')",
           f"from S1[{cond(ctx, attrs)}]", "select " + ", ".join(sel), "insert into Out;"]
    return app, events(ctx, ["S1"], ctx.rng.randint(3, 12), nulls=0.15, ticks=0)


def gen_window(ctx, agg=False):
    must = ["long"] if ctx.r() < 0.3 else []
    attrs = ctx.new_stream("S1", 1, 3, must=must)
    ext = next((a for a, t in attrs if t == "long"), None)
    w = window(ctx, attrs, ext=ext)
    batch = ctx.kind in ("lengthBatch", "timeBatch", "batch", "externalTimeBatch")
    if agg:
        sel = aggregates(ctx, attrs, ctx.rng.randint(1, 3), batch=batch)
        tail = []
        groupable = [a for a, t in attrs if t in ("string", "int", "bool")]
        if groupable and ctx.r() < 0.6:
            g = ctx.choice(groupable)
            sel.insert(0, g)
            tail.append(f"group by {g}")
        if ctx.r() < 0.3:
            tail.append(f"having a0 {ctx.choice(['>', '<', '!=', '>='])} {ctx.rng.randint(0, 6)}")
        if ctx.r() < 0.3:
            tail.append(f"order by a0{ctx.choice(['', ' desc', ' asc'])}")
        if ctx.r() < 0.25:
            tail.append(f"limit {ctx.rng.randint(1, 3)}")
            if ctx.r() < 0.3:
                tail.append(f"offset {ctx.rng.randint(0, 2)}")
        if ctx.r() < 0.15:
            sel.append("eventTimestamp() as et")
    else:
        sel = project(ctx, attrs)
        tail = []
        if ctx.r() < 0.2:
            sel.append("eventTimestamp() as et")
    if ctx.kind in ("delay",) and ctx.r() < 0.5:
        pass
    filt = f"[{cond(ctx, attrs)}]" if ctx.r() < 0.2 else ""
    app = [define(ctx, "S1"), "@info(name = 'q1')", f"from S1{filt}{w}", "select " + ", ".join(sel)] + tail
    app.append(insert_kind(ctx))
    if ctx.kind in ("timeBatch", "time", "session", "delay", "timeLength") and "insert into Out;" not in app[-1]:
        ctx.tags.add("timebatch-all")
    return app, events(ctx, ["S1"], ctx.rng.randint(3, 12), nulls=0.05 if agg else 0.0, ticks=0.15, ets=ext)


def gen_aggregate(ctx):
    return gen_window(ctx, agg=True)


def gen_table(ctx):
    ctx.streams["S1"] = [("t", "string"), ("i", "int")] + ([("d", "double")] if ctx.r() < 0.3 else [])
    ctx.streams["S2"] = [("t", "string"), ("i", "int")]
    pk = ctx.r() < 0.5
    idx = not pk and ctx.r() < 0.2
    ctx.streams["T"] = [("t", "string"), ("i", "int")]
    ann = "@primaryKey('t') " if pk else ("@index('i') " if idx else "")
    lines = [define(ctx, "S1"), define(ctx, "S2"), f"{ann}define table T (t string, i int);"]
    ops = []
    mode = ctx.choice(["insert", "upsert"])
    if mode == "insert":
        ops.append("from S1 select t, i insert into T;")
        ctx.kind = "insert"
    else:
        ops.append("from S1 select t, i update or insert into T on T.t == t;")
        ctx.kind = "upsert"
    extra = ctx.choice(["delete", "update", "in", "join", "none", "join"])
    ctx.kind = (ctx.kind + "+" if ctx.kind else "") + extra
    on = ctx.choice(["T.t == t", "T.t == t", "T.i == i", "T.t == t and T.i < i", "T.i > i"])
    if pk and " and " in on:
        ctx.tags.add("pk-and")
    if extra == "delete":
        ops.append(f"from S2 delete T on {on};")
        if not pk:
            ctx.tags.add("nopk-delete")
    elif extra == "update":
        ops.append(f"from S2 update T set T.i = i on {on};")
        if idx:
            ctx.tags.add("index-update")
    qs = []
    if extra == "in":
        qs.append(f"from S2[({on}) in T] select t, i insert into Out;")
    elif extra == "join":
        jt = ctx.choice(["join", "left outer join"])
        side = "#window.length(1)" if ctx.r() < 0.5 else ""
        if not side:
            ctx.tags.add("join-windowless")
        on2 = on.replace("T.t == t", "T.t == s.t").replace("T.i == i", "T.i == s.i").replace(
            "T.i < i", "T.i < s.i").replace("T.i > i", "T.i > s.i")
        qs.append(f"from S2{side} as s {jt} T on {on2} select s.t as st, T.i as ti, s.i as si insert into Out;")
    else:
        qs.append("from S2 select t, i insert into Out;")
    body = []
    for n, q in enumerate(qs + ops):
        body.append(f"@info(name = 'q{n + 1}')")
        body.append(q)
    evs = events(ctx, ["S1", "S1", "S2"], ctx.rng.randint(4, 14), nulls=0.04, ticks=0)
    evs.append({"query": "from T select t, i"})
    if idx and any(s.get("data", [0, 0])[1] is None for s in evs if s.get("stream") == "S1"):
        ctx.tags.add("index-null")
    if pk and any(s.get("data", [0])[0] is None for s in evs if s.get("stream") == "S1"):
        ctx.tags.add("pk-null")
    return lines + body, evs


def gen_ratelimit(ctx):
    attrs = ctx.new_stream("S1", 1, 3, must=["string"] if ctx.r() < 0.5 else [])
    w = ""
    batch = False
    if ctx.r() < 0.4:
        w = window(ctx, attrs, ext=None)
        batch = ctx.kind in ("lengthBatch", "timeBatch", "batch")
    agg = ctx.r() < 0.5
    if agg:
        sel = aggregates(ctx, attrs, ctx.rng.randint(1, 2), batch=batch)
    else:
        sel = project(ctx, attrs)
    tail = []
    groupable = [a for a, t in attrs if t in ("string", "int", "bool")]
    if agg and groupable and ctx.r() < 0.5:
        g = ctx.choice(groupable)
        sel.insert(0, g)
        tail.append(f"group by {g}")
        ctx.tags.add("grouped")
    r = ctx.r()
    which = ctx.choice(["first", "last", "all", ""])
    if r < 0.5:
        n = ctx.rng.randint(1, 4)
        tail.append(f"output {which + ' ' if which else ''}every {n} events".replace("  ", " "))
        ctx.kind = f"{which or 'all'}-events"
        if which == "first" and n == 1:
            ctx.tags.add("first-every-1")
        if which == "first" and batch and not agg:
            ctx.tags.add("first-after-batch")
    elif r < 0.85:
        tail.append(f"output {which + ' ' if which else ''}every {ctx.choice(['1 sec', '2 sec', '500 milliseconds'])}")
        ctx.kind = f"{which or 'all'}-time"
        if which != "first":
            ctx.tags.add("output-time-playback")
        if which == "first" and batch and not agg:
            ctx.tags.add("first-after-batch")
    else:
        tail.append(f"output snapshot every {ctx.choice(['1 sec', '2 sec'])}")
        ctx.kind = "snapshot"
        ctx.tags.add("output-time-playback")
    app = [define(ctx, "S1"), "@info(name = 'q1')", f"from S1{w}", "select " + ", ".join(sel)] + tail
    app.append("insert into Out;")
    return app, events(ctx, ["S1"], ctx.rng.randint(4, 14), ticks=0.2)


def gen_partition(ctx):
    attrs = ctx.new_stream("S1", 2, 3, must=["string", "int"])
    ranged = ctx.r() < 0.35
    if ranged:
        c = ctx.rng.randint(0, 5)
        parts = [f"i < {c} as 'low'", f"i >= {c} as 'high'"]
        if ctx.r() < 0.3:
            parts.append(f"i == {ctx.rng.randint(0, 5)} as 'eq'")
        key = "(" + " or ".join(parts) + " of S1)"
        ctx.kind = "range"
    else:
        k = ctx.choice([a for a, t in attrs if t in ("string", "int")])
        key = f"({k} of S1)"
        ctx.kind = "value"
    w = ""
    if ctx.r() < 0.6:
        w = window(ctx, attrs)
        ctx.kind += "+" + ctx.kind.split("+")[-1] if False else ""
        if ctx.kind not in ("range", "value"):
            pass
    wk = ctx.kind
    kind = ("range" if ranged else "value") + ("+" + wk if w else "")
    ctx.kind = kind
    if w and any(x in w for x in ("time", "session", "delay")):
        ctx.tags.add("partition-timer")
    if w == "#window.batch()":
        ctx.tags.add("partition-batch")
    batch = w and any(x in w for x in ("Batch", "batch("))
    if ctx.r() < 0.6:
        sel = ["t"] + aggregates(ctx, attrs, ctx.rng.randint(1, 2), batch=batch)
    else:
        sel = project(ctx, attrs)
    inner = ctx.r() < 0.3
    q = [f"from S1{w}", "select " + ", ".join(sel)]
    if inner:
        body = ["@info(name = 'q1')"] + q + ["insert into #Mid;", "@info(name = 'q2')",
                                              f"from #Mid select {sel[0].split(' as ')[-1]} insert into Out;"]
        ctx.kind += "+inner"
    else:
        body = ["@info(name = 'q1')"] + q + [insert_kind(ctx, 0.1, 0.05)]
    app = [define(ctx, "S1"), f"partition with {key}", "begin"] + body + ["end;"]
    return app, events(ctx, ["S1"], ctx.rng.randint(4, 14), nulls=0.04, ticks=0.15)


def gen_join(ctx):
    a1 = ctx.new_stream("S1", 1, 3, must=["int"])
    a2 = ctx.new_stream("S2", 1, 3, must=["int"])

    def side(attrs):
        r = ctx.r()
        if r < 0.12:
            ctx.tags.add("join-windowless")
            return "", "none"
        if r < 0.5:
            return f"#window.length({ctx.rng.randint(1, 3)})", "length"
        if r < 0.8:
            return f"#window.time({ctx.choice(['1 sec', '2 sec'])})", "time"
        ctx.tags.add("join-batch")
        if ctx.r() < 0.5:
            return f"#window.lengthBatch({ctx.rng.randint(1, 3)})", "lengthBatch"
        return f"#window.timeBatch({ctx.choice(['1 sec', '2 sec'])})", "timeBatch"
    w1, k1 = side(a1)
    w2, k2 = side(a2)
    jt = ctx.choice(["join", "join", "left outer join", "right outer join", "full outer join", "inner join"])
    uni = ""
    if jt in ("join", "inner join", "left outer join") and ctx.r() < 0.25:
        uni = " unidirectional"
        ctx.tags.add("unidirectional")
        if jt != "left outer join" and ctx.r() < 0.5:
            pass
    on = ctx.choice(["a.i == b.i", "a.i == b.i", "a.i < b.i", "a.i != b.i"])
    on_part = f" on {on}" if ctx.r() < 0.85 else ""
    ctx.kind = f"{jt.replace(' join', '').replace('join', 'inner')}{'+uni' if uni else ''}"
    agg = ctx.r() < 0.3
    if agg:
        sel = ["a.i as ai", "count() as c0"]
        if ctx.r() < 0.5:
            sel.append("sum(b.i) as s0")
        tail = ["group by a.i"] if ctx.r() < 0.6 else []
    else:
        sel = [f"a.{a} as a_{a}" for a, _ in ctx.rng.sample(a1, ctx.rng.randint(1, len(a1)))]
        sel += [f"b.{a} as b_{a}" for a, _ in ctx.rng.sample(a2, ctx.rng.randint(1, len(a2)))]
        tail = []
    app = [define(ctx, "S1"), define(ctx, "S2"), "@info(name = 'q1')",
           f"from S1{w1} as a{uni} {jt} S2{w2} as b{on_part}", "select " + ", ".join(sel)] + tail
    app.append(insert_kind(ctx, 0.15, 0.05))
    evs = events(ctx, ["S1", "S2"], ctx.rng.randint(3, 12), ticks=0.15)
    for e in evs:
        if "data" in e:
            for j, (a, t) in enumerate(ctx.streams[e["stream"]]):
                if a == "i":
                    e["data"][j] = ctx.rng.randint(0, 3)
    return app, evs


def pattern_state(ctx, n, streams, seq, prev_names, counts=True):
    """One state e<n>=S[cond] with maybe a count/quantifier; returns (text, name, counted)."""
    s = streams[0] if ctx.r() < 0.5 else ctx.choice(streams)
    attrs = ctx.streams[s]
    c = ""
    if ctx.r() < 0.25:
        c = f"[{cond(ctx, attrs, 1)}]"
    elif prev_names and ctx.r() < 0.2:
        pn, ps = ctx.choice(prev_names)
        shared = [a for a, t in attrs if a in dict(ctx.streams[ps]) and t in NUM]
        if shared:
            a = ctx.choice(shared)
            c = f"[{a} {ctx.choice(['>', '<', '>=', '!='])} e{pn}.{a}]" if not pn.endswith("c") else ""
    name = f"e{n}"
    q = ""
    counted = False
    r = ctx.r() if counts else 1.0
    if seq:
        if r < 0.1:
            q = "?"
        elif r < 0.2:
            q = "*"
        elif r < 0.3:
            q = "+"
        counted = q in ("*", "+", "?")
    else:
        if r < 0.25:
            lo = ctx.rng.randint(0, 2)
            hi = ctx.choice([lo, lo + 1, lo + 2, None])
            if hi == 0 and lo == 0:
                hi = 1
            q = f"<{lo}:{hi if hi is not None else ''}>" if ctx.r() < 0.8 else f"<{ctx.rng.randint(1, 3)}>"
            counted = True
    return f"{name}={s}{c}{q}", name, s, counted


def gen_pattern(ctx, seq=False):
    ctx.new_stream("S1", 1, 2, must=["int"])
    if ctx.r() < 0.6:
        ctx.new_stream("S2", 1, 2, must=["int"])
    streams = list(ctx.streams)
    n_states = ctx.rng.randint(2, 4) if ctx.r() < 0.7 else 1
    parts, refs = [], []
    kinds = set()
    for n in range(1, n_states + 1):
        r = ctx.r()
        if n > 1 and r < 0.15 and not seq:
            # logical state
            t1, nm1, s1, c1 = pattern_state(ctx, n, streams, seq, [], counts=False)
            s2 = ctx.choice(streams)
            op = ctx.choice(["and", "or"])
            nm2 = f"e{n}b"
            parts.append(f"{t1} {op} {nm2}={s2}")
            refs += [(nm1, s1, False), (nm2, s2, False)]
            kinds.add(op)
            continue
        if r < 0.25 and not seq:
            s = ctx.choice(streams)
            if ctx.r() < 0.6 and n > 1:
                parts.append(f"not {s}{'[' + cond(ctx, ctx.streams[s], 1) + ']' if ctx.r() < 0.3 else ''} for {ctx.choice(['1 sec', '2 sec'])}")
                kinds.add("not-for")
            else:
                t1, nm1, s1, _ = pattern_state(ctx, n, streams, seq, [], counts=False)
                others = [x for x in streams if x != s1]
                if others:
                    s = ctx.choice(others)
                    parts.append(f"not {s} and {t1}")
                else:
                    parts.append(f"not {s}[{cond(ctx, ctx.streams[s], 1)}] and {t1}")
                    ctx.tags.add("not-and-same-stream")
                refs.append((nm1, s1, False))
                kinds.add("not-and")
            continue
        t, nm, s, counted = pattern_state(ctx, n, streams, seq, [(x[0][1:], x[1]) for x in refs if not x[2]])
        if counted:
            kinds.add("count")
        parts.append(t)
        refs.append((nm, s, counted))
    if seq and len(parts) == 1 and refs and refs[0][2]:
        # the reference refuses a sequence of one quantified state (`from e1=S+ select`)
        parts, refs = [], []
    if not refs:
        t, nm, s, counted = pattern_state(ctx, n_states + 1, streams, seq, [], counts=not seq)
        parts.append(t)
        refs.append((nm, s, counted))
    every = ctx.r() < 0.55
    sep = ", " if seq else " -> "
    if every:
        kinds.add("every")
        if not seq and len(parts) > 1 and ctx.r() < 0.3:
            k = ctx.rng.randint(2, len(parts))
            body = "every (" + sep.join(parts[:k]) + ")" + (sep + sep.join(parts[k:]) if parts[k:] else "")
        elif not seq and len(parts) > 1 and ctx.r() < 0.2:
            k = ctx.rng.randint(1, len(parts) - 1)
            body = sep.join(parts[:k]) + sep + "every " + sep.join(parts[k:])
        else:
            body = "every " + sep.join(parts)
    else:
        body = sep.join(parts)
    if body.startswith("every not") or "every not" in body:
        body = body.replace("every not", "not")
    if ctx.r() < 0.25:
        body += f" within {ctx.choice(['1 sec', '2 sec', '3 sec'])}"
        kinds.add("within")
    sel = []
    for nm, s, counted in refs:
        a = ctx.choice(ctx.streams[s])[0]
        if counted:
            sel.append(f"{nm}[{ctx.choice(['0', 'last', '1'])}].{a} as {nm}{a}")
        else:
            sel.append(f"{nm}.{a} as {nm}{a}")
    sel = ctx.rng.sample(sel, ctx.rng.randint(1, len(sel)))
    ctx.kind = "+".join(sorted(kinds)) or "plain"
    app = [*(define(ctx, s) for s in streams), "@info(name = 'q1')", f"from {body}",
           "select " + ", ".join(sel), "insert into Out;"]
    return app, events(ctx, streams, ctx.rng.randint(3, 14), gap=(0, 1200), ticks=0.15)


def gen_sequence(ctx):
    return gen_pattern(ctx, seq=True)


GEN = {"filter": gen_filter, "window": lambda c: gen_window(c, False), "aggregate": gen_aggregate,
       "table": gen_table, "ratelimit": gen_ratelimit, "partition": gen_partition, "join": gen_join,
       "pattern": gen_pattern, "sequence": gen_sequence}


class Dumper(yaml.SafeDumper):
    pass


def _str(d, s):
    if "\n" in s:
        return d.represent_scalar("tag:yaml.org,2002:str", s, style="|")
    return d.represent_scalar("tag:yaml.org,2002:str", s)


Dumper.add_representer(str, _str)


def make_case(seed, feature, n):
    rng = random.Random(f"{seed}:{feature}:{n}")
    ctx = Ctx(rng)
    app, steps = GEN[feature](ctx)
    expect = {"Out": {"current": []}}
    # the reference cannot observe a query inside a partition (its callback sees nothing)
    if any("name = 'q1'" in line for line in app) and feature != "partition":
        expect["query:q1"] = {"current": []}
    # YAML 1.2 parses bare yes/no/on/off as strings already; strings we generate are safe.
    return {
        "name": f"fuzz_{feature}_{seed}_{n}",
        "origin": f"tests/fuzz/generate.py --seed {seed} (feature {feature}, case {n})",
        "fuzz": {"feature": feature, "kind": ctx.kind, "tags": sorted(ctx.tags)},
        "app": "\n".join(app) + "\n",
        "input": steps,
        "expect": expect,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--count", type=int, default=100, help="cases per feature")
    ap.add_argument("--start", type=int, default=0, help="first case number")
    ap.add_argument("--out", required=True)
    ap.add_argument("--features", default=",".join(FEATURES))
    a = ap.parse_args()
    for feature in a.features.split(","):
        d = os.path.join(a.out, feature)
        os.makedirs(d, exist_ok=True)
        for n in range(a.start, a.start + a.count):
            c = make_case(a.seed, feature, n)
            with open(os.path.join(d, f"{feature}-{a.seed}-{n:05d}.yaml"), "w") as f:
                yaml.dump(c, f, Dumper=Dumper, sort_keys=False, default_flow_style=None, width=120)


if __name__ == "__main__":
    main()
