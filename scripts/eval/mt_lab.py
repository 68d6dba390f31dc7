#!/usr/bin/env python3
"""Translation strategies tried one change at a time through an OpenAI-compatible
`/v1/chat/completions` (llama.cpp's llama-server, or `hearth serve`), on the Debian
Reference sample: what each change to `hearth translate` contributes, measured before
it was built into Hearth. EVALUATION.md has the figures.

    mt_lab.py URL LANG PAIRS.jsonl OUT_DIR STRATEGY [STRATEGY ...]

Strategies: `plain` (the baseline: one user message "Translate the following text into
German:" and the paragraph; the answer as the model gives it), or features joined by
"+" on top of Hearth's system prompt with no repeat penalty:

  rp        repeat penalty 1.05 (Hearth before this work; `hearth0` = rp alone)
  formal    address the reader formally and use the usual technical terms
  complete  translate every sentence completely, nothing shortened or left out
  example   a worked example (one English sentence and its translation) as an earlier turn
  example2  a second worked example, with technical terms the language has words for (German)
  termsde   "use the target language's established word for a technical term" (German)
  native    the instructions written in the target language
  context   the previous paragraph and its translation as an earlier turn
  review    a second pass that corrects the draft against the source
  retry     ask again, with stricter instructions, when the answer is a copy, English,
            or under half the source's words (a rough stand-in for Hearth's check)
  sent      each sentence translated on its own
  fill      when the answer has fewer sentences than the source, or under 80% of its
            words, each sentence asked for on its own
  terms     the terms found in two or more of the run's paragraphs, translated by the model
            in one request first, then given with each paragraph as a glossary
  mbrN      minimum Bayes risk: the greedy answer and N sampled ones (temperature 0.7), the
            one closest to the others by chrF kept
  withsent  with mbrN: the sentence-by-sentence greedy answer as one more candidate
  sys3      three greedy answers from different requests (the paragraph, its sentences
            one by one, the paragraph with the instructions in the target language), the
            one closest to the other two by chrF kept

The names of the first experiments stand for their feature sets: `greedy` (none),
`context` (context), `review` (context+review).

Run it against llama-server with the evaluation's model file (or `hearth serve` with that
file in its library, named in LAB_MODEL, its API token in LAB_TOKEN), for example:

    target/llama-bench-zen4/bin/llama-server -m .models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
        -c 8192 -np 2 --port 8811 &
    .eval/venv/bin/python scripts/eval/mt_lab.py http://127.0.0.1:8811 de \
        .eval/mt/sample.de.jsonl .eval/lab plain greedy formal+complete+example

Writes OUT_DIR/STRATEGY.LANG.json: per paragraph the output, the requests' token counts
and seconds; prints chrF against the human translation (sacrebleu).
"""
import concurrent.futures
import json
import os
import sys
import time
import urllib.request
from pathlib import Path

NAMES = {"de": "German", "fr": "French"}


def chat(url, messages, **options):
    body = {"messages": messages, "temperature": 0, "seed": 0}
    if os.environ.get("LAB_MODEL"):
        # `hearth serve` answers for the model the request names (its library id)
        body["model"] = os.environ["LAB_MODEL"]
    body.update(options)
    headers = {"Content-Type": "application/json"}
    if os.environ.get("LAB_TOKEN"):
        # `hearth serve` asks for its API token (`hearth serve --show-token`)
        headers["Authorization"] = "Bearer " + os.environ["LAB_TOKEN"]
    request = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions",
                                     data=json.dumps(body).encode(), headers=headers)
    started = time.monotonic()
    with urllib.request.urlopen(request, timeout=600) as response:
        answer = json.load(response)
    usage = answer.get("usage", {})
    return answer["choices"][0]["message"]["content"], {
        "prompt_tokens": usage.get("prompt_tokens", 0),
        "completion_tokens": usage.get("completion_tokens", 0),
        "seconds": time.monotonic() - started,
    }


def first_line(text):
    text = text.strip()
    for label in ("Translation:", "Translated text:", "Here is the translation:"):
        if text.lower().startswith(label.lower()):
            text = text[len(label):].strip()
    line = next((l.strip() for l in text.splitlines() if l.strip()), "")
    for open_, close in (('"', '"'), ("“", "”"), ("«", "»")):
        if len(line) > 1 and line.startswith(open_) and line.endswith(close):
            line = line[1:-1].strip()
    return line


NATIVE = {
    "de": ("Du bist ein professioneller Übersetzer. Übersetze den Text, den der Benutzer sendet, aus dem Englischen "
           "ins Deutsche. Behalte Bedeutung, Ton, Namen, Zahlen, Inline-Code und Links bei. Sprich den Leser mit "
           "\"Sie\" an, wie ein Handbuch, und verwende die üblichen deutschen Fachbegriffe. Antworte nur mit der "
           "Übersetzung, ohne Anmerkungen oder Erklärungen."),
    "fr": ("Tu es un traducteur professionnel. Traduis de l'anglais vers le français le texte que l'utilisateur "
           "envoie. Conserve le sens, le ton, les noms, les nombres, le code en ligne et les liens. Vouvoie le "
           "lecteur, comme un manuel, et emploie les termes techniques usuels en français. Réponds uniquement par "
           "la traduction, sans notes ni explications."),
}


def hearth_system(lang, formal=False, complete=False, native=False):
    if native:
        return NATIVE[lang]
    system = (f"You are a professional translator. Translate the text the user sends from English into "
              f"{NAMES[lang]}. Keep the meaning, the tone, names, numbers, inline code and links. Reply "
              f"with the translation only, without notes or explanations.")
    if complete:
        system += (" Translate every sentence completely and faithfully: do not shorten, summarize or leave "
                   "anything out.")
    if formal:
        system += (" Address the reader formally, as a manual does (in German \"Sie\", in French \"vous\"), "
                   "and use the usual technical terms of the language.")
    return system


ENGLISH = {"the", "and", "is", "are", "to", "of", "a", "for", "with", "you", "it", "this", "that", "on", "by", "be", "or", "in", "if", "as"}

# A second worked example, with technical terms the target language has its own words for.
EXAMPLE2_EN = ("The file system of the host is mounted read-only at boot time. The system administrator can "
               "change this in `/etc/fstab`; see the manual page for details.")
EXAMPLES2 = {
    "de": ("Das Dateisystem des Rechners wird beim Systemstart schreibgeschützt eingehängt. Der "
           "Systemadministrator kann dies in `/etc/fstab` ändern; Einzelheiten finden Sie auf der Handbuchseite."),
}
TERMS_INSTRUCTION = ("Where the target language has an established word for an English technical term, use it "
                     "rather than the English word, as manuals in that language do; keep commands, file and "
                     "package names and inline code as they are.")


def not_translated(source, out):
    """A rough stand-in for Hearth's check: a copy, or still English."""
    words = [w.strip(".,;:()\"'`").lower() for w in out.split()]
    words = [w for w in words if w.isalpha()]
    if len(source.split()) < 4 or not words:
        return False
    src = {w.strip(".,;:()\"'`").lower() for w in source.split()}
    copied = sum(w in src for w in words) / len(words) >= 0.8
    english = sum(w in ENGLISH for w in words) / len(words) >= 0.15
    source_words = [w for w in (x.strip(".,;:()\"'`").lower() for x in source.split()) if w.isalpha()]
    short = len(source_words) >= 8 and len(words) < 0.5 * len(source_words)
    return copied or english or short


EXAMPLE_EN = ("To install the program, open a terminal and run `sudo apt install hello`. If the command "
              "fails, check your network connection and try again.")
EXAMPLES = {
    "de": ("Um das Programm zu installieren, öffnen Sie ein Terminal und führen Sie `sudo apt install hello` aus. "
           "Wenn der Befehl fehlschlägt, überprüfen Sie Ihre Netzwerkverbindung und versuchen Sie es erneut."),
    "fr": ("Pour installer le programme, ouvrez un terminal et exécutez `sudo apt install hello`. Si la commande "
           "échoue, vérifiez votre connexion réseau et réessayez."),
}


def strict_system(lang):
    return (f"Translate the user's English text into {NAMES[lang]}. Write every sentence in {NAMES[lang]}; "
            f"do not copy the English text, do not answer it and do not comment on it. Keep names, numbers "
            f"and inline code as they are. Reply with the {NAMES[lang]} translation only.")


def sentences(text):
    import re
    parts = re.split(r"(?<=[.!?])\s+(?=[A-Z\"“(`])", text)
    return [p for p in parts if p.strip()]


def lost_sentences(source, out):
    """Fewer sentences than the source, or under 80% of its words: something left out."""
    import re
    def count(text):
        return len([x for x in re.split(r"(?<=[.!?])\s+", text.strip()) if x])
    return count(out) < count(source) or len(out.split()) < 0.8 * len(source.split())


def step_options(source, repeat_penalty):
    # Hearth's budget: twice the source's tokens (about 1.4 per word) plus 32.
    return {"max_tokens": int(len(source.split()) * 1.4 * 2 + 32), "stop": ["\n\n"],
            "repeat_penalty": repeat_penalty}


# Strategy names: "plain", or features joined by "+" (the cumulative names of the first
# round stand for their feature sets).
ALIASES = {
    "hearth0": "rp",
    "greedy": "",
    "context": "context",
    "review": "context+review",
}


def consensus(candidates):
    """The candidate with the highest mean chrF against the others."""
    from sacrebleu.metrics import CHRF
    chrf = CHRF()
    candidates = [c for c in candidates if c.strip()] or candidates
    scores = [sum(chrf.sentence_score(c, [o]).score for j, o in enumerate(candidates) if j != i)
              for i, c in enumerate(candidates)]
    return candidates[scores.index(max(scores))]


STOP = set("a an the and or of to in on for with by at from as is are be was were it its this that these "
           "those you your can will may not no if then than into via per each all any some such which who what "
           "when where how also more most other only same so there their they them we our us do does done use "
           "used using see should during".split())


def repeated_terms(paragraphs):
    """Words and phrases (up to three words) found in two or more paragraphs: the document's
    terms, which should be translated the same way each time."""
    import collections
    import re
    counts = collections.Counter()
    for text in paragraphs:
        words = re.findall(r"[A-Za-z][A-Za-z0-9+._-]*[A-Za-z0-9]", text)
        found = set()
        for n in (1, 2, 3):
            for i in range(len(words) - n + 1):
                gram = words[i:i + n]
                if gram[0].lower() in STOP or gram[-1].lower() in STOP or (n == 1 and len(gram[0]) < 5):
                    continue
                found.add(" ".join(w.lower() for w in gram))
        counts.update(found)
    terms = [t for t, k in counts.items() if k >= 2]
    # A phrase found as often as a longer one holding it is part of that one.
    return sorted(t for t in terms if not any(t != u and t in u and counts[u] == counts[t] for u in terms))


def term_glossary(url, lang, paragraphs, used):
    """The document's repeated terms, translated by the model in one request."""
    terms = repeated_terms(paragraphs)
    if not terms:
        return {}
    messages = [{"role": "system", "content": (
        f"You are a terminologist. Give the usual {NAMES[lang]} term for each English term from a software "
        f"manual. Keep commands, program names and protocol names as they are. Reply with one line per term, "
        f"as `term = translation`, and nothing else.")},
        {"role": "user", "content": "\n".join(terms)}]
    text, usage = chat(url, messages, max_tokens=24 * len(terms) + 16)
    used.append(usage)
    glossary = {}
    for line in text.splitlines():
        term, sep, translation = line.strip().strip("`-* ").partition("=")
        if sep and term.strip().lower() in terms and translation.strip():
            glossary[term.strip().lower()] = translation.strip().strip("`")
    return glossary


def translate_doc(url, lang, strategy, paragraphs):
    """Outputs and usage for one run of consecutive paragraphs."""
    features = set(filter(None, ALIASES.get(strategy, strategy).split("+")))
    outputs, usages = [], []
    previous = None
    glossary_usage = []
    glossary = term_glossary(url, lang, paragraphs, glossary_usage) if "terms" in features else {}
    for source in paragraphs:
        if strategy == "plain":
            text, usage = chat(url, [{"role": "user", "content": f"Translate the following text into {NAMES[lang]}:\n\n{source}"}])
            outputs.append(text.strip())
            usages.append(usage)
            continue
        penalty = 1.05 if "rp" in features else 1.0
        used = []

        def one_plain(piece):
            saved = set(features)
            for f in [f for f in features if f.startswith("mbr")]:
                features.discard(f)
            try:
                return one(piece)
            finally:
                features.clear(); features.update(saved)

        def one(piece, strict=False):
            samples = next((int(f[3:]) for f in features if f.startswith("mbr")), 0)
            system = hearth_system(lang, "formal" in features, "complete" in features, "native" in features)
            if "terms" + lang in features:
                system += " " + TERMS_INSTRUCTION
            if strict:
                system = strict_system(lang)
            matching = [t for t in glossary if t in piece.lower()]
            if matching:
                system += "\nAlways translate these terms exactly as given:" + "".join(
                    f"\n{t} -> {glossary[t]}" for t in matching)
            messages = [{"role": "system", "content": system}]
            if "example" in features:
                messages += [{"role": "user", "content": EXAMPLE_EN}, {"role": "assistant", "content": EXAMPLES[lang]}]
            if "example2" in features:
                messages += [{"role": "user", "content": EXAMPLE2_EN}, {"role": "assistant", "content": EXAMPLES2[lang]}]
            if "context" in features and previous:
                messages += [{"role": "user", "content": previous[0]}, {"role": "assistant", "content": previous[1]}]
            messages.append({"role": "user", "content": piece})
            text, usage = chat(url, messages, **step_options(piece, penalty))
            used.append(usage)
            out = first_line(text)
            if samples and not strict:
                # Minimum Bayes risk: the greedy answer and `samples` sampled ones; the
                # one that agrees most with the others (chrF) wins.
                with concurrent.futures.ThreadPoolExecutor(samples) as pool:
                    drawn = list(pool.map(lambda seed: chat(url, messages, **step_options(piece, penalty),
                                                            temperature=0.7, top_p=0.95, seed=seed),
                                          range(1, samples + 1)))
                used.extend(u for _, u in drawn)
                pool_ = [out] + [first_line(t) for t, _ in drawn]
                if "withsent" in features and len(sentences(piece)) > 1:
                    # The sentence-by-sentence answer as one more candidate.
                    pool_.append(" ".join(one_plain(s) for s in sentences(piece)))
                out = consensus(pool_)
            if "retry" in features and not strict and not_translated(piece, out):
                again = one(piece, strict=True)
                if not not_translated(piece, again):
                    out = again
            return out

        if "sent" in features:
            draft = " ".join(one(s) for s in sentences(source))
        elif "sys3" in features:
            # Three greedy answers from different requests (the paragraph, its sentences
            # one by one, the paragraph with instructions in the target language); the
            # one that agrees most with the other two is kept.
            candidates = [one(source), " ".join(one(s) for s in sentences(source))]
            features.add("native")
            candidates.append(one(source))
            features.discard("native")
            draft = consensus(candidates)
        else:
            draft = one(source)
            if "fill" in features and lost_sentences(source, draft):
                draft = " ".join(one(s) for s in sentences(source))
        if "review" in features:
            review = [{"role": "system", "content": (
                f"You are a professional editor of {NAMES[lang]} translations. You get an English text and a "
                f"draft translation into {NAMES[lang]}. Correct mistranslations, grammar (gender, case, "
                f"agreement), word order and unidiomatic wording; keep names, numbers and inline code. "
                f"Reply with the corrected translation only.")},
                {"role": "user", "content": f"English:\n{source}\n\nDraft:\n{draft}"}]
            fixed, usage = chat(url, review, **step_options(source, 1.0))
            used.append(usage)
            draft = first_line(fixed) or draft
        outputs.append(draft)
        # The term request is counted with the run's first paragraph.
        used.extend(glossary_usage)
        glossary_usage = []
        usages.append({k: sum(u[k] for u in used) for k in used[0]})
        previous = (source, draft)
    return outputs, usages


def load_runs(pairs_path):
    """The test set's paragraphs grouped by run (three consecutive paragraphs of a section)."""
    runs = {}
    for line in open(pairs_path, encoding="utf-8"):
        pair = json.loads(line)
        runs.setdefault(pair.get("doc", pair["id"]), []).append(pair)
    return list(runs.values())


def run_and_score(lang, runs, name, out, translate_run, label=None):
    """Translates every run with `translate_run(paragraphs, worker)` -> (outputs, usages),
    two workers each taking every other run (worker 0 or 1, for scripts that pin server
    slots), keeps the answers in `out` (an existing file is only scored again) and prints
    chrF against the human translations."""
    import sacrebleu
    if out.exists():
        record = json.loads(out.read_text(encoding="utf-8"))
    else:
        started = time.monotonic()
        results = [None] * len(runs)

        def work(worker):
            for i in range(worker, len(runs), 2):
                results[i] = translate_run([p["en"] for p in runs[i]], worker)
                print(f"  {name}: run {i + 1}/{len(runs)}", file=sys.stderr, flush=True)

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            list(pool.map(work, range(2)))
        outputs = [o for r in results for o in r[0]]
        usages = [u for r in results for u in r[1]]
        record = {"strategy": name, "lang": lang, "seconds": round(time.monotonic() - started, 1),
                  "paragraphs": [{"id": p["id"], "output": o, **u} for p, o, u in
                                 zip([p for run in runs for p in run], outputs, usages)]}
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    hyps = [r["output"].replace("`", "") for r in record["paragraphs"]]
    refs = [p[lang] for run in runs for p in run]
    chrf = sacrebleu.corpus_chrf(hyps, [refs]).score
    tokens = sum(r["completion_tokens"] for r in record["paragraphs"])
    print(f"{label or name:20s} {lang} chrF {chrf:5.1f}  {record['seconds']:6.1f} s  {tokens} answer tokens",
          flush=True)


def with_sentences_asked_again(source, translate):
    """`translate(text)` -> (answer, tokens) for the paragraph, and again a sentence at a
    time when its answer lost a sentence (Hearth's built pipeline); the answer, its
    tokens and seconds."""
    started = time.monotonic()
    out, tokens = translate(source)
    if lost_sentences(source, out):
        pieces = [translate(s) for s in sentences(source)]
        out = " ".join(p[0] for p in pieces)
        tokens += sum(p[1] for p in pieces)
    return out, {"completion_tokens": tokens, "seconds": time.monotonic() - started}


def translate_pinned(paragraphs, worker, slots_per_worker, translate):
    """Each paragraph by `translate(text, slots)` -> (answer, tokens) on the server slots
    of this worker (scripts that decode token by token keep a slot's cache per request),
    asked again a sentence at a time where it lost one; the outputs and usages."""
    slots = [worker * slots_per_worker + k for k in range(slots_per_worker)]
    answers = [with_sentences_asked_again(source, lambda text: translate(text, slots)) for source in paragraphs]
    return [a[0] for a in answers], [a[1] for a in answers]


def main():
    url, lang, pairs_path, out_dir, *strategies = sys.argv[1:]
    runs = load_runs(pairs_path)
    for strategy in strategies:
        run_and_score(lang, runs, strategy, Path(out_dir) / f"{strategy}.{lang}.json",
                      lambda paragraphs, _worker: translate_doc(url, lang, strategy, paragraphs))


if __name__ == "__main__":
    main()
