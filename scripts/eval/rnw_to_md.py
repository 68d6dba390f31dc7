#!/usr/bin/env python3
"""Turns a Sweave vignette (.Rnw, LaTeX with R code chunks) that Debian's r-cran-*
packages ship into a document and its reference summary for the ROUGE evaluation.

The reference summary is the paper's own abstract (\\Abstract{...} of the jss class
or the abstract environment), less the sentences that only say where the paper was
published. The document is the body without the abstract: R code chunks, code
listings, figures, tables and the bibliography are dropped (what is left is prose,
headings and math), and pandoc turns the LaTeX into Markdown.

    rnw_to_md.py FILE.Rnw OUT.md OUT.abstract.txt
"""
import re
import subprocess
import sys

# The jss class's markup, so that pandoc keeps the words inside.
MACROS = r"""
\newcommand{\pkg}[1]{#1}
\newcommand{\proglang}[1]{#1}
\newcommand{\code}[1]{#1}
\newcommand{\fct}[1]{#1}
\newcommand{\class}[1]{#1}
\newcommand{\file}[1]{#1}
\newcommand{\email}[1]{#1}
\newcommand{\dquote}[1]{"#1"}
\newcommand{\squote}[1]{'#1'}
\newcommand{\E}{E}
\newcommand{\VAR}{VAR}
\newcommand{\COV}{COV}
\newcommand{\Prob}{P}
"""

# Plain Markdown: no attribute syntax, spans or escaped line breaks.
MARKDOWN = ("markdown-header_attributes-smart-bracketed_spans-native_spans-native_divs"
            "-raw_attribute-link_attributes-escaped_line_breaks-raw_tex-raw_html")

PUBLICATION_NOTE = re.compile(
    r"Journal of Statistical Software|modified version|has been published|A previous version",
    re.IGNORECASE,
)


def braced(text, start):
    """The contents of the {...} group that opens at text[start], and the index after it."""
    assert text[start] == "{"
    depth = 0
    for i in range(start, len(text)):
        c = text[i]
        if c == "\\":
            continue
        if c == "{" and text[i - 1] != "\\":
            depth += 1
        elif c == "}" and text[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[start + 1 : i], i + 1
    raise ValueError("unbalanced braces")


def command_argument(text, name):
    at = text.find("\\" + name + "{")
    if at < 0:
        return None
    inner, _ = braced(text, at + len(name) + 1)
    return inner


def cite_text(match):
    # bibtex keys in these papers look like "hac:Zeileis+Hornik:2006"
    names = []
    for key in match.group(3).split(","):
        parts = key.strip().split(":")
        if len(parts) >= 3:
            names.append(parts[-2].replace("+", ", ") + " " + parts[-1][:4])
        else:
            names.append(parts[-1])
    return "(" + "; ".join(names) + ")"


def clean_latex(body):
    body = re.sub(r"(?m)^%.*$", "", body)
    body = re.sub(r"(?<!\\)%.*", "", body)
    # Sweave code chunks: from <<...>>= to a line with @ alone.
    body = re.sub(r"(?ms)^<<[^\n]*>>=\s*$.*?^@\s*$", "", body)
    for env in ["Code", "CodeChunk", "CodeInput", "CodeOutput", "Sinput", "Soutput", "Schunk",
                "verbatim", "figure", "table", "center", "thebibliography"]:
        body = re.sub(r"(?s)\\begin\{" + env + r"\*?\}.*?\\end\{" + env + r"\*?\}", "", body)
    body = re.sub(r"\\setkeys\{[^{}]*\}\{[^{}]*\}", "", body)
    body = re.sub(r"\\(Sexpr|SweaveOpts|label|bibliographystyle|bibliography)\{[^{}]*\}", "", body)
    # Cross-references would come out as "[[sec:model]](#sec:model)".
    body = re.sub(r"~?\(?\\(eq)?ref\{[^{}]*\}\)?", "", body)
    body = re.sub(r"\\(cite[tp]?|citeauthor|citeyear)(\[[^\]]*\])*\{([^{}]*)\}", cite_text, body)
    body = re.sub(r"\\(maketitle|tableofcontents|newpage|clearpage)", "", body)
    return body


def pandoc(latex, to):
    result = subprocess.run(
        ["pandoc", "-f", "latex", "-t", to, "--wrap=none"],
        input=MACROS + latex, capture_output=True, text=True, check=True,
    )
    return result.stdout


def main():
    source, out_md, out_abstract = sys.argv[1:4]
    text = open(source, encoding="utf-8", errors="replace").read()
    title = command_argument(text, "title") or ""
    abstract = command_argument(text, "Abstract")
    if abstract is None:
        m = re.search(r"(?s)\\begin\{abstract\}(.*?)\\end\{abstract\}", text)
        abstract = m.group(1) if m else None
    if abstract is None:
        sys.exit(f"{source}: no abstract")
    start = text.find("\\begin{document}")
    end = text.find("\\end{document}")
    body = text[start + len("\\begin{document}") : end if end > 0 else None]
    body = re.sub(r"(?s)\\begin\{abstract\}.*?\\end\{abstract\}", "", body)
    # The bibliography and anything after it are not the paper's prose.
    cut = body.find("\\bibliography{")
    if cut > 0:
        body = body[:cut]
    title_text = " ".join(pandoc(clean_latex(title), "plain").split())
    body_md = pandoc(clean_latex(body), MARKDOWN)
    # Leftover raw LaTeX (unknown commands pandoc passes through) and empty lines in bulk.
    body_md = re.sub(r"\n{3,}", "\n\n", body_md).strip()
    # The publication note is the abstract's first paragraph, or (strucplot) the
    # start of its first sentence.
    abstract = re.sub(r"This paper has been published in the Journal of Statistical Software\s*"
                      r"\\citep\{[^{}]*\}\s*and\s*", "This paper ", abstract)
    paragraphs = [p for p in re.split(r"\n\s*\n", abstract.strip()) if p.strip()]
    if len(paragraphs) > 1 and PUBLICATION_NOTE.search(paragraphs[0]):
        paragraphs = paragraphs[1:]
    abstract_text = " ".join(pandoc(clean_latex("\n\n".join(paragraphs)), "plain").split())
    with open(out_md, "w", encoding="utf-8") as f:
        f.write(f"# {title_text}\n\n{body_md}\n")
    with open(out_abstract, "w", encoding="utf-8") as f:
        f.write(abstract_text + "\n")
    print(f"{source}: {len(body_md.split())} words, abstract {len(abstract_text.split())} words")


if __name__ == "__main__":
    main()
