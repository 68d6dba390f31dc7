#!/usr/bin/env python3
"""What choosing among candidates (`hearth translate --best-of N`) gains on average, not in
one run: draws a pool of candidates per paragraph once, then scores the consensus choice
over many random subsets of the pool, so the figure is the mean over the samples a run
could have drawn instead of one draw (one run of `--best-of 5` into German moved by 1.6
chrF from run to run). EVALUATION.md has the figures.

    mbr_pool.py draw URL LANG PAIRS.jsonl OUT.json SAMPLES
    mbr_pool.py score LANG PAIRS.jsonl OUT.json [SUBSETS]

`draw` asks an OpenAI-compatible `/v1/chat/completions` (`hearth serve`, or llama-server
with the same model file) with Hearth's built prompt (mt_lab.py's
formal+complete+example): per paragraph the greedy answer, SAMPLES answers for each
sampling setting in SETTINGS (seeds 1..SAMPLES; POOL_SETTINGS=t07 for some of them), and one greedy answer for each
alternative request in VARIANTS. An existing OUT.json is extended, not redrawn.

`score` prints, for each sampling setting and pool size k, the corpus chrF of the
consensus (mt_lab.consensus: the candidate with the highest mean chrF against the
others) over the greedy answer and k sampled ones, as mean and spread over SUBSETS
random choices of the k (default 300), with and without each variant as one more
candidate; the greedy answer alone is the baseline.
"""
import concurrent.futures
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mt_lab  # noqa: E402

# Sampling settings for the candidates: the one Hearth uses (temperature 0.7, top-p 0.95),
# and the full distribution cut at a tenth of the likeliest token's probability (min-p, a
# relative form of the epsilon sampling that MBR decoding studies found best).
SETTINGS = {
    "t07": {"temperature": 0.7, "top_p": 0.95},
    "t10minp": {"temperature": 1.0, "top_p": 1.0, "min_p": 0.1},
}
# POOL_SETTINGS=t07 draws only the settings named (comma-separated).
if os.environ.get("POOL_SETTINGS"):
    SETTINGS = {k: v for k, v in SETTINGS.items() if k in os.environ["POOL_SETTINGS"].split(",")}

# Other requests, each asked once greedily: the instructions written in German with the
# model addressed formally as well ("Sie"), where the lab's German instructions said "du".
VARIANTS = {
    "de": {
        "native_sie": ("Sie sind ein professioneller Übersetzer. Übersetzen Sie den Text, den der Benutzer "
                       "sendet, vollständig aus dem Englischen ins Deutsche: jeden Satz, nichts gekürzt oder "
                       "ausgelassen. Behalten Sie Bedeutung, Ton, Namen, Zahlen, Inline-Code und Links bei. "
                       "Sprechen Sie den Leser mit \"Sie\" an, wie ein Handbuch, und verwenden Sie die "
                       "üblichen deutschen Fachbegriffe. Antworten Sie nur mit der Übersetzung, ohne "
                       "Anmerkungen oder Erklärungen."),
    },
}


def messages_for(lang, source, system=None):
    system = system or mt_lab.hearth_system(lang, formal=True, complete=True)
    return [{"role": "system", "content": system},
            {"role": "user", "content": mt_lab.EXAMPLE_EN},
            {"role": "assistant", "content": mt_lab.EXAMPLES[lang]},
            {"role": "user", "content": source}]


def draw(url, lang, pairs, out_path, samples):
    record = json.loads(out_path.read_text(encoding="utf-8")) if out_path.exists() else {"lang": lang, "pool": {}}
    pool = record["pool"]
    jobs = []
    for pair in pairs:
        entry = pool.setdefault(pair["id"], {"greedy": None, "samples": {}, "variants": {}})
        messages = messages_for(lang, pair["en"])
        options = mt_lab.step_options(pair["en"], 1.0)
        if entry["greedy"] is None:
            jobs.append((entry, "greedy", None, messages, options))
        for name, setting in SETTINGS.items():
            have = entry["samples"].setdefault(name, [])
            for seed in range(len(have) + 1, samples + 1):
                jobs.append((entry, "samples", name, messages, {**options, **setting, "seed": seed}))
        for name, system in VARIANTS.get(lang, {}).items():
            if name not in entry["variants"]:
                jobs.append((entry, "variants", name, messages_for(lang, pair["en"], system), options))
    started = time.monotonic()
    tokens = 0

    def ask(job):
        return job, mt_lab.chat(url, job[3], **job[4])

    with concurrent.futures.ThreadPoolExecutor(4) as executor:
        for done, ((entry, kind, name, _, _), (text, usage)) in enumerate(executor.map(ask, jobs), 1):
            text = mt_lab.first_line(text)
            tokens += usage["completion_tokens"]
            if kind == "greedy":
                entry["greedy"] = text
            elif kind == "samples":
                entry["samples"][name].append(text)
            else:
                entry["variants"][name] = text
            if done % 20 == 0 or done == len(jobs):
                out_path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
                print(f"{done}/{len(jobs)} answers, {tokens} tokens, {time.monotonic() - started:.0f} s",
                      file=sys.stderr, flush=True)
    out_path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")


def score(lang, pairs, out_path, subsets):
    import sacrebleu
    from sacrebleu.metrics import CHRF
    chrf = CHRF()
    pool = json.loads(out_path.read_text(encoding="utf-8"))["pool"]
    # A draw cut short leaves the last paragraphs without their pool: only complete
    # paragraphs (the greedy answer, every variant, the most samples drawn) are scored.
    variant_names = sorted({v for e in pool.values() for v in e["variants"]})
    most = {s: max((len(e["samples"].get(s, [])) for e in pool.values()), default=0) for s in SETTINGS}
    complete = [p for p in pairs if (e := pool.get(p["id"])) and e["greedy"] is not None
                and all(v in e["variants"] for v in variant_names)
                and all(len(e["samples"].get(s, [])) == most[s] for s in SETTINGS)]
    if len(complete) < len(pairs):
        print(f"{len(complete)} of {len(pairs)} paragraphs have their whole pool; scoring those")
    pairs = complete
    refs = [p[lang] for p in pairs]
    entries = [pool[p["id"]] for p in pairs]

    def corpus(hyps):
        return sacrebleu.corpus_chrf([h.replace("`", "") for h in hyps], [refs]).score

    def choose(candidates, texts, similarity):
        # mt_lab.consensus over a precomputed similarity matrix (empty answers set aside).
        live = [i for i in candidates if texts[i].strip()] or candidates
        best = max(live, key=lambda i: sum(similarity[i][j] for j in live if j != i))
        return best

    print(f"greedy answer alone: chrF {corpus([e['greedy'] for e in entries]):.2f}")
    for name in variant_names:
        print(f"variant {name} alone: chrF {corpus([e['variants'].get(name, e['greedy']) for e in entries]):.2f}")
    rng = random.Random(0)
    for setting in SETTINGS:
        counts = [len(e["samples"].get(setting, [])) for e in entries]
        if min(counts) == 0:
            continue
        most = min(counts)
        # Every candidate of a paragraph: greedy (0), samples (1..most), variants after.
        texts, sims = [], []
        for e in entries:
            t = [e["greedy"]] + e["samples"][setting][:most] + [e["variants"].get(v, e["greedy"]) for v in variant_names]
            texts.append(t)
            sims.append([[chrf.sentence_score(a, [b]).score if i != j else 0.0 for j, b in enumerate(t)]
                         for i, a in enumerate(t)])
        for with_variants in [[]] + [[v] for v in variant_names]:
            extra = [1 + most + variant_names.index(v) for v in with_variants]
            label = setting + "".join(f"+{v}" for v in with_variants)
            for k in range(1, most + 1):
                scores = []
                for _ in range(subsets if k < most else 1):
                    hyps = []
                    for p in range(len(entries)):
                        chosen = [0] + rng.sample(range(1, most + 1), k) + extra
                        hyps.append(texts[p][choose(chosen, texts[p], sims[p])])
                    scores.append(corpus(hyps))
                mean = sum(scores) / len(scores)
                print(f"{label:24s} greedy+{k} sampled: chrF mean {mean:.2f}  "
                      f"min {min(scores):.2f}  max {max(scores):.2f}  ({len(scores)} draws)", flush=True)


def main():
    command, *args = sys.argv[1:]
    if command == "draw":
        url, lang, pairs_path, out, samples = args
        pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
        draw(url, lang, pairs, Path(out), int(samples))
    elif command == "score":
        lang, pairs_path, out, *rest = args
        pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
        score(lang, pairs, Path(out), int(rest[0]) if rest else 300)
    else:
        sys.exit(f"unknown command {command}: draw or score")


if __name__ == "__main__":
    main()
