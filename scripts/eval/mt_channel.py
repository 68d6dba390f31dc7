#!/usr/bin/env python3
"""Choosing among candidate translations by how well each explains the source (the noisy
channel): for every candidate of a pool drawn by mbr_pool.py, the log-probability the same
model gives the English source when asked to translate the candidate back into English,
log P(source | candidate). The source is the same for every candidate of a paragraph, so
the sums compare as they are: a candidate that lost a clause, added one or changed a
meaning leaves the source less likely. EVALUATION.md has the figures.

    mt_channel.py score URL LANG PAIRS.jsonl POOL.json OUT.json
    mt_channel.py choose LANG PAIRS.jsonl POOL.json OUT.json

`score` asks llama-server's `/v1/chat/completions` for each candidate, with the source as
the only answer its grammar allows (a GBNF string literal) and the log-probability of each
token: llama-server reports the model's own probability of the token forced (a softmax of
the raw logits, before the grammar), so the sum is log P(source | candidate) along the
tokenization the model likes best. An existing OUT.json is extended.

`choose` prints the corpus chrF of each way of choosing among the greedy answer and the
sampled ones: the greedy answer alone, the consensus (mt_lab.consensus, as `--best-of`
chooses), the channel alone, the two combined (each standardized within the paragraph),
and the best candidate by the reference itself (the ceiling no method can pass).

    target/llama-bench-haswell/bin/llama-server -m .models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \\
        -c 16384 -np 4 --port 8811 &
    POOL_SETTINGS=t07 .eval/venv/bin/python scripts/eval/mbr_pool.py draw http://127.0.0.1:8811 de \\
        .eval/mt/sample.de.jsonl .eval/channel/pool.de.json 4
    .eval/venv/bin/python scripts/eval/mt_channel.py score http://127.0.0.1:8811 de \\
        .eval/mt/sample.de.jsonl .eval/channel/pool.de.json .eval/channel/channel.de.json
    .eval/venv/bin/python scripts/eval/mt_channel.py choose de \\
        .eval/mt/sample.de.jsonl .eval/channel/pool.de.json .eval/channel/channel.de.json
"""
import concurrent.futures
import json
import statistics
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mt_lab  # noqa: E402

BACK = {
    "de": "You are a professional translator. Translate the German text the user sends into English, "
          "completely and faithfully. Reply with the translation only.",
    "fr": "You are a professional translator. Translate the French text the user sends into English, "
          "completely and faithfully. Reply with the translation only.",
}


def gbnf_literal(text):
    """A GBNF grammar whose only sentence is `text`."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'root ::= "{escaped}"'


def forced_logprob(url, system, user, answer):
    """log P(answer | system, user) under the served model, and the number of tokens."""
    body = {
        "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
        "temperature": 0, "seed": 0, "grammar": gbnf_literal(answer),
        "max_tokens": len(answer) + 16, "logprobs": True, "top_logprobs": 1,
    }
    request = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        reply = json.load(response)
    choice = reply["choices"][0]
    if choice["message"]["content"] != answer:
        raise RuntimeError(f"the grammar did not force the answer: {choice['message']['content']!r}")
    tokens = choice["logprobs"]["content"]
    return sum(t["logprob"] for t in tokens), len(tokens)


def candidates_of(entry):
    """The greedy answer first, then the sampled ones (every setting, in order)."""
    texts = [entry["greedy"]]
    for samples in entry["samples"].values():
        texts.extend(samples)
    return texts


def score(url, lang, pairs, pool_path, out_path):
    pool = json.loads(pool_path.read_text(encoding="utf-8"))["pool"]
    out = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {}
    jobs = []
    for pair in pairs:
        entry = pool.get(pair["id"])
        if entry is None or entry["greedy"] is None:
            continue
        done = out.setdefault(pair["id"], {})
        for text in dict.fromkeys(candidates_of(entry)):
            if text not in done and text.strip():
                jobs.append((pair["id"], pair["en"], text))
    started = time.monotonic()

    def ask(job):
        pair_id, source, text = job
        return job, forced_logprob(url, BACK[lang], text, source)

    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        for n, ((pair_id, _, text), (logprob, count)) in enumerate(executor.map(ask, jobs), 1):
            out[pair_id][text] = {"channel": logprob, "tokens": count}
            if n % 20 == 0 or n == len(jobs):
                out_path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
                print(f"{n}/{len(jobs)} candidates scored, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    out_path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def standardized(values):
    spread = statistics.pstdev(values)
    mean = statistics.fmean(values)
    return [(v - mean) / spread if spread > 0 else 0.0 for v in values]


def choose(lang, pairs, pool_path, out_path):
    import sacrebleu
    from sacrebleu.metrics import CHRF
    chrf = CHRF()
    pool = json.loads(pool_path.read_text(encoding="utf-8"))["pool"]
    channel = json.loads(out_path.read_text(encoding="utf-8"))
    rows = []
    for pair in pairs:
        entry = pool.get(pair["id"])
        if entry is None or entry["greedy"] is None:
            continue
        texts = [t for t in dict.fromkeys(candidates_of(entry)) if t.strip()]
        if not all(t in channel.get(pair["id"], {}) for t in texts):
            continue
        consensus = [sum(chrf.sentence_score(a, [b]).score for j, b in enumerate(texts) if j != i)
                     / max(1, len(texts) - 1) for i, a in enumerate(texts)]
        rows.append({
            "ref": pair[lang], "texts": texts, "greedy": entry["greedy"],
            "consensus": consensus,
            "channel": [channel[pair["id"]][t]["channel"] for t in texts],
            "oracle": [chrf.sentence_score(t, [pair[lang]]).score for t in texts],
        })
    print(f"{len(rows)} paragraphs, {sum(len(r['texts']) for r in rows)} distinct candidates")

    def corpus(picks):
        hyps = [r["texts"][i].replace("`", "") for r, i in zip(rows, picks)]
        return sacrebleu.corpus_chrf(hyps, [[r["ref"] for r in rows]]).score

    def argmax(values):
        return max(range(len(values)), key=values.__getitem__)

    greedy = [r["texts"].index(r["greedy"]) if r["greedy"] in r["texts"] else 0 for r in rows]
    print(f"greedy answer alone        chrF {corpus(greedy):.2f}")
    print(f"consensus (--best-of)      chrF {corpus([argmax(r['consensus']) for r in rows]):.2f}")
    print(f"channel alone              chrF {corpus([argmax(r['channel']) for r in rows]):.2f}")
    for weight in (0.25, 0.5, 1.0, 2.0):
        picks = [argmax([c + weight * h for c, h in zip(standardized(r["consensus"]), standardized(r["channel"]))])
                 for r in rows]
        print(f"consensus + {weight:4} channel   chrF {corpus(picks):.2f}")
    print(f"best by the reference      chrF {corpus([argmax(r['oracle']) for r in rows]):.2f}  (the ceiling)")


def main():
    command, *args = sys.argv[1:]
    commands = {"score": score, "choose": choose}
    if command not in commands:
        sys.exit(f"unknown command {command}: score or choose")
    *head, pairs_path, pool, out = args
    pairs = [pair for run in mt_lab.load_runs(pairs_path) for pair in run]
    commands[command](*head, pairs, Path(pool), Path(out))


if __name__ == "__main__":
    main()
