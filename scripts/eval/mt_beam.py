#!/usr/bin/env python3
"""Beam search for translation, measured against llama-server before anything is built
into Hearth: greedy decoding commits to an article before it has chosen its noun ("Der
Root-Verzeichnis"); a beam keeps the B likeliest partial answers, so a choice is judged
by what follows it. Hearth's built prompt (formal, complete, the worked example); a
paragraph whose answer lost a sentence is asked for again a sentence at a time, with the
same beam.

    mt_beam.py URL LANG PAIRS.jsonl OUT_DIR WIDTH[:ALPHA] [WIDTH[:ALPHA] ...]

WIDTH 1 is greedy decoding by the same loop (the check that it decodes as the server
does). ALPHA is the length normalization (a finished answer's score is its log-probability
over its length in tokens to the power ALPHA; default 1.0).

llama-server needs WIDTH slots per paragraph worker (two workers), e.g. for width 4:
`llama-server -m MODEL -c 32768 -np 8 --port 8811`.
"""
import concurrent.futures
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mbr_pool  # noqa: E402
import mt_lab  # noqa: E402
from mt_ensemble import STOP_IDS, TOP, post  # noqa: E402


def common(a, b):
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return n


def beam_search(url, prompt, slots, width, alpha, max_tokens):
    """The answer's bytes with the best normalized log-probability."""
    beams = [((), b"", 0.0)]  # tokens, bytes, log-probability
    finished = []
    held = {slot: () for slot in slots}  # the answer tokens each slot's cache holds
    with concurrent.futures.ThreadPoolExecutor(width) as pool:
        for _ in range(max_tokens):
            # Each beam asks the slot whose cache shares the longest prefix with it (its
            # parent's), so the server re-reads only the new token, not the whole
            # divergence.
            free, chosen = set(slots), []
            for tokens, _, _ in beams:
                slot = max(sorted(free), key=lambda s: common(held[s], tokens))
                free.discard(slot)
                chosen.append(slot)
            for slot, (tokens, _, _) in zip(chosen, beams):
                held[slot] = tokens
            tops = list(pool.map(lambda k: post(url, "/completion", {
                "prompt": prompt + list(beams[k][0]), "n_predict": 1, "n_probs": TOP, "temperature": 0,
                "cache_prompt": True, "id_slot": chosen[k]})["completion_probabilities"][0]["top_logprobs"],
                range(len(beams))))
            expanded = []
            for (tokens, text, score), top in zip(beams, tops):
                for t in top[:2 * width]:
                    expanded.append((tokens + (t["id"],), text + bytes(t["bytes"]), score + t["logprob"], t["id"]))
            expanded.sort(key=lambda e: -e[2])
            beams = []
            for tokens, text, score, last in expanded:
                if last in STOP_IDS or b"\n\n" in text:
                    body = tokens[:-1] if last in STOP_IDS else tokens
                    finished.append((score / max(len(body), 1) ** alpha, text.split(b"\n\n")[0]))
                elif len(beams) < width:
                    beams.append((tokens, text, score))
            if len(finished) >= width or not beams:
                break
    if not finished:
        finished = [(score / max(len(tokens), 1) ** alpha, text) for tokens, text, score in beams]
    return max(finished)[1].decode("utf-8", "replace"), 0


def translate(url, lang, piece, slots, width, alpha):
    text = post(url, "/apply-template", {"messages": mbr_pool.messages_for(lang, piece)})["prompt"]
    prompt = post(url, "/tokenize", {"content": text})["tokens"]
    max_tokens = mt_lab.step_options(piece, 1.0)["max_tokens"]
    answer, _ = beam_search(url, prompt, slots, width, alpha, max_tokens)
    return mt_lab.first_line(answer)


def translate_doc(url, lang, paragraphs, worker, width, alpha):
    slots = [worker * width + k for k in range(width)]
    outputs, usages = [], []
    for source in paragraphs:
        started = time.monotonic()
        out = translate(url, lang, source, slots, width, alpha)
        if mt_lab.lost_sentences(source, out):
            out = " ".join(translate(url, lang, s, slots, width, alpha) for s in mt_lab.sentences(source))
        outputs.append(out)
        usages.append({"completion_tokens": len(post(url, "/tokenize", {"content": out})["tokens"]),
                       "seconds": time.monotonic() - started})
    return outputs, usages


def main():
    url, lang, pairs_path, out_dir, *variants = sys.argv[1:]
    pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
    docs = {}
    for pair in pairs:
        docs.setdefault(pair.get("doc", pair["id"]), []).append(pair)
    import sacrebleu
    for variant in variants:
        width, _, alpha = variant.partition(":")
        width, alpha = int(width), float(alpha or 1.0)
        out = Path(out_dir) / f"beam-{variant}.{lang}.json"
        if out.exists():
            record = json.loads(out.read_text(encoding="utf-8"))
        else:
            started = time.monotonic()
            jobs = list(docs.values())
            results = [None] * len(jobs)

            def work(worker):
                for i in range(worker, len(jobs), 2):
                    results[i] = translate_doc(url, lang, [p["en"] for p in jobs[i]], worker, width, alpha)
                    print(f"  beam {variant}: run {i + 1}/{len(jobs)}", file=sys.stderr, flush=True)

            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                list(pool.map(work, range(2)))
            outputs = [o for r in results for o in r[0]]
            usages = [u for r in results for u in r[1]]
            record = {"variant": variant, "lang": lang, "seconds": round(time.monotonic() - started, 1),
                      "paragraphs": [{"id": p["id"], "output": o, **u} for p, o, u in
                                     zip([p for d in jobs for p in d], outputs, usages)]}
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        ordered = [p for d in docs.values() for p in d]
        hyps = [r["output"].replace("`", "") for r in record["paragraphs"]]
        refs = [p[lang] for p in ordered]
        chrf = sacrebleu.corpus_chrf(hyps, [refs]).score
        tokens = sum(r["completion_tokens"] for r in record["paragraphs"])
        print(f"beam {variant:10s} {lang} chrF {chrf:5.1f}  {record['seconds']:6.1f} s  {tokens} answer tokens",
              flush=True)


if __name__ == "__main__":
    main()
