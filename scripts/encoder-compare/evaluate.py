"""Score saved embeddings: hit@1/3/5 + MRR per set and language, plus BM25 fusion.

usage: venv/bin/python evaluate.py  > results.md
"""
import json
import math
from collections import Counter, defaultdict

import numpy as np

import common

O = common.OUT


def bm25_matrix(passages, queries, k1=1.2, b=0.75):
    docs = [Counter(common.bm25_tokens(f"{p['title']}\n{p['text']}")) for p in passages]
    N = len(docs)
    dl = np.array([sum(d.values()) for d in docs], dtype=np.float64)
    avg = dl.mean()
    df = Counter(t for d in docs for t in d)
    S = np.zeros((len(queries), N))
    for qi, q in enumerate(queries):
        for t in set(common.bm25_tokens(q)):
            if t not in df:
                continue
            idf = math.log(1 + (N - df[t] + 0.5) / (df[t] + 0.5))
            for j, d in enumerate(docs):
                tf = d.get(t, 0)
                if tf:
                    S[qi, j] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl[j] / avg))
    return S


def fuse(cos, bm):
    """0.5 * bm25/max + 0.5 * cosine rescaled (top=1, 50th=0, clipped at 0)."""
    out = np.zeros_like(cos)
    for i in range(cos.shape[0]):
        c = cos[i]
        srt = np.sort(c)[::-1]
        top, c50 = srt[0], srt[min(49, len(srt) - 1)]
        cn = np.clip((c - c50) / max(top - c50, 1e-9), 0, None)
        mx = bm[i].max()
        bn = bm[i] / mx if mx > 0 else np.zeros_like(bm[i])
        out[i] = 0.5 * bn + 0.5 * cn
    return out


def norm(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


# ---- score matrices per (system, corpus), keyed by query text
systems = ["e5", "gemma768", "gemma768+fc", "gemma256", "bm25", "fuse(bm25,e5)", "fuse(bm25,gemma768)"]
scores = {}  # (system, corpus) -> (qtext->row index, matrix)
corp_passages = {}
for corpus in common.CORPORA:
    P = common.load_corpus(corpus)
    corp_passages[corpus] = P
    mats = {}
    for mdl in ["e5", "gemma"]:
        qs = json.load(open(f"{O}/{mdl}_{corpus}_queries.json"))
        D = np.load(f"{O}/{mdl}_{corpus}_docs.npy")
        Qd = np.load(f"{O}/{mdl}_{corpus}_q_default.npy")
        if mdl == "e5":
            mats["e5"] = (qs, Qd @ D.T)
        else:
            Qf = np.load(f"{O}/{mdl}_{corpus}_q_factcheck.npy")
            mats["gemma768"] = (qs, Qd @ D.T)
            mats["gemma768+fc"] = (qs, Qf @ D.T)
            mats["gemma256"] = (qs, norm(Qd[:, :256]) @ norm(D[:, :256]).T)
    qs = mats["e5"][0]
    assert qs == mats["gemma768"][0]
    bm = bm25_matrix(P, qs)
    mats["bm25"] = (qs, bm)
    mats["fuse(bm25,e5)"] = (qs, fuse(mats["e5"][1], bm))
    mats["fuse(bm25,gemma768)"] = (qs, fuse(mats["gemma768"][1], bm))
    for s, (q, M) in mats.items():
        scores[(s, corpus)] = ({t: i for i, t in enumerate(q)}, M)


def rank_of(system, corpus, r):
    idx, M = scores[(system, corpus)]
    row = M[idx[common.query_text(r)]]
    P = corp_passages[corpus]
    gold = {(e["source"], e["line"]) for e in r["evidence"]}
    order = np.argsort(-row, kind="stable")
    for rk, j in enumerate(order, 1):
        if (P[j]["source"], P[j]["line"]) in gold:
            return rk
    return 10 ** 9


def metrics(ranks):
    ranks = np.array(ranks)
    return {"n": len(ranks), "h1": (ranks <= 1).mean(), "h3": (ranks <= 3).mean(),
            "h5": (ranks <= 5).mean(), "mrr": (1.0 / ranks).mean()}


ranks = defaultdict(list)  # (system, set, lang) -> ranks ; lang 'all' too
per_item = defaultdict(dict)  # (set, id) -> system -> rank
for name, rel, corpus in common.SETS:
    for r in common.load_set(rel):
        for s in systems:
            rk = rank_of(s, corpus, r)
            per_item[(name, r["id"])][s] = rk
            for lang in ("all", r["lang"]):
                ranks[(s, name, lang)].append(rk)
            grp = "OOD (company+encyclopedia, all 8 sets)" if corpus != "seeds" else "in-domain (seeds: dev+extra+seeds.en.fresh)"
            for lang in ("all", r["lang"]):
                ranks[(s, grp, lang)].append(rk)
            if corpus != "seeds" and ("heldout" in name or "fresh" in name):
                for lang in ("all", r["lang"]):
                    ranks[(s, "OOD held-out+fresh only", lang)].append(rk)

groups = [n for n, _, _ in common.SETS] + ["in-domain (seeds: dev+extra+seeds.en.fresh)",
                                           "OOD (company+encyclopedia, all 8 sets)", "OOD held-out+fresh only"]

print("| set | lang | n | " + " | ".join(systems) + " |")
print("|---|---|---|" + "---|" * len(systems))
for g in groups:
    for lang in ("all", "ko", "en"):
        if (systems[0], g, lang) not in ranks:
            continue
        if lang != "all" and len(ranks[(systems[0], g, lang)]) == len(ranks[(systems[0], g, "all")]):
            continue  # single-language set: the 'all' row already says it
        cells = []
        for s in systems:
            m = metrics(ranks[(s, g, lang)])
            cells.append(f"{m['h1']:.2f}/{m['h3']:.2f}/{m['h5']:.2f}/{m['mrr']:.3f}")
        print(f"| {g} | {lang} | {len(ranks[(systems[0], g, lang)])} | " + " | ".join(cells) + " |")

print("\ncells: hit@1/hit@3/hit@5/MRR (MRR over the full ranking)\n")

# paired comparison gemma768 vs e5 on pooled groups (sign test on reciprocal ranks)
from math import comb


def sign_p(w, l):
    n = w + l
    if n == 0:
        return 1.0
    k = min(w, l)
    return min(1.0, 2 * sum(comb(n, i) for i in range(k + 1)) / 2 ** n)


print("| pooled group | lang | comparison | better | worse | tie | sign-test p | dMRR |")
print("|---|---|---|---|---|---|---|---|")
for g in groups[-3:]:
    for lang in ("all", "ko", "en"):
        for a, bb in [("gemma768", "e5"), ("fuse(bm25,gemma768)", "fuse(bm25,e5)"), ("gemma256", "e5")]:
            ra, rb = np.array(ranks[(a, g, lang)]), np.array(ranks[(bb, g, lang)])
            w, l = int((ra < rb).sum()), int((ra > rb).sum())
            t = len(ra) - w - l
            print(f"| {g} | {lang} | {a} vs {bb} | {w} | {l} | {t} | {sign_p(w, l):.3g} | "
                  f"{(1 / ra).mean() - (1 / rb).mean():+.3f} |")

json.dump({f"{k[0]}|{k[1]}": v for k, v in per_item.items()}, open(f"{O}/per_item_ranks.json", "w"),
          ensure_ascii=False, indent=0)
