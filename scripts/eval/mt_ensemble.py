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


def main():
    url, lang, pairs_path, out_dir, *variants = sys.argv[1:]
    runs = mt_lab.load_runs(pairs_path)
    for variant in variants:
        mt_lab.run_and_score(lang, runs, variant, Path(out_dir) / f"ens-{variant}.{lang}.json",
                             lambda paragraphs, worker: mt_lab.translate_pinned(
                                 paragraphs, worker, len(variant.split("+")),
                                 lambda text, slots: translate(url, lang, variant, text, slots)))


if __name__ == "__main__":
    main()
