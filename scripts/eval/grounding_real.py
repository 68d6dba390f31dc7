#!/usr/bin/env python3
"""The grounding check on what real models write: summaries of real sections, each point
marked by the check and, for the points in the labels file, by a person.

Sections of 250 to 500 words are taken from the English Debian Reference chapters
(.testdata/debian-reference/ch*.en.html, seed 3). Each model summarizes each section
as bullets through `hearth --json summarize` with the check in thorough mode (facts,
then all-MiniLM-L6-v2's similarity, then JUDGE as the model judge), one sequence at a
time so the same run gives the same points. Every point becomes an item with the layer
that flagged it, if any:

    facts        a number, date, name, quote or code span the section does not have
    similarity   nothing in the section is close to it
    judge        the judge found no support, or a contradiction

The labels file (scripts/eval/grounding-real-labels.tsv: item id, `supported` or
`unsupported`, a note) holds a person's reading of each point against its section;
items are identified by a hash of the model, section and point, so a changed output is
a new, unlabelled item. Prints, per model, how many points each layer flagged and, on
the labelled ones, precision and recall of "flagged" per layer cumulatively; writes the
items to OUT/items.jsonl (the section text beside each, for labelling) and the tables to
OUT/results.md, with the time the check took inside the summaries (`grounding.millis`)
against their wall time.

    grounding_real.py HEARTH_BIN OUT_DIR JUDGE.gguf MODEL.gguf... [--sections N]
"""
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from grounding import Paragraphs, ROOT  # noqa: E402

LABELS = ROOT / "scripts/eval/grounding-real-labels.tsv"


def sections(count, seed=3):
    """`count` runs of whole paragraphs, 250 to 500 words, from the Debian Reference."""
    found = []
    for page in sorted((ROOT / ".testdata/debian-reference").glob("ch*.en.html")):
        parser = Paragraphs()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        run, words = [], 0
        for paragraph in parser.paragraphs:
            run.append(paragraph)
            words += len(paragraph.split())
            if words >= 250:
                if words <= 500:
                    found.append((page.stem, "\n\n".join(run)))
                run, words = [], 0
    random.Random(seed).shuffle(found)
    return found[:count]


def layer(finding):
    if finding["kind"] not in ("statement", "contradiction"):
        return "facts"
    return "judge" if "(the judge" in finding["reason"] or finding["kind"] == "contradiction" else "similarity"


def prepare_home(home, judge):
    models = home / "data" / "models" / "all-MiniLM-L6-v2"
    if not models.exists():
        shutil.copytree(ROOT / ".models" / "all-MiniLM-L6-v2", models)
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text(
        f'context_length = 4096\nparallel = 1\ngrounding = "thorough"\ngrounding_judge = {json.dumps(str(judge))}\n'
    )


def labels():
    if not LABELS.exists():
        return {}
    out = {}
    for line in LABELS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            item, label, *_ = line.split("\t")
            out[item] = label
    return out


def table(items):
    known = labels()
    lines = []
    cumulative = [("facts", {"facts"}), ("facts + similarity", {"facts", "similarity"}),
                  ("facts + similarity + judge", {"facts", "similarity", "judge"})]
    for model in sorted({i["model"] for i in items}):
        mine = [i for i in items if i["model"] == model]
        by = {name: sum(1 for i in mine if i["layer"] == name) for name in ("facts", "similarity", "judge")}
        lines.append(f"### {model}: {len(mine)} points from {len({i['section'] for i in mine})} sections")
        lines.append(f"- flagged by facts {by['facts']}, by similarity {by['similarity']}, by the judge {by['judge']}; "
                     f"{len(mine) - sum(by.values())} not flagged")
        labelled = [i for i in mine if i["id"] in known]
        unsupported = [i for i in labelled if known[i["id"]] == "unsupported"]
        lines.append(f"- labelled by hand: {len(labelled)} ({len(unsupported)} unsupported)")
        for name, wanted in cumulative:
            flagged = [i for i in labelled if i["layer"] in wanted]
            tp = sum(1 for i in flagged if known[i["id"]] == "unsupported")
            precision = tp / len(flagged) if flagged else 0.0
            recall = tp / len(unsupported) if unsupported else 0.0
            lines.append(f"  - {name}: {len(flagged)} flagged, precision {precision:.2f}, recall {recall:.2f}")
        lines.append("")
    return "\n".join(lines)


def times(timings):
    """What the thorough check took inside each model's summaries (`grounding.millis`)."""
    lines = []
    for model in sorted({m for m, _, _ in timings}):
        mine = [(s, c) for m, s, c in timings if m == model]
        total, check = sum(s for s, _ in mine), sum(c for _, c in mine)
        lines.append(f"- {model}: {len(mine)} summaries in {total:.1f} s (process start and model load "
                     f"included); the thorough check inside them {check:.1f} s ({100 * check / total:.0f}%)")
    return "\n".join(lines)


def main():
    args = [a for a in sys.argv[1:]]
    count = 10
    if "--sections" in args:
        at = args.index("--sections")
        count = int(args[at + 1])
        del args[at:at + 2]
    if len(args) < 4:
        sys.exit(__doc__)
    hearth, out, judge, models = args[0], Path(args[1]), Path(args[2]).resolve(), [Path(m).resolve() for m in args[3:]]
    out.mkdir(parents=True, exist_ok=True)
    chosen = sections(count)
    folder = out / "sections"
    folder.mkdir(exist_ok=True)
    items, timings = [], []
    for model in models:
        home = out / f"home-{model.stem}"
        prepare_home(home, judge)
        for n, (chapter, text) in enumerate(chosen):
            name = f"{chapter}-{n}"
            path = folder / f"{name}.md"
            path.write_text(text)
            started = time.monotonic()
            run = subprocess.run(
                [hearth, "--json", "summarize", "-m", str(model), "--style", "bullets", str(path)],
                capture_output=True, text=True, env={"HEARTH_HOME": str(home), "PATH": "/usr/bin:/bin"},
            )
            if run.returncode != 0:
                sys.exit(f"hearth summarize failed on {name}: {run.stderr}")
            seconds = time.monotonic() - started
            summary = json.loads(run.stdout)
            timings.append((model.stem, seconds, summary.get("grounding", {}).get("millis", 0) / 1000))
            for warning in summary.get("warnings", []):
                print(f"{model.stem} {name}: {warning}", file=sys.stderr)
            for point in summary["points"]:
                findings = point.get("unsupported", [])
                key = f"{model.name}\n{name}\n{point['text']}"
                items.append({
                    "id": hashlib.sha1(key.encode()).hexdigest()[:12],
                    "model": model.stem,
                    "section": name,
                    "text": point["text"],
                    "layer": layer(findings[0]) if findings else None,
                    "reasons": [f["reason"] for f in findings],
                    "source": text,
                })
    with open(out / "items.jsonl", "w") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    result = table(items) + "\n" + times(timings)
    (out / "results.md").write_text(result + "\n")
    print(result)


if __name__ == "__main__":
    main()
