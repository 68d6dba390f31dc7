#!/usr/bin/env python3
"""Measures the grounding check (`hearth check`) on a labelled set built from real text.

The documents are the English Debian Reference chapters that scripts/fetch-test-docs.sh
fetches (.testdata/debian-reference/*.en.html), and, when scripts/evaluate.sh has built
them, the R vignettes (.eval/sum/*.md). From each document, statements are taken that
state something the check can test (a number, a date, a name, a quoted string or a code
span), and each becomes several labelled items:

  supported (what the check must let through):
    copy         the sentence as the document has it
    reworded     the same facts written another way: thousands separators, "percent",
                 another date order, a possessive, the sentence's start changed
    abstract     (vignettes only) a sentence of the paper's own abstract: a person's
                 summary, whose facts mostly but not always occur in the body
  not supported (what it must flag):
    number       one number changed to one the document does not have
    date         a year or day changed
    name         a name replaced by one the document never mentions
    code         a code span changed by one character
    negation     "not" put in or taken out (the fact check cannot see this; measured
                 to say so)
    clause       an unsupported clause added, without facts of its own (likewise)

Every item is checked against its own document with `hearth --json check`; an item is
"flagged" when the check marks it not_found (or contradicted). Prints precision and
recall of "flagged" per perturbation and overall, and writes the items with their
verdicts to OUT/items.jsonl and the tables to OUT/results.md.

With --thorough JUDGE.gguf the check runs in thorough mode (`--mode thorough`: the
embedding model all-MiniLM-L6-v2 from .models/, then JUDGE as the model judge) on a
sample of --sample N items of each kind (a generation per sentence is slow), with one
more kind:

    elsewhere    a sentence of another document, facts or not (what the similarity
                 layer is for)

and the tables say which layer flagged each item: facts alone, facts and similarity,
all three.

    grounding.py HEARTH_BIN OUT_DIR [--per-doc N] [--thorough JUDGE.gguf [--sample N]]
"""
import html.parser
import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FACT = re.compile(r"\d|`|\"|“|\b[A-Z][a-z]+\b")
NEW_NAMES = ["Zanzibar", "Kowalczyk", "Okonkwo", "Fitzgerald", "Mbeki", "Ravensworth", "Tarkington", "Vuković"]
CLAUSES = [
    ", which most administrators consider the safest choice",
    ", although this is rarely recommended in practice",
    ", as the original authors always intended",
]


class Paragraphs(html.parser.HTMLParser):
    """The text of every <p> of an HTML page, code spans kept in backticks."""

    def __init__(self):
        super().__init__()
        self.paragraphs, self.current, self.depth, self.code = [], None, 0, 0

    def handle_starttag(self, tag, attrs):
        if tag == "p":
            self.current, self.depth = [], self.depth + 1
        elif tag in ("code", "literal", "tt") or (tag == "span" and ("class", "literal") in attrs):
            self.code += 1
            if self.current is not None:
                self.current.append("`")

    def handle_endtag(self, tag):
        if tag == "p" and self.current is not None:
            text = re.sub(r"\s+", " ", "".join(self.current)).strip()
            text = text.replace("``", "")
            if text:
                self.paragraphs.append(text)
            self.current = None
        elif tag in ("code", "literal", "tt") or tag == "span" and self.code:
            if self.code and self.current is not None and tag != "span":
                self.current.append("`")
            if tag != "span":
                self.code = max(0, self.code - 1)

    def handle_data(self, data):
        if self.current is not None:
            self.current.append(data)


def sentences(text):
    return [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z`\"])", text) if s.strip()]


def documents():
    """(name, markdown text, abstract sentences) of every document available."""
    docs = []
    for page in sorted((ROOT / ".testdata/debian-reference").glob("ch*.en.html")):
        parser = Paragraphs()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        docs.append((page.name, "\n\n".join(parser.paragraphs), []))
    for md in sorted((ROOT / ".eval/sum").glob("*.md")):
        abstract = md.with_suffix(".abstract.txt")
        lines = sentences(abstract.read_text()) if abstract.exists() else []
        docs.append((md.name, md.read_text(), lines))
    return docs


def candidates(text):
    """Sentences of 8 to 60 words with something to check, no line breaks."""
    out = []
    for paragraph in text.split("\n\n"):
        for s in sentences(paragraph):
            words = s.split()
            if 8 <= len(words) <= 60 and FACT.search(s[1:]) and "\n" not in s and s.count("`") % 2 == 0:
                out.append(s)
    return out


def outside_quotes(s, pattern, replace):
    """`pattern` replaced once, only outside quotes and code, where wording is free."""
    protected = [m.span() for m in re.finditer(r"`[^`]*`|\"[^\"]*\"|“[^”]*”", s)]
    for m in re.finditer(pattern, s):
        if not any(a <= m.start() < b for a, b in protected):
            return s[: m.start()] + m.expand(replace) + s[m.end():]
    return s


def reworded(s):
    """The same facts written another way, or None when nothing can be reworded."""
    # Not a year: years are never written with a thousands separator.
    changed = outside_quotes(s, r"(?<![\w+.-])(?!(?:1[89]|20)\d\d\b)(\d{1,3})(\d{3})\b(?![.,]\d)", r"\1,\2")
    if changed == s:
        changed = outside_quotes(s, r"(\d+(?:\.\d+)?)\s?%", r"\1 percent")
    if changed == s:
        changed = re.sub(r"^(The|This|These|It|You|We) ", lambda m: "In short, " + m.group(1).lower() + " ", s, count=1)
    return changed if changed != s else None


def change_number(s, doc_numbers, rng):
    numbers = [m for m in re.finditer(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])", s)]
    numbers = [m for m in numbers if not re.match(r"(19|20)\d\d$", m.group())]
    if not numbers:
        return None
    m = rng.choice(numbers)
    value = m.group()
    for _ in range(50):
        if "." in value:
            whole, frac = value.split(".")
            new = f"{int(whole) + rng.randint(1, 9)}.{frac}"
        else:
            new = str(int(value) + rng.randint(1, 9) * (10 ** max(0, len(value) - 2)))
        if new not in doc_numbers:
            return s[: m.start()] + new + s[m.end():]
    return None


def change_year(s, doc_numbers, rng):
    years = list(re.finditer(r"\b(19|20)\d\d\b", s))
    if not years:
        return None
    m = rng.choice(years)
    for delta in rng.sample([-7, -5, -3, -2, 2, 3, 5, 7], 8):
        new = str(int(m.group()) + delta)
        if new not in doc_numbers:
            return s[: m.start()] + new + s[m.end():]
    return None


def change_name(s, doc_words, rng):
    # A capitalised word that does not start the sentence and is not in backticks.
    outside = re.sub(r"`[^`]*`", lambda m: " " * len(m.group()), s)
    names = [m for m in re.finditer(r"(?<=[a-z,;] )[A-Z][a-z]{2,}\b", outside)]
    if not names:
        return None
    m = rng.choice(names)
    new = next((n for n in rng.sample(NEW_NAMES, len(NEW_NAMES)) if n.lower() not in doc_words), None)
    return s[: m.start()] + new + s[m.end():] if new else None


def change_code(s, doc_text, rng):
    spans = [m for m in re.finditer(r"`([^`]*)`", s) if len(m.group(1)) >= 3]
    if not spans:
        return None
    m = rng.choice(spans)
    code = m.group(1)
    letters = [i for i, c in enumerate(code) if c.isalpha()]
    if not letters:
        return None
    i = rng.choice(letters)
    new = code[:i] + ("x" if code[i] != "x" else "z") + code[i + 1:]
    return None if new in doc_text else s[: m.start(1)] + new + s[m.end(1):]


def negate(s):
    if re.search(r"\bnot\b", s):
        return re.sub(r"\s?\bnot\b", "", s, count=1)
    changed = re.sub(r"\b(is|are|can|should|will|must|does|do)\b", r"\1 not", s, count=1)
    return changed if changed != s else None


def add_clause(s, rng):
    return s[:-1] + rng.choice(CLAUSES) + s[-1] if s[-1] in ".!?" else None


def build(per_doc, seed=7):
    rng = random.Random(seed)
    items = []
    for name, text, abstract in documents():
        doc_numbers = set(re.findall(r"\d+(?:\.\d+)?", text))
        doc_words = set(w.lower() for w in re.findall(r"[A-Za-z]+", text))
        pool = candidates(text)
        rng.shuffle(pool)
        for s in pool[:per_doc]:
            variants = {
                "copy": s,
                "reworded": reworded(s),
                "number": change_number(s, doc_numbers, rng),
                "date": change_year(s, doc_numbers, rng),
                "name": change_name(s, doc_words, rng),
                "code": change_code(s, text, rng),
                "negation": negate(s),
                "clause": add_clause(s, rng),
            }
            for kind, statement in variants.items():
                if statement and "\n" not in statement:
                    supported = kind in ("copy", "reworded")
                    items.append({"doc": name, "kind": kind, "supported": supported, "text": statement, "from": s})
        for s in abstract:
            if FACT.search(s[1:]):
                items.append({"doc": name, "kind": "abstract", "supported": True, "text": s, "from": s})
    return items


def elsewhere(per_doc, seed=11):
    """Sentences of 8 to 60 words from another document, facts or not: not supported."""
    rng = random.Random(seed)
    docs = documents()
    items = []
    for name, _, _ in docs:
        others = [text for other, text, _ in docs if other != name]
        for _ in range(per_doc):
            text = rng.choice(others)
            pool = [s for p in text.split("\n\n") for s in sentences(p)
                    if 8 <= len(s.split()) <= 60 and "\n" not in s and s.count("`") % 2 == 0]
            if pool:
                s = rng.choice(pool)
                items.append({"doc": name, "kind": "elsewhere", "supported": False, "text": s, "from": s})
    return items


def sample(items, per_kind, seed=5):
    """At most `per_kind` items of each kind, drawn at random."""
    rng = random.Random(seed)
    out = []
    for kind in sorted({i["kind"] for i in items}):
        group = [i for i in items if i["kind"] == kind]
        rng.shuffle(group)
        out.extend(group[:per_kind])
    return out


def prepare_home(hearth, home):
    """A Hearth home with the embedding model where thorough mode finds it."""
    models = home / "data" / "models"
    target = models / "all-MiniLM-L6-v2"
    if not target.exists():
        models.mkdir(parents=True, exist_ok=True)
        shutil.copytree(ROOT / ".models" / "all-MiniLM-L6-v2", target)


def check(hearth, out, items, judge=None):
    """Runs `hearth check` once per document on all its items, one per line; thorough
    with `judge` (a model file)."""
    by_doc = {}
    for i, item in enumerate(items):
        by_doc.setdefault(item["doc"], []).append(i)
    sources = out / "sources"
    sources.mkdir(parents=True, exist_ok=True)
    texts = {name: text for name, text, _ in documents()}
    for doc, indexes in by_doc.items():
        source = sources / (Path(doc).stem + ".md")
        source.write_text(texts[doc])
        lines = [items[i]["text"] for i in indexes]
        mode = ["--mode", "thorough", "--judge", judge] if judge else []
        run = subprocess.run(
            [hearth, "--json", "check", *mode, "--source", str(source), "-"],
            input="\n".join(lines), capture_output=True, text=True,
            env={"HEARTH_HOME": str(out / "home"), "PATH": "/usr/bin:/bin"},
        )
        if run.returncode not in (0, 6):
            sys.exit(f"hearth check failed on {doc}: {run.stderr}")
        report = json.loads(run.stdout)
        # Each item is one line; a line may hold several sentences: flagged when any is.
        starts, offset = [], 0
        for line in lines:
            starts.append((offset, offset + len(line.encode())))
            offset += len(line.encode()) + 1
        for (start, end), i in zip(starts, indexes):
            inside = [s for s in report["sentences"] if start <= s["start"] < end]
            flagged = [s for s in inside if s["support"] in ("not_found", "contradicted")]
            items[i]["flagged"] = bool(flagged)
            items[i]["layers"] = sorted({s.get("decided_by") for s in flagged})
            items[i]["support"] = [s["support"] for s in inside]
            items[i]["similarity"] = min((s["similarity"] for s in inside if "similarity" in s), default=None)
            items[i]["reasons"] = [f["reason"] for s in inside for f in s["findings"]]
        for warning in report.get("warnings", []):
            print(f"{doc}: {warning}", file=sys.stderr)


KINDS = ["copy", "reworded", "abstract", "number", "date", "name", "code", "negation", "clause", "elsewhere"]

# Which layers' flags count, cumulatively: what each layer adds.
LAYERS = [("facts", {"facts"}), ("facts + similarity", {"facts", "similarity"}),
          ("facts + similarity + judge", {"facts", "similarity", "judge"})]


def flagged_by(item, layers):
    return item["flagged"] and bool(set(item.get("layers") or ["facts"]) & layers)


def table(items, thorough=False):
    layers = LAYERS if thorough else LAYERS[:1]
    head = " | ".join(f"flagged: {name}" for name, _ in layers)
    rows = [f"| items | kind | label | {head} |", "|---|---|---|" + "---:|" * len(layers)]
    for kind in KINDS:
        group = [i for i in items if i["kind"] == kind]
        if not group:
            continue
        label = "supported" if group[0]["supported"] else "not supported"
        cells = []
        for _, wanted in layers:
            flagged = sum(flagged_by(i, wanted) for i in group)
            cells.append(f"{flagged} ({flagged / len(group):.2f})")
        rows.append(f"| {len(group)} | {kind} | {label} | {' | '.join(cells)} |")
    lines = ["\n".join(rows), ""]
    fact_kinds = ["number", "date", "name", "code"]
    groups = [("facts (number, date, name, code)", fact_kinds),
              ("negation and clause", ["negation", "clause"]),
              ("everything", fact_kinds + ["negation", "clause", "elsewhere"])]
    for layer_name, wanted_layers in layers:
        for title, wanted in groups:
            supported = [i for i in items if i["supported"]]
            perturbed = [i for i in items if i["kind"] in wanted]
            if not perturbed:
                continue
            tp = sum(flagged_by(i, wanted_layers) for i in perturbed)
            fp = sum(flagged_by(i, wanted_layers) for i in supported)
            precision = tp / (tp + fp) if tp + fp else 0.0
            recall = tp / len(perturbed)
            lines.append(f"- {layer_name}, {title}: precision {precision:.3f}, recall {recall:.3f} ({tp} of {len(perturbed)} flagged; {fp} of {len(supported)} supported items flagged)")
    return "\n".join(lines)


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    hearth, out = sys.argv[1], Path(sys.argv[2])
    arg = lambda name, default: sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default
    per_doc = int(arg("--per-doc", 40))
    judge = arg("--thorough", None)
    out.mkdir(parents=True, exist_ok=True)
    items = build(per_doc)
    if judge:
        judge = str(Path(judge).resolve())
        items = sample(items + elsewhere(per_doc), int(arg("--sample", 40)))
        prepare_home(hearth, out / "home")
    check(hearth, out, items, judge)
    with open(out / "items.jsonl", "w") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
    result = table(items, thorough=bool(judge))
    (out / "results.md").write_text(result + "\n")
    print(result)


if __name__ == "__main__":
    main()
