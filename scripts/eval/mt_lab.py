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
  native    the instructions written in the target language
  context   the previous paragraph and its translation as an earlier turn
  review    a second pass that corrects the draft against the source
  retry     ask again, with stricter instructions, when the answer is a copy, English,
            or under half the source's words (a rough stand-in for Hearth's check)
  sent      each sentence translated on its own

The names of the first experiments stand for their feature sets: `greedy` (none),
`context` (context), `review` (context+review).

Run it against llama-server with the evaluation's model file, for example:

    target/llama-bench-zen4/bin/llama-server -m .models/qwen2.5-coder-1.5b-instruct-q4_k_m.gguf \
        -c 8192 -np 2 --port 8811 &
    .eval/venv/bin/python scripts/eval/mt_lab.py http://127.0.0.1:8811 de \
        .eval/mt/sample.de.jsonl .eval/lab plain greedy formal+complete+example

Writes OUT_DIR/STRATEGY.LANG.json: per paragraph the output, the requests' token counts
and seconds; prints chrF against the human translation (sacrebleu).
"""
import concurrent.futures
import json
import sys
import time
import urllib.request
from pathlib import Path

NAMES = {"de": "German", "fr": "French"}


def chat(url, messages, **options):
    body = {"messages": messages, "temperature": 0, "seed": 0, **options}
    request = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions",
                                     data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
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


def translate_doc(url, lang, strategy, paragraphs):
    """Outputs and usage for one run of consecutive paragraphs."""
    features = set(filter(None, ALIASES.get(strategy, strategy).split("+")))
    outputs, usages = [], []
    previous = None
    for source in paragraphs:
        if strategy == "plain":
            text, usage = chat(url, [{"role": "user", "content": f"Translate the following text into {NAMES[lang]}:\n\n{source}"}])
            outputs.append(text.strip())
            usages.append(usage)
            continue
        penalty = 1.05 if "rp" in features else 1.0
        used = []

        def one(piece, strict=False):
            system = hearth_system(lang, "formal" in features, "complete" in features, "native" in features)
            if strict:
                system = strict_system(lang)
            messages = [{"role": "system", "content": system}]
            if "example" in features:
                messages += [{"role": "user", "content": EXAMPLE_EN}, {"role": "assistant", "content": EXAMPLES[lang]}]
            if "context" in features and previous:
                messages += [{"role": "user", "content": previous[0]}, {"role": "assistant", "content": previous[1]}]
            messages.append({"role": "user", "content": piece})
            text, usage = chat(url, messages, **step_options(piece, penalty))
            used.append(usage)
            out = first_line(text)
            if "retry" in features and not strict and not_translated(piece, out):
                again = one(piece, strict=True)
                if not not_translated(piece, again):
                    out = again
            return out

        if "sent" in features:
            draft = " ".join(one(s) for s in sentences(source))
        else:
            draft = one(source)
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
        usages.append({k: sum(u[k] for u in used) for k in used[0]})
        previous = (source, draft)
    return outputs, usages


def main():
    url, lang, pairs_path, out_dir, *strategies = sys.argv[1:]
    pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
    docs = {}
    for pair in pairs:
        docs.setdefault(pair.get("doc", pair["id"]), []).append(pair)
    import sacrebleu
    for strategy in strategies:
        out = Path(out_dir) / f"{strategy}.{lang}.json"
        if out.exists():
            record = json.loads(out.read_text(encoding="utf-8"))
        else:
            started = time.monotonic()
            with concurrent.futures.ThreadPoolExecutor(2) as pool:
                results = list(pool.map(lambda d: translate_doc(url, lang, strategy, [p["en"] for p in d]), docs.values()))
            outputs = [o for r in results for o in r[0]]
            usages = [u for r in results for u in r[1]]
            record = {"strategy": strategy, "lang": lang, "seconds": round(time.monotonic() - started, 1),
                      "paragraphs": [{"id": p["id"], "output": o, **u} for p, o, u in
                                     zip([p for d in docs.values() for p in d], outputs, usages)]}
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        ordered = [p for d in docs.values() for p in d]
        hyps = [r["output"].replace("`", "") for r in record["paragraphs"]]
        refs = [p[lang] for p in ordered]
        chrf = sacrebleu.corpus_chrf(hyps, [refs]).score
        tokens = sum(r["completion_tokens"] for r in record["paragraphs"])
        print(f"{strategy:10s} {lang} chrF {chrf:5.1f}  {record['seconds']:6.1f} s  {tokens} answer tokens", flush=True)


if __name__ == "__main__":
    main()
