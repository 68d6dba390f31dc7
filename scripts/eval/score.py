#!/usr/bin/env python3
"""Scores the outputs run_eval.py left in WORK/out/ and prints Markdown tables.

    score.py WORK

Translation: chrF (sacrebleu's corpus_chrf: character 6-grams, beta 2), chrF++ and
BLEU against the human translation of each paragraph, plus the glossary hit rate.
Summaries: ROUGE-1, ROUGE-2 and ROUGE-L F1 (Google's rouge-score, Porter stemmer)
against the paper's own abstract, macro-averaged over the documents.
Also writes WORK/results.json with every per-item figure.
"""
import json
import re
import sys
from pathlib import Path
from statistics import mean

import sacrebleu
from rouge_score import rouge_scorer

GLOSSARY_FILE = Path(__file__).with_name("glossary.de.txt")


def load(path):
    return json.loads(Path(path).read_text(encoding="utf-8"))


def pairs_of(path):
    return [json.loads(line) for line in open(path, encoding="utf-8")]


def words(text):
    return " ".join(text.split())


# ---------------------------------------------------------------- glossary


def glossary_entries():
    entries = []
    for line in GLOSSARY_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            term, translation = (part.strip() for part in line.split("=", 1))
            entries.append((term, translation))
    return entries


def has_word(text, word):
    """Hearth's rule (glossary.rs contains_word): whole word, any case."""
    return re.search(r"(?<!\w)" + re.escape(word.lower()) + r"(?!\w)", text.lower()) is not None


def has_stem(text, word):
    """Lenient: the translation anywhere, also inside a compound or inflected word
    (Paket in Paketverwaltung, Paketes)."""
    return word.lower() in text.lower()


def glossary_figures(sources, targets):
    """Per applicable (paragraph, term): strict and lenient hits."""
    applicable = strict = lenient = 0
    for source, target in zip(sources, targets):
        for term, translation in glossary_entries():
            if has_word(source, term):
                applicable += 1
                strict += has_word(target, translation)
                lenient += has_stem(target, translation)
    return applicable, strict, lenient


# ---------------------------------------------------------------- translation


def load_runs(out_dir):
    """Finished runs (*.json) and interrupted ones (*.partial: the batches done so far)."""
    runs = []
    for path in sorted(out_dir.glob("*.json")) + sorted(out_dir.glob("*.partial")):
        record = load(path)
        if path.suffix == ".partial":
            record = {
                "model": record["model"], "lang": record["lang"], "glossary": record["glossary"],
                "pairs": record["pairs"], "exit_code": 0, "partial": True,
                "seconds": sum(c["seconds"] for c in record["calls"]),
                "cpu_seconds": sum(c.get("cpu_seconds") or 0 for c in record["calls"]),
                "failed_paragraphs": record["failed"],
                "answer": {"units": record["units"], "glossary_misses": record["misses"],
                           "warnings": record["warnings"], "completion_tokens": record["completion_tokens"]},
            }
        record["name"] = path.stem
        runs.append(record)
    return runs


def translated(record):
    answer = record["answer"] or {}
    return {words(u["source"]): u for u in answer.get("units", [])}


def translation_row(record, pairs, lang, keep):
    """Scores the paragraphs in `keep` (English source texts)."""
    units = translated(record)
    chosen = [p for p in pairs if words(p["en"]) in keep]
    hyps, refs, srcs = [], [], []
    unit_index = {id(u): i for i, u in enumerate(record["answer"]["units"])}
    kept_units = set()
    for pair in chosen:
        unit = units[words(pair["en"])]
        kept_units.add(unit_index[id(unit)])
        # The source marks code with backticks so Hearth keeps it; the reference has none.
        hyps.append(words(unit["target"].replace("`", "")))
        refs.append(words(pair[lang]))
        srcs.append(pair["en"])
    applicable, strict, lenient = glossary_figures(srcs, hyps)
    ref_applicable, ref_strict, ref_lenient = glossary_figures(srcs, refs)
    misses = [m for m in record["answer"].get("glossary_misses", []) if m["unit"] in kept_units]
    return {
        "paragraphs": len(chosen),
        "chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
        "chrfpp": sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score,
        "bleu": sacrebleu.corpus_bleu(hyps, [refs]).score,
        "glossary_applicable": applicable,
        "glossary_strict": strict,
        "glossary_lenient": lenient,
        "reference_strict": ref_strict,
        "reference_lenient": ref_lenient,
        "hearth_misses": len(misses),
        "not_translated": sum(1 for i in kept_units if record["answer"]["units"][i].get("not_translated")),
        "misses": misses,
        "crashed": [f["id"] for f in record.get("failed_paragraphs", [])],
        "partial": bool(record.get("partial")),
        "seconds": record["seconds"],
        "cpu_seconds": record.get("cpu_seconds"),
        "completion_tokens": record["answer"].get("completion_tokens"),
        "warnings": record["answer"].get("warnings", []),
        "translations": hyps,
    }


def copy_source_row(pairs, lang):
    hyps = [words(p["en"].replace("`", "")) for p in pairs]
    refs = [words(p[lang]) for p in pairs]
    return {
        "chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
        "chrfpp": sacrebleu.corpus_chrf(hyps, [refs], word_order=2).score,
        "bleu": sacrebleu.corpus_bleu(hyps, [refs]).score,
    }


def secs(record):
    cpu = record.get("cpu_seconds")
    return f"{record['seconds']:.0f} s / {cpu:.0f} s" if cpu is not None else f"{record['seconds']:.0f} s / –"


SYSTEM_NAMES = {
    "plain-prompt": "plain prompt (llama-server `/v1`)",
    "hearth-before": "`hearth translate` before (7791eea)",
    "hearth-872ce73": "`hearth translate` at 872ce73 (untranslated units marked, prompt measured)",
    "hearth": "`hearth translate`",
}
# A page of prose: 250 English words.
PAGE_WORDS = 250


def per_page(record, pairs, keep):
    words_translated = sum(len(p["en"].split()) for p in pairs if words(p["en"]) in keep)
    if not words_translated or record.get("partial"):
        return "–"
    return f"{record['seconds'] * PAGE_WORDS / words_translated:.0f}"


def pct(part, whole):
    return f"{100 * part / whole:.0f}% ({part}/{whole})" if whole else "–"


def translation_tables(work, results):
    out_dir = work / "out" / "mt"
    runs = load_runs(out_dir) if out_dir.exists() else []
    if not runs:
        return "No translation runs found.\n"
    lines = ["| system | model | pair | glossary | paragraphs scored | chrF | chrF++ | BLEU | glossary terms kept (whole word / also in compounds) | misses Hearth reported | units flagged not translated | time (wall / CPU) | seconds per page |",
             "|---|---|---|---|---:|---:|---:|---:|---|---:|---:|---:|---:|"]
    seen = {}
    systems = ["plain-prompt", "hearth-before", "hearth-872ce73", "hearth"]
    order = sorted(runs, key=lambda r: (r["lang"], r["model"] != "qwen15", systems.index(r.get("system", "hearth")) if r.get("system", "hearth") in systems else 9, r.get("best_of", 1), bool(r["glossary"])))
    for record in order:
        lang = record["lang"]
        pairs = pairs_of(record["pairs"])
        # Glossary on and off are compared on the paragraphs both runs translated (a
        # crash or an unfinished run leaves some out).
        keep = set(translated(record))
        for other in runs:
            if other is not record and other["model"] == record["model"] and other["lang"] == lang:
                keep &= set(translated(other))
        keep &= {words(p["en"]) for p in pairs}
        row = translation_row(record, pairs, lang, keep)
        seen.setdefault(lang, (pairs, set()))[1].add(frozenset(keep))
        results["translation"][record["name"]] = row
        label = "on" if record["glossary"] else "off"
        gloss = "–"
        if lang == "de":
            gloss = f"{pct(row['glossary_strict'], row['glossary_applicable'])} / {pct(row['glossary_lenient'], row['glossary_applicable'])}"
        reported = str(row["hearth_misses"]) if record["glossary"] else "–"
        notes = []
        if row["crashed"]:
            notes.append(f"{len(row['crashed'])} crashed Hearth")
        if row["partial"]:
            notes.append("run unfinished")
        note = f" ({'; '.join(notes)})" if notes else ""
        system = record.get("system", "hearth")
        flagged = "–" if not system.startswith("hearth") or system == "hearth-before" else str(row["not_translated"])
        name = SYSTEM_NAMES.get(system, system)
        if record.get("best_of", 1) > 1:
            name = f"`hearth translate --best-of {record['best_of']}`"
        lines.append(
            f"| {name} | {record['model']} | en→{lang} | {label} | {row['paragraphs']} of {len(pairs)}{note} | {row['chrf']:.1f} | {row['chrfpp']:.1f} | {row['bleu']:.1f} | "
            f"{gloss} | {reported} | {flagged} | {secs(record)} | {per_page(record, pairs, keep)} |"
        )
    for lang, (all_pairs, subsets) in sorted(seen.items()):
        for keep in sorted(subsets, key=len, reverse=True):
            pairs = [p for p in all_pairs if words(p["en"]) in keep]
            row = copy_source_row(pairs, lang)
            gloss = "–"
            if lang == "de":
                srcs = [p["en"] for p in pairs]
                refs = [words(p[lang]) for p in pairs]
                applicable, strict, lenient = glossary_figures(srcs, refs)
                gloss = f"{pct(strict, applicable)} / {pct(lenient, applicable)} (the human translation)"
                results["translation"][f"reference.de.{len(pairs)}"] = {"glossary_applicable": applicable, "strict": strict, "lenient": lenient}
            lines.append(f"| *English source copied unchanged (floor)* | – | en→{lang} | – | {len(pairs)} of {len(all_pairs)} | {row['chrf']:.1f} | {row['chrfpp']:.1f} | {row['bleu']:.1f} | {gloss} | – | – | – | – |")
            results["translation"][f"copy-source.{lang}.{len(pairs)}"] = row
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- summaries


SCORER = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def rouge(summary, reference):
    scores = SCORER.score(reference, summary)
    return {k: 100 * v.fmeasure for k, v in scores.items()}


def sentences(text):
    return [x for x in re.split(r"(?<=[.!?])\s+|\n+", text) if x.strip()]


def without_repeats(parts):
    """The sentences in order, each only the first time it occurs (small models loop)."""
    seen, kept = set(), []
    for part in parts:
        key = " ".join(re.sub(r"^[-*#\s]+", "", part).lower().split())
        if key and key not in seen:
            seen.add(key)
            kept.append(part)
    return " ".join(kept)


LABEL_ONLY = re.compile(r"^(#+ .*|part \d+( of \d+)?:?)$", re.IGNORECASE)


def hearth_summary_text(answer):
    # The points without Hearth's "[§ 2]" references, which are not summary words.
    return " ".join(p["text"] for p in answer["points"])


def summary_tables(work, results):
    sum_dir = work / "sum"
    docs = sorted(p for p in sum_dir.glob("*.md")) if sum_dir.exists() else []
    out_dir = work / "out" / "sum"
    if not out_dir.exists():
        return "No summary runs found (--no-summaries).\n"
    per_doc = ["| document | words | parts | Hearth R-1 / R-2 / R-L | parts cited | cut-to-context R-1 / R-2 / R-L | share seen | lead-180 R-1 / R-2 / R-L |",
               "|---|---:|---:|---|---:|---|---:|---|"]
    systems = {}
    for doc in docs:
        reference = (sum_dir / f"{doc.stem}.abstract.txt").read_text(encoding="utf-8")
        markdown = doc.read_text(encoding="utf-8")
        body = markdown.split("\n", 1)[1] if markdown.startswith("#") else markdown
        lead = " ".join(body.split()[:180])
        doc_words = len(body.split())
        entry = {"words": doc_words, "abstract_words": len(reference.split())}
        lead_scores = rouge(lead, reference)
        systems.setdefault(("lead-180", "—"), []).append({"rouge": lead_scores, "words": 180})
        cells = {"hearth": "–", "baseline": "–", "parts": "–", "cited": "–", "seen": "–"}
        for path in sorted(out_dir.glob(f"*.{doc.stem}.*.json")) if out_dir.exists() else []:
            record = load(path)
            kind = path.stem.rsplit(".", 1)[1]
            model = record["model"]
            answer = record["answer"] or {}
            if record["exit_code"] != 0 or not answer:
                cells[kind] = "failed"
                entry[f"{model}.{kind}"] = {"failed": True, "error": (record.get("stdout") or record.get("stderr") or "")[-300:]}
                continue
            if kind == "hearth":
                text = hearth_summary_text(answer)
                deduped = without_repeats(p["text"] for p in answer["points"])
                parts = len(answer["parts"])
                extra = {"parts": parts, "parts_cited": answer["parts_cited"], "levels": answer["levels"],
                         "steps": answer["steps"], "prompt_tokens": answer["prompt_tokens"],
                         "completion_tokens": answer["completion_tokens"], "warnings": answer["warnings"]}
                cells["parts"] = str(parts)
                cells["cited"] = pct(answer["parts_cited"], parts)
                # Points that are only an echo of the prompt's "Part 3 of 8:" label or a
                # heading say nothing about the parts they are attributed to.
                content = {i for p in answer["points"] if not LABEL_ONLY.match(p["text"].strip()) for i in p["parts"]}
                extra["parts_cited_by_content"] = len(content)
                if len(content) != answer["parts_cited"]:
                    cells["cited"] += f"; {len(content)} by points that are not just a \"Part N:\" label or heading"
                coverage = answer["parts_cited"] / parts if parts else 0
            else:
                text = answer["text"]
                deduped = without_repeats(sentences(text))
                extra = {"seen_tokens": record["seen_tokens"], "document_tokens": record["document_tokens"],
                         "completion_tokens": answer.get("completion_tokens"), "stop": answer.get("stop_reason")}
                coverage = min(1.0, record["seen_tokens"] / record["document_tokens"])
                cells["seen"] = f"{100 * coverage:.0f}%"
            scores = rouge(text, reference)
            dedup_scores = rouge(deduped, reference)
            systems.setdefault((kind + "-dedup", model), []).append({"rouge": dedup_scores, "words": len(deduped.split()),
                                                                    "coverage": None})
            cells[kind] = " / ".join(f"{scores[k]:.1f}" for k in ("rouge1", "rouge2", "rougeL"))
            entry[f"{model}.{kind}"] = {"rouge": scores, "rouge_without_repeats": dedup_scores,
                                        "words_without_repeats": len(deduped.split()),
                                        "words": len(text.split()), "seconds": record["seconds"],
                                        "cpu_seconds": record.get("cpu_seconds"),
                                        "coverage": coverage, "summary": text, **extra}
            systems.setdefault((kind, model), []).append({"rouge": scores, "words": len(text.split()),
                                                          "seconds": record["seconds"], "cpu": record.get("cpu_seconds"),
                                                          "coverage": coverage})
        lead_cell = " / ".join(f"{lead_scores[k]:.1f}" for k in ("rouge1", "rouge2", "rougeL"))
        per_doc.append(f"| {doc.stem} | {doc_words} | {cells['parts']} | {cells['hearth']} | {cells['cited']} | "
                       f"{cells['baseline']} | {cells['seen']} | {lead_cell} |")
        results["summaries"][doc.stem] = entry
    names = {"hearth": "Hearth hierarchical (`hearth summarize`)", "baseline": "cut to the context (`hearth run`)",
             "hearth-dedup": "*Hearth hierarchical, repeated sentences removed afterwards*",
             "baseline-dedup": "*cut to the context, repeated sentences removed afterwards*",
             "lead-180": "*first 180 words of the paper, no model*"}
    summary = ["| system | model | documents | ROUGE-1 | ROUGE-2 | ROUGE-L | summary words | document covered | time per document (wall / CPU) |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    order = {"hearth": 0, "baseline": 1, "hearth-dedup": 2, "baseline-dedup": 3, "lead-180": 4}
    for (kind, model), rows in sorted(systems.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])):
        r = {k: mean(row["rouge"][k] for row in rows) for k in ("rouge1", "rouge2", "rougeL")}
        covered = "–"
        if kind == "hearth":
            covered = f"{100 * mean(row['coverage'] for row in rows):.0f}% of parts cited (100% read)"
        elif kind == "baseline":
            covered = f"{100 * mean(row['coverage'] for row in rows):.0f}% read"
        seconds = "–"
        if "seconds" in rows[0]:
            cpus = [row["cpu"] for row in rows if row.get("cpu") is not None]
            cpu = f"{mean(cpus):.0f} s" if len(cpus) == len(rows) else "–"
            seconds = f"{mean(row['seconds'] for row in rows):.0f} s / {cpu}"
        summary.append(f"| {names[kind]} | {model} | {len(rows)} | {r['rouge1']:.1f} | {r['rouge2']:.1f} | {r['rougeL']:.1f} | "
                       f"{mean(row['words'] for row in rows):.0f} | {covered} | {seconds} |")
        results["summary_systems"][f"{kind}.{model}"] = {**r, "documents": len(rows)}
    return "\n".join(summary) + "\n\nPer document (ROUGE F1 × 100 against the paper's abstract):\n\n" + "\n".join(per_doc) + "\n"


def main():
    work = Path(sys.argv[1])
    results = {"translation": {}, "summaries": {}, "summary_systems": {}}
    text = "### Translation (chrF)\n\n" + translation_tables(work, results)
    text += "\n### Summaries (ROUGE)\n\n" + summary_tables(work, results)
    (work / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    (work / "results.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
