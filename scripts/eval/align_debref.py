#!/usr/bin/env python3
"""Aligns English paragraphs of the Debian Reference (Debian packages
debian-reference-en and debian-reference-LANG) with their translations.

The manual is translated paragraph by paragraph (po4a), and the HTML keeps the
English section ids in every language. A pair is kept only when we are confident
of it: the section exists in both languages with the same number of paragraphs,
the paragraph has the same inline code spans and numbers on both sides, the
translation is really translated (not the English fallback po4a leaves for
untranslated strings), and the lengths are in proportion.

Writes DIR/pairs.LANG.jsonl (all confident pairs), DIR/sample.LANG.jsonl (N of
them as runs of three consecutive paragraphs of a section, the runs spread evenly
over the chapters; `doc` names the run) and DIR/dev.LANG.jsonl (N more, the runs
halfway between the sample's: a development set that shares no paragraph with the
sample, to check that a change tuned on one set holds on the other) and prints counts.

    align_debref.py HTML_DIR OUT_DIR LANG N
"""
import json
import re
import sys
from pathlib import Path

from bs4 import BeautifulSoup

CHAPTERS = [f"ch{n:02d}" for n in range(1, 13)]
# Words that show up in almost every paragraph of the language and never in English
# prose: a paragraph without two of them was left untranslated.
FUNCTION_WORDS = {
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "sie", "ein", "eine", "für", "auf", "den", "von", "zu", "werden", "wird", "dem", "des", "oder", "sind", "können", "kann", "wenn"},
    "fr": {"le", "la", "les", "et", "est", "des", "une", "un", "pour", "dans", "avec", "sur", "pas", "vous", "du", "au", "peut", "sont", "par", "que", "qui", "ou"},
}


def text_of(node, code_marks):
    """Text of a paragraph with whitespace collapsed; <code> wrapped in backticks
    when code_marks (the source side, so Hearth keeps it untouched)."""
    node = BeautifulSoup(str(node), "html.parser")
    codes = []
    for code in node.find_all("code"):
        inner = " ".join(code.get_text().split())
        codes.append(inner)
        code.replace_with(f"`{inner}`" if code_marks else inner)
    return " ".join(node.get_text().split()), codes


def sections(path, code_marks):
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    found = {}
    for div in soup.find_all("div", class_="section"):
        heading = div.find(["h2", "h3", "h4", "h5"])
        anchor = heading.find("a", id=True) if heading else None
        if anchor is None:
            continue
        paragraphs = [
            text_of(p, code_marks)
            for p in div.find_all("p")
            if p.find_parent("div", class_="section") is div
        ]
        found[anchor["id"]] = paragraphs
    return found


def numbers(text):
    return sorted(re.findall(r"\d+", text))


def confident(en, en_codes, tr, tr_codes, lang):
    words = en.split()
    if not 15 <= len(words) <= 80:
        return False
    if en_codes != tr_codes:
        return False
    plain_en = re.sub(r"`[^`]*`", "", en)
    if numbers(plain_en) != numbers(tr):
        return False
    code_chars = sum(len(c) for c in en_codes)
    if code_chars > 0.25 * len(en):
        return False
    tr_words = {w.lower().strip(".,;:()!?\"'") for w in tr.split()}
    if len(tr_words & FUNCTION_WORDS[lang]) < 2:
        return False
    ratio = len(tr) / max(1, len(plain_en) + code_chars)
    if not 0.8 <= ratio <= 1.7:
        return False
    # Lines the segmenter would read as list items or headings would break the
    # one-paragraph-one-unit correspondence.
    if re.match(r"^(\d{1,4}[.)] |[a-z]{1,3}[.)] |[-*+•>#] )", en):
        return False
    if "|" in en:
        return False
    return True


RUN = 3


def consecutive_sample(pairs, n, between=False):
    """N pairs as runs of RUN consecutive paragraphs of one section, the runs spread
    evenly over the manual: a translator sees each paragraph after the one before it,
    as in a real document, so what a paragraph's neighbours add can be measured.
    `between`: the runs halfway between those of the sample, a second set of the same
    kind that shares no paragraph with it (the development set)."""
    by_section = {}
    for pair in pairs:
        section, index = pair["id"].rsplit("/", 1)
        by_section.setdefault(section, []).append((int(index), pair))
    runs = []
    for section, items in by_section.items():
        current = []
        for index, pair in items:
            if current and index != current[-1][0] + 1:
                current = []
            current.append((index, pair))
            if len(current) == RUN:
                runs.append([p for _, p in current])
                current = []
    wanted = max(1, n // RUN)
    step = max(1, len(runs) // wanted)
    chosen = runs[step // 2 if between else 0::step][:wanted]
    return [dict(pair, doc=f"{chosen_run[0]['id']}") for chosen_run in chosen for pair in chosen_run]


def main():
    html_dir, out_dir, lang, n = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    out_dir.mkdir(parents=True, exist_ok=True)
    pairs = []
    for chapter in CHAPTERS:
        en = sections(html_dir / f"{chapter}.en.html", True)
        tr = sections(html_dir / f"{chapter}.{lang}.html", False)
        for sid, en_paragraphs in en.items():
            tr_paragraphs = tr.get(sid)
            if tr_paragraphs is None or len(tr_paragraphs) != len(en_paragraphs):
                continue
            for i, ((e, ec), (t, tc)) in enumerate(zip(en_paragraphs, tr_paragraphs)):
                if confident(e, ec, t, tc, lang):
                    pairs.append({"id": f"{chapter}#{sid}/{i}", "chapter": chapter, "en": e, lang: t})
    # No paragraph twice (the manual repeats a few boilerplate sentences).
    seen, unique = set(), []
    for pair in pairs:
        if pair["en"] not in seen:
            seen.add(pair["en"])
            unique.append(pair)
    pairs = unique
    sample = consecutive_sample(pairs, n)
    dev = consecutive_sample(pairs, n, between=True)
    assert not {p["id"] for p in sample} & {p["id"] for p in dev}
    with open(out_dir / f"pairs.{lang}.jsonl", "w", encoding="utf-8") as f:
        for pair in pairs:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    with open(out_dir / f"sample.{lang}.jsonl", "w", encoding="utf-8") as f:
        for pair in sample:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    with open(out_dir / f"dev.{lang}.jsonl", "w", encoding="utf-8") as f:
        for pair in dev:
            f.write(json.dumps(pair, ensure_ascii=False) + "\n")
    chapters = sorted({p["chapter"] for p in sample})
    print(f"{lang}: {len(pairs)} confident pairs; sample of {len(sample)} ({len(sample) // RUN} runs of {RUN}) from {len(chapters)} chapters, "
          f"{sum(len(p['en'].split()) for p in sample)} English words")


if __name__ == "__main__":
    main()
