#!/usr/bin/env python3
"""Compare teacher-forced predictions: `factcheck dev teacher-forced` outputs (JSON lines) with
each other and with llama.cpp's `topk` reference files (../shared/reference/topk/*.json).

    compare-teacher-forced.py REFERENCE.json RUN.jsonl [RUN.jsonl ...]

For each run against the reference, and for every pair of runs (the first one's gaps deciding
which positions count), prints top-1 agreement overall, where the gap is over 0.5 and over 0.2
nats, and the mean and largest difference of the true next token's log-probability.
"""
import itertools
import json
import sys


def load_reference(path):
    doc = json.load(open(path))
    out = {}
    for p in doc["positions"]:
        top = p["top"]
        out[p["pos"]] = (top[0][0], top[0][1] - top[1][1], p.get("next_true_logprob"))
    return out


def load_run(path):
    out = {}
    for line in open(path):
        p = json.loads(line)
        out[p["pos"]] = (p["top1"], p["gap"], p["next_true_logprob"])
    return out


def compare(run, ref, name):
    n = eq_all = n5 = eq5 = n2 = eq2 = 0
    diffs = []
    for pos, (top1, gap, true_lp) in ref.items():
        if pos not in run:
            continue
        same = run[pos][0] == top1
        n += 1
        eq_all += same
        if gap > 0.5:
            n5 += 1
            eq5 += same
        if gap > 0.2:
            n2 += 1
            eq2 += same
        if true_lp is not None and run[pos][2] is not None:
            diffs.append(abs(run[pos][2] - true_lp))
    mean = sum(diffs) / max(len(diffs), 1)
    print(
        f"{name}: top-1 {eq_all}/{n} = {eq_all / max(n, 1):.3f}; gap>0.5 {eq5}/{n5}; "
        f"gap>0.2 {eq2}/{n2} = {eq2 / max(n2, 1):.3f}; true logprob |Δ| mean {mean:.3f} "
        f"max {max(diffs, default=0):.3f}"
    )


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    ref = load_reference(sys.argv[1])
    runs = {path: load_run(path) for path in sys.argv[2:]}
    for path, run in runs.items():
        compare(run, ref, f"{path} vs llama.cpp")
    for a, b in itertools.combinations(runs, 2):
        compare(runs[b], runs[a], f"{b} vs {a}")


if __name__ == "__main__":
    main()
