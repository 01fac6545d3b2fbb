"""Shared data loading for the EmbeddingGemma vs e5-small retrieval comparison."""
import glob
import json
import os
import re
import unicodedata

MAIN = os.environ.get("FACTCHECK_REPO", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
OUT = os.environ.get("COMPARE_OUT", "out")

CORPORA = {
    "seeds": "seeds",
    "company": "eval/corpora/company",
    "encyclopedia": "eval/corpora/encyclopedia",
}

# (set name, jsonl path relative to MAIN, corpus)
SETS = [
    ("dev", "../shared/eval/dev.jsonl", "seeds"),
    ("extra", "eval/extra.jsonl", "seeds"),
    ("seeds.english.fresh", "eval/seeds.english.fresh.jsonl", "seeds"),
    ("company", "eval/company.jsonl", "company"),
    ("company.heldout", "eval/company.heldout.jsonl", "company"),
    ("company.fresh", "eval/company.fresh.jsonl", "company"),
    ("company.english.fresh", "eval/company.english.fresh.jsonl", "company"),
    ("encyclopedia", "eval/encyclopedia.jsonl", "encyclopedia"),
    ("encyclopedia.heldout", "eval/encyclopedia.heldout.jsonl", "encyclopedia"),
    ("encyclopedia.fresh", "eval/encyclopedia.fresh.jsonl", "encyclopedia"),
    ("encyclopedia.english.fresh", "eval/encyclopedia.english.fresh.jsonl", "encyclopedia"),
]


def load_corpus(name):
    """Every non-empty line of every *.txt file is a passage. Returns list of dicts."""
    d = os.path.join(MAIN, CORPORA[name])
    passages = []
    for path in sorted(glob.glob(os.path.join(d, "*.txt"))):
        src = os.path.basename(path)
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        title = next((l.strip() for l in lines if l.strip()), "none")
        for i, l in enumerate(lines, 1):
            if l.strip():
                passages.append({"source": src, "line": i, "title": title, "text": l.strip()})
    return passages


def query_text(r):
    if r["kind"] == "claim":
        return r.get("claim") or r["question"]
    return r.get("question") or r.get("claim")


def load_set(rel):
    rows = []
    with open(os.path.join(MAIN, rel), encoding="utf-8") as f:
        for l in f:
            if l.strip():
                r = json.loads(l)
                if r.get("evidence"):
                    rows.append(r)
    return rows


def all_queries(corpus):
    """Unique query texts (and kinds) over all sets on a corpus."""
    seen = {}
    for _, rel, c in SETS:
        if c != corpus:
            continue
        for r in load_set(rel):
            seen.setdefault(query_text(r), r["kind"])
    return list(seen.items())


# ---- BM25 tokenizer: Hangul char bigrams (1-syllable run = unigram), lowercased Latin/digit words,
# ---- single CJK ideographs. Mirrors the product's analyzer in spirit, without particle stripping.
_TOK = re.compile(r"[\uac00-\ud7a3]+|[a-z0-9]+(?:,[0-9]{3})*|[\u4e00-\u9fff]")


def bm25_tokens(text):
    t = unicodedata.normalize("NFKC", text).lower()
    out = []
    for m in _TOK.finditer(t):
        s = m.group(0)
        if "\uac00" <= s[0] <= "\ud7a3":
            if len(s) == 1:
                out.append(s)
            else:
                out.extend(s[i:i + 2] for i in range(len(s) - 1))
        else:
            out.append(s.replace(",", ""))
    return out
