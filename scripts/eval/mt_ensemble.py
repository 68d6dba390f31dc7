#!/usr/bin/env python3
"""Token-level prompt ensembles for translation, measured against llama-server before
anything is built into Hearth: several requests for the same paragraph (worded
differently) are decoded in lockstep, and at each step the token with the highest mean
log-probability over the requests is taken and given to all of them. Unlike choosing among
finished answers (`mbrN` in mt_lab.py), the requests correct each other word by word.

    mt_ensemble.py URL LANG PAIRS.jsonl OUT_DIR VARIANT [VARIANT ...]

A variant names the requests joined by "+": `built` (Hearth's prompt: formal, complete,
the worked example), `native` (the same in the target language, formal), `plain` (the
baseline's one-line request). `built` alone is greedy decoding by the same loop (the check
that the loop decodes as the server does). A paragraph whose answer lost a sentence is asked
for again a sentence at a time, by the same ensemble (as Hearth's built pipeline does).

llama-server needs two slots per request and paragraph worker (two workers), e.g. for two
requests: `llama-server -m MODEL -c 16384 -np 4 --port 8811`.
"""
import concurrent.futures
import json
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mbr_pool  # noqa: E402
import mt_lab  # noqa: E402

TOP = 40  # log-probabilities asked for per request and step
STOP_IDS = {151643, 151645}  # Qwen2.5's <|endoftext|> and <|im_end|>


def post(url, path, body):
    request = urllib.request.Request(url.rstrip("/") + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=600) as response:
        return json.load(response)


def requests_for(lang, variant, piece):
    messages = []
    for name in variant.split("+"):
        if name == "built":
            messages.append(mbr_pool.messages_for(lang, piece))
        elif name == "native":
            messages.append(mbr_pool.messages_for(lang, piece, mbr_pool.VARIANTS[lang]["native_sie"]))
        elif name == "plain":
            messages.append([{"role": "user", "content": f"Translate the following text into "
                                                         f"{mt_lab.NAMES[lang]}:\n\n{piece}"}])
        else:
            raise SystemExit(f"unknown request {name!r}")
    return messages


def decode(url, prompts, slots, max_tokens):
    """Lockstep decoding of the prompts (token ids); returns the answer's token ids."""
    answer = []
    with concurrent.futures.ThreadPoolExecutor(len(prompts)) as pool:
        for _ in range(max_tokens):
            steps = list(pool.map(lambda k: post(url, "/completion", {
                "prompt": prompts[k] + answer, "n_predict": 1, "n_probs": TOP, "temperature": 0,
                "cache_prompt": True, "id_slot": slots[k]})["completion_probabilities"][0]["top_logprobs"],
                range(len(prompts))))
            scores = {}
            for top in steps:
                floor = min(t["logprob"] for t in top)
                table = {t["id"]: t["logprob"] for t in top}
                for token in {t["id"] for s in steps for t in s}:
                    scores[token] = scores.get(token, 0.0) + table.get(token, floor)
            best = max(scores, key=scores.get)
            if best in STOP_IDS:
                break
            answer.append(best)
            # The answer is one paragraph: a blank line ends it, as Hearth's stop does.
            if len(answer) % 4 == 0 and "\n\n" in post(url, "/detokenize", {"tokens": answer})["content"]:
                break
    return answer


def translate(url, lang, variant, piece, slots):
    prompts = []
    for messages in requests_for(lang, variant, piece):
        text = post(url, "/apply-template", {"messages": messages})["prompt"]
        prompts.append(post(url, "/tokenize", {"content": text})["tokens"])
    max_tokens = mt_lab.step_options(piece, 1.0)["max_tokens"]
    answer = decode(url, prompts, slots, max_tokens)
    text = post(url, "/detokenize", {"tokens": answer})["content"].split("\n\n")[0]
    return mt_lab.first_line(text), len(answer)


def translate_doc(url, lang, variant, paragraphs, worker):
    count = len(variant.split("+"))
    slots = [worker * count + k for k in range(count)]
    outputs, usages = [], []
    for source in paragraphs:
        started = time.monotonic()
        out, tokens = translate(url, lang, variant, source, slots)
        if mt_lab.lost_sentences(source, out):
            pieces = [translate(url, lang, variant, s, slots) for s in mt_lab.sentences(source)]
            out = " ".join(p[0] for p in pieces)
            tokens += sum(p[1] for p in pieces)
        outputs.append(out)
        usages.append({"completion_tokens": tokens, "seconds": time.monotonic() - started})
    return outputs, usages


def main():
    url, lang, pairs_path, out_dir, *variants = sys.argv[1:]
    pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
    docs = {}
    for pair in pairs:
        docs.setdefault(pair.get("doc", pair["id"]), []).append(pair)
    import sacrebleu
    for variant in variants:
        out = Path(out_dir) / f"ens-{variant}.{lang}.json"
        if out.exists():
            record = json.loads(out.read_text(encoding="utf-8"))
        else:
            started = time.monotonic()
            jobs = list(docs.values())
            results = [None] * len(jobs)

            def work(worker):
                for i in range(worker, len(jobs), 2):
                    results[i] = translate_doc(url, lang, variant, [p["en"] for p in jobs[i]], worker)
                    print(f"  {variant}: run {i + 1}/{len(jobs)}", file=sys.stderr, flush=True)

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
        print(f"{variant:20s} {lang} chrF {chrf:5.1f}  {record['seconds']:6.1f} s  {tokens} answer tokens",
              flush=True)


if __name__ == "__main__":
    main()
