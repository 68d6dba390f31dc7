#!/usr/bin/env python3
"""Runs Hearth on the evaluation data and keeps every raw output.

    run_eval.py translate WORK HEARTH MODEL_PATH NAME LANG PAIRS.jsonl [GLOSSARY]
    run_eval.py plain     WORK URL NAME LANG PAIRS.jsonl
    run_eval.py summarize WORK HEARTH MODEL_PATH NAME DOC.md
    run_eval.py baseline  WORK HEARTH MODEL_PATH NAME DOC.md

`plain` is the translation baseline: each paragraph sent on its own to an
OpenAI-compatible /v1/chat/completions (llama.cpp's llama-server with the same model
file) as one user message, "Translate the following text into German:" and the
paragraph, greedy, and the answer taken as the model gives it: what a person gets
from a plain chat prompt.

Each command writes one JSON file under WORK/out/ (named after its arguments) with
the command line, the wall-clock seconds and Hearth's --json answer; a file that is
already there is kept (delete WORK/out/ to run again). Hearth runs with
HEARTH_HOME=WORK/home, whose config.toml evaluate.sh writes.

The baseline is "cut the document to the context": the same instruction Hearth's
summarizer gives the model when a document fits in one step (the same system prompt,
answer budget and sampling), with as much of the document's beginning as fits in
the context; `hearth run` answers it. Tokens are counted by Hearth itself: with a
64-token context `hearth run` refuses any longer prompt and says how many tokens it
has, without loading the model's weights into a context.
"""
import json
import os
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

# Mirrors crates/hearth-core/src/documents/summarize.rs for --style paragraph
# --length medium: SummaryLength::words = 180, answer_tokens = 180 * 2 + 64, and
# step_options (temperature 0, repeat penalty 1.1, seed 0).
WORDS = 180
ANSWER_TOKENS = WORDS * 2 + 64
CONTEXT = 4096


def hearth_env(work, home="home"):
    env = dict(os.environ)
    env["HEARTH_HOME"] = str(Path(work) / home)
    env.setdefault("NO_COLOR", "1")
    return env


def run_json(cmd, env, stdin_text=None):
    started = time.monotonic()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(cmd, input=stdin_text, capture_output=True, text=True, env=env)
    seconds = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # CPU time of hearth and its model worker: unlike wall-clock time, it does not
    # grow when other work shares the machine.
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    out = proc.stdout.strip()
    try:
        answer = json.loads(out) if out else None
    except json.JSONDecodeError:
        answer = None
    return {
        "command": cmd,
        "exit_code": proc.returncode,
        "seconds": round(seconds, 1),
        "cpu_seconds": round(cpu, 1),
        "answer": answer,
        "stdout": out if answer is None else None,
        "stderr": proc.stderr[-4000:],
    }


def save(path, record):
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.rename(path)
    status = "ok" if record["exit_code"] == 0 else f"FAILED (exit {record['exit_code']})"
    print(f"  {path.name}: {status} in {record['seconds']} s", file=sys.stderr)


# Paragraphs per `hearth translate` call when the sample has no runs (`doc`): a run of
# consecutive paragraphs is always one call, a document as a user would give it. A call
# that fails is retried one paragraph at a time so that one paragraph that crashes
# Hearth costs that paragraph, not the whole run.
BATCH = int(os.environ.get("EVAL_BATCH", "6"))

# `hearth translate` exits 7 when it wrote a translation but flagged units the model
# did not translate: the answer is complete.
TRANSLATED_EXITS = (0, 7)


def batches_of(pairs):
    if all("doc" in p for p in pairs):
        runs = {}
        for pair in pairs:
            runs.setdefault(pair["doc"], []).append(pair)
        return list(runs.values())
    return [pairs[i:i + BATCH] for i in range(0, len(pairs), BATCH)]


def translate(work, hearth, model, name, lang, pairs_path, glossary=None):
    tag = "glossary" if glossary else "hearth"
    # EVAL_SYSTEM names a Hearth build other than the current one ("hearth-before").
    system = os.environ.get("EVAL_SYSTEM", "hearth")
    if system != "hearth":
        tag = f"{tag}.{system}"
    # EVAL_BEST_OF: candidates per paragraph (`hearth translate --best-of N`).
    best_of = os.environ.get("EVAL_BEST_OF")
    if best_of:
        tag = f"{tag}.best{best_of}"
    out = Path(work) / "out" / "mt" / f"{name}.{lang}.{tag}.json"
    if out.exists():
        return
    pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]
    cmd = [hearth, "translate", "-", "--from", "en", "--to", lang, "-m", model, "--json"]
    if glossary:
        cmd += ["--glossary", glossary]
    if best_of:
        cmd += ["--best-of", best_of]
    env = hearth_env(work)
    calls, failed = [], []
    units, misses, warnings = [], [], []
    prompt_tokens = completion_tokens = 0
    # Progress survives an interrupted run: finished batches are kept in OUT.partial.
    partial = out.with_suffix(".partial")
    done_batches = 0
    if partial.exists():
        state = json.loads(partial.read_text(encoding="utf-8"))
        calls, failed, units, misses, warnings = (state[k] for k in ("calls", "failed", "units", "misses", "warnings"))
        prompt_tokens, completion_tokens, done_batches = state["prompt_tokens"], state["completion_tokens"], state["batches"]

    def take(record, batch):
        nonlocal prompt_tokens, completion_tokens
        answer = record["answer"] or {}
        offset = len(units)
        units.extend(answer["units"])
        misses.extend({**m, "unit": m["unit"] + offset} for m in answer.get("glossary_misses", []))
        warnings.extend(answer.get("warnings", []))
        prompt_tokens += answer.get("prompt_tokens", 0)
        completion_tokens += answer.get("completion_tokens", 0)

    batches = batches_of(pairs)
    for number, batch in enumerate(batches):
        start = sum(len(b) for b in batches[:number])
        if number < done_batches:
            continue
        if number > 0:
            partial.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps({
                "calls": calls, "failed": failed, "units": units, "misses": misses, "warnings": warnings,
                "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "batches": number,
                "pairs_done": start, "model": name, "lang": lang, "glossary": glossary, "pairs": str(pairs_path),
            }, ensure_ascii=False), encoding="utf-8")
        record = run_json(cmd, env, stdin_text="\n\n".join(p["en"] for p in batch) + "\n")
        calls.append({k: record[k] for k in ("exit_code", "seconds", "cpu_seconds", "stderr")} | {"paragraphs": len(batch)})
        if record["exit_code"] in TRANSLATED_EXITS and record["answer"] and "units" in record["answer"]:
            take(record, batch)
            continue
        print(f"  paragraphs {start + 1}-{start + len(batch)} failed (exit {record['exit_code']}); "
              "again one at a time", file=sys.stderr)
        for pair in batch:
            record = run_json(cmd, env, stdin_text=pair["en"] + "\n")
            calls.append({k: record[k] for k in ("exit_code", "seconds", "cpu_seconds", "stderr")} | {"paragraphs": 1})
            if record["exit_code"] in TRANSLATED_EXITS and record["answer"] and "units" in record["answer"]:
                take(record, [pair])
            else:
                failed.append({"id": pair["id"], "en": pair["en"], "exit_code": record["exit_code"],
                               "error": (record["stdout"] or "") + record["stderr"][-1500:]})
    record = {
        "command": cmd,
        "exit_code": 0,
        "seconds": round(sum(c["seconds"] for c in calls), 1),
        "cpu_seconds": round(sum(c["cpu_seconds"] for c in calls), 1),
        "answer": {"units": units, "glossary_misses": misses, "warnings": warnings,
                   "prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens},
        "failed_paragraphs": failed,
        "calls": calls,
        "model": name, "lang": lang, "glossary": glossary, "pairs": str(pairs_path), "system": system,
        "best_of": int(best_of or 1),
    }
    save(out, record)
    partial.unlink(missing_ok=True)
    if failed:
        print(f"  {len(failed)} paragraph(s) made hearth translate fail; see failed_paragraphs in {out}", file=sys.stderr)


LANGUAGE_NAMES = {"de": "German", "fr": "French"}


def plain(work, url, name, lang, pairs_path):
    """The one-prompt baseline through /v1, one request per paragraph, two at a time
    (the server's two slots, as Hearth runs two sequences)."""
    import concurrent.futures
    import urllib.request
    out = Path(work) / "out" / "mt" / f"{name}.{lang}.plain-prompt.json"
    if out.exists():
        return
    pairs = [json.loads(line) for line in open(pairs_path, encoding="utf-8")]

    def ask(pair):
        body = {"messages": [{"role": "user", "content": f"Translate the following text into {LANGUAGE_NAMES[lang]}:\n\n{pair['en']}"}],
                "temperature": 0, "seed": 0}
        request = urllib.request.Request(url.rstrip("/") + "/v1/chat/completions", data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=900) as response:
            answer = json.load(response)
        usage = answer.get("usage", {})
        return answer["choices"][0]["message"]["content"].strip(), usage

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(ask, pairs))
    seconds = time.monotonic() - started
    record = {
        "command": ["POST", url + "/v1/chat/completions"],
        "exit_code": 0,
        "seconds": round(seconds, 1),
        "cpu_seconds": None,
        "answer": {
            "units": [{"kind": "paragraph", "source": p["en"], "target": text} for p, (text, _) in zip(pairs, answers)],
            "glossary_misses": [], "warnings": [],
            "prompt_tokens": sum(u.get("prompt_tokens", 0) for _, u in answers),
            "completion_tokens": sum(u.get("completion_tokens", 0) for _, u in answers),
        },
        "failed_paragraphs": [],
        "model": name, "lang": lang, "glossary": None, "pairs": str(pairs_path), "system": "plain-prompt",
    }
    save(out, record)


def summarize(work, hearth, model, name, doc):
    doc = Path(doc)
    out = Path(work) / "out" / "sum" / f"{name}.{doc.stem}.hearth.json"
    if out.exists():
        return
    cmd = [hearth, "summarize", str(doc), "--style", "paragraph", "--length", "medium", "-m", model, "--json"]
    record = run_json(cmd, hearth_env(work))
    record.update({"model": name, "doc": str(doc)})
    save(out, record)


def count_tokens(work, hearth, model, system, user):
    """Prompt tokens (chat template included) as Hearth counts them."""
    cmd = [hearth, "run", "-", "-s", system, "-m", model, "-n", "1", "--json"]
    proc = subprocess.run(cmd, input=user, capture_output=True, text=True, env=hearth_env(work, "count-home"))
    m = re.search(r"the prompt has (\d+) tokens", proc.stdout + proc.stderr)
    if not m:
        raise SystemExit(f"could not count tokens with {cmd}: {proc.stdout} {proc.stderr}")
    return int(m.group(1))


def title_of(markdown):
    first = markdown.lstrip().splitlines()[0]
    return first.lstrip("#").strip() if first.startswith("#") else None


def baseline_system(title):
    name = f'the document "{title}"' if title else "a document"
    return (
        f"You summarize {name} from the text below. Write the summary as one paragraph of about "
        f"{WORDS} words. Write in the same language as the text. Reply with the summary only."
    )


def baseline(work, hearth, model, name, doc):
    doc = Path(doc)
    out = Path(work) / "out" / "sum" / f"{name}.{doc.stem}.baseline.json"
    if out.exists():
        return
    markdown = doc.read_text(encoding="utf-8")
    title = title_of(markdown)
    body = markdown.lstrip()
    if title:
        body = body.split("\n", 1)[1].lstrip()
    system = baseline_system(title)
    limit = CONTEXT - ANSWER_TOKENS
    words = body.split(" ")
    total_tokens = count_tokens(work, hearth, model, system, body)
    # The longest prefix of whole words whose prompt fits: binary search on words.
    lo, hi = 0, len(words)
    if total_tokens <= limit:
        lo = hi
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if count_tokens(work, hearth, model, system, " ".join(words[:mid])) <= limit:
            lo = mid
        else:
            hi = mid - 1
    cut = " ".join(words[:lo])
    prompt_tokens = count_tokens(work, hearth, model, system, cut)
    # The system prompt and chat template around the text ("x" is one token).
    overhead = count_tokens(work, hearth, model, system, "x") - 1
    cmd = [hearth, "run", "-", "-s", system, "-m", model, "--temperature", "0", "--repeat-penalty", "1.1",
           "--seed", "0", "-n", str(ANSWER_TOKENS), "--json"]
    record = run_json(cmd, hearth_env(work), stdin_text=cut)
    record["command"] = record["command"][:4] + ["<system prompt>"] + record["command"][5:]
    record.update({
        "model": name,
        "doc": str(doc),
        "system": system,
        "document_tokens": total_tokens - overhead,
        "seen_tokens": prompt_tokens - overhead,
        "prompt_tokens_limit": limit,
        "seen_words": len(cut.split()),
        "document_words": len(body.split()),
    })
    save(out, record)


def main():
    command, args = sys.argv[1], sys.argv[2:]
    {"translate": translate, "plain": plain, "summarize": summarize, "baseline": baseline}[command](*args)


if __name__ == "__main__":
    main()
