#!/usr/bin/env python3
"""Records llama.cpp's outputs on a GGUF file, in the format of ../shared/reference/ (see its
README), for the agreement tests in tests/real_models/: teacher-forced top-5 log-probabilities
over a text (incremental: each position decodes one token on the cached prefix), and greedy
continuations of token-id prompts with each step's top two.

llama.cpp is the yardstick only: build it with ../shared/tools/build-llama-cpp.sh.

    scripts/make-reference.py topk   --bin BIN --model F.gguf --key NAME --text-file T.txt --out O.json [--server-arg ARG]...
    scripts/make-reference.py greedy --bin BIN --model F.gguf --key NAME --prompts P.json --out O.json

P.json: [{"name": ..., "prompt_ids": [...]}, ...]. Needs only the Python standard library.
"""
import argparse
import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, bin_dir, model, extra):
        self.port = free_port()
        self.args = ["-m", os.path.basename(model), "-t", "2", "-c", "4096", "-np", "1"] + extra
        env = dict(os.environ, LD_LIBRARY_PATH=bin_dir)
        cmd = [os.path.join(bin_dir, "llama-server"), "-m", model, "-t", "2", "-c", "4096", "-np", "1",
               "--host", "127.0.0.1", "--port", str(self.port)] + extra
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):
            try:
                if self.get("/health").get("status") == "ok":
                    return
            except Exception:
                pass
            time.sleep(0.2)
        raise SystemExit("llama-server did not become ready")

    def get(self, path):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=600) as r:
            return json.load(r)

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=600) as r:
            return json.load(r)

    def close(self):
        self.proc.terminate()
        self.proc.wait()


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def header(args, srv):
    return {"model_key": args.key, "model_file": os.path.basename(args.model), "model_sha256": sha256(args.model),
            "producer": "scripts/make-reference.py with llama.cpp from ../shared/tools/build-llama-cpp.sh",
            "server_args": srv.args}


def probs(srv, prompt, force, n_probs):
    r = srv.post("/completion", {"prompt": prompt, "n_predict": 1, "n_probs": n_probs, "temperature": 0,
                                 "cache_prompt": True, "samplers": ["top_k"], "top_k": 1,
                                 "logit_bias": [[force, 100.0]], "return_tokens": True})
    cp = r.get("completion_probabilities")
    return cp[0]["top_logprobs"] if cp else None


def topk(args):
    srv = Server(args.bin, args.model, args.server_arg)
    try:
        text = open(args.text_file, encoding="utf-8").read()
        ids = srv.post("/tokenize", {"content": text, "add_special": True, "parse_special": True})["tokens"]
        ascii_a = srv.post("/tokenize", {"content": "a", "add_special": False})["tokens"][0]
        positions = []
        for pos in range(1, len(ids)):
            true = ids[pos]
            # Forcing the true token makes the server report it; where that token ends inside a
            # UTF-8 sequence the server drops the probabilities, so force "a" instead.
            top = probs(srv, ids[:pos], true, 200) or probs(srv, ids[:pos], ascii_a, 200)
            if top is None:
                raise SystemExit(f"no probabilities at position {pos}")
            true_lp = next((t["logprob"] for t in top if t["id"] == true), None)
            row = {"pos": pos, "next_true": true,
                   "top": [[t["id"], round(t["logprob"], 6)] for t in top[:5]]}
            if true_lp is not None:
                row["next_true_logprob"] = round(true_lp, 6)
            positions.append(row)
            if pos % 100 == 0:
                print(f"{pos}/{len(ids) - 1}", file=sys.stderr)
        out = header(args, srv)
        out.update({"mode": "incremental", "text": text, "ids": ids, "positions": positions,
                    "note": "next_true_logprob is absent where the true token is not in the top 200"})
    finally:
        srv.close()
    json.dump(out, open(args.out, "w"), ensure_ascii=False)


def greedy(args):
    srv = Server(args.bin, args.model, args.server_arg)
    try:
        results = []
        for p in json.load(open(args.prompts)):
            prompt = p["prompt_ids"]
            r = srv.post("/completion", {"prompt": prompt, "n_predict": args.n_predict, "temperature": 0,
                                         "samplers": ["top_k"], "top_k": 1, "cache_prompt": False,
                                         "return_tokens": True})
            out_ids = r["tokens"]
            # Each step's top two, replayed on the same cache (prompt as one batch, then one token a step).
            steps = []
            for k in range(len(out_ids)):
                top = probs(srv, prompt + out_ids[:k], out_ids[k], 2) or []
                steps.append([[t["id"], round(t["logprob"], 6)] for t in top[:2]])
            margins = [s[0][1] - s[1][1] for s in steps if len(s) == 2]
            low = [k for k, s in enumerate(steps) if len(s) == 2 and s[0][1] - s[1][1] < 0.1]
            results.append({"name": p["name"], "prompt_ids": prompt, "output_ids": out_ids,
                            "output_text": r["content"], "stop_type": r.get("stop_type"),
                            "min_margin": min(margins) if margins else None, "step_top2": steps,
                            "step_margins_below_0.1_at": low,
                            "stable_prefix_len": low[0] if low else len(out_ids)})
            print(p["name"], repr(r["content"][:80]), file=sys.stderr)
        out = header(args, srv)
        out.update({"request": {"n_predict": args.n_predict, "top_k": 1}, "results": results})
    finally:
        srv.close()
    json.dump(out, open(args.out, "w"), ensure_ascii=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("kind", choices=["topk", "greedy"])
    ap.add_argument("--bin", required=True, help="llama.cpp bin folder")
    ap.add_argument("--model", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--text-file")
    ap.add_argument("--prompts")
    ap.add_argument("--n-predict", type=int, default=48)
    ap.add_argument("--server-arg", action="append", default=[])
    args = ap.parse_args()
    (topk if args.kind == "topk" else greedy)(args)


if __name__ == "__main__":
    main()
