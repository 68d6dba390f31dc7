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
import sys
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
    """The answer with the best normalized log-probability, and its length in tokens."""
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
                    finished.append((score / max(len(body), 1) ** alpha, text.split(b"\n\n")[0], len(body)))
                elif len(beams) < width:
                    beams.append((tokens, text, score))
            if len(finished) >= width or not beams:
                break
    if not finished:
        finished = [(score / max(len(tokens), 1) ** alpha, text, len(tokens)) for tokens, text, score in beams]
    _, text, tokens = max(finished)
    return text.decode("utf-8", "replace"), tokens


def translate(url, lang, piece, slots, width, alpha):
    text = post(url, "/apply-template", {"messages": mbr_pool.messages_for(lang, piece)})["prompt"]
    prompt = post(url, "/tokenize", {"content": text})["tokens"]
    max_tokens = mt_lab.step_options(piece, 1.0)["max_tokens"]
    answer, tokens = beam_search(url, prompt, slots, width, alpha, max_tokens)
    return mt_lab.first_line(answer), tokens


def main():
    url, lang, pairs_path, out_dir, *variants = sys.argv[1:]
    runs = mt_lab.load_runs(pairs_path)
    for variant in variants:
        width, _, alpha = variant.partition(":")
        width, alpha = int(width), float(alpha or 1.0)
        mt_lab.run_and_score(lang, runs, f"beam {variant}", Path(out_dir) / f"beam-{variant}.{lang}.json",
                             lambda paragraphs, worker: mt_lab.translate_pinned(
                                 paragraphs, worker, width,
                                 lambda text, slots: translate(url, lang, text, slots, width, alpha)))


if __name__ == "__main__":
    main()
