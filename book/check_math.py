#!/usr/bin/env python3
"""Check that the book's formulas are typeset when the book is built, not when it is read.

    python3 book/check_math.py source     # lint the formulas in book/src (no build needed)
    python3 book/check_math.py unescape   # rewrite formulas that still have Markdown escapes
    python3 book/check_math.py notation   # docs/, READMEs, notebooks: $...$ and $$...$$
    python3 book/check_math.py built      # the built HTML in book/book (after mdbook build)
    python3 book/check_math.py browser    # every page opened in headless Chromium, offline
    python3 book/check_math.py notebook NB.ipynb NB.html...   # notebooks' nbconvert HTML,
                                                               # opened the same way
    python3 check_math.py mdbook          # (run by mdbook: the preprocessor after katex)

The book writes inline formulas \\( ... \\) and display formulas \\[ ... \\]; the
mdbook-katex preprocessor turns each into MathML while the book is built (see
book/README.md). `built` and `browser` compare the number of <math> elements on every
chapter page, and on print.html, with the number of formulas in the chapter's source,
and fail on any raw \\(, \\[ or $$ left in the visible text (text inside <annotation>,
which holds each formula's TeX source, and inside code is not visible text), on
KaTeX/MathML error elements, and on any script, stylesheet or picture fetched from the
network. `browser` dumps the DOM after Chromium has run the page's scripts with all
networking shut off (a dead proxy, no background requests), then measures that the
MathML is laid out as mathematics (superscripts raised, fractions stacked), and keeps
a screenshot of chapter 6 in book/book/screenshot-ch06.png.

Exit status 1 if anything fails, with one line per problem naming the file and the
formula; `built`, `browser` and `notebook` end with "N passed, M failed" (pages).
Needs only the Python standard library; `browser` and `notebook` need Chromium
($CHROMIUM, or chromium / chromium-browser / google-chrome on PATH).
"""

import html.parser
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = os.path.join(ROOT, "book", "src")
OUT = os.path.join(ROOT, "book", "book")
SCREENSHOT_PAGE = "ch06-style-representation.html"
SCREENSHOT = os.path.join(OUT, "screenshot-ch06.png")

INLINE = ("\\\\(", "\\\\)")
DISPLAY = ("\\\\[", "\\\\]")


def formulas(text):
    """(start, body, display) of every formula in a chapter's Markdown.

    Scans the way the mdbook-katex preprocessor does, so that the counts agree: code
    between backticks (inline or fenced) is skipped, a backslash that does not start a
    delimiter escapes the next character, and a closing delimiter preceded by an odd
    number of backslashes does not close. An opening delimiter that is never closed is
    returned with body None, a run of backticks that is never closed (after which the
    preprocessor typesets nothing) with body and display None."""
    found = []
    i, n = 0, len(text)
    while i < n:
        opener = next((d for d in (DISPLAY, INLINE) if text.startswith(d[0], i)), None)
        if opener:
            j = i + len(opener[0])
            while True:
                k = text.find(opener[1], j)
                if k < 0:
                    found.append((i, None, opener is DISPLAY))
                    return found
                slashes = len(text[:k]) - len(text[:k].rstrip("\\"))
                if slashes % 2 == 0:
                    found.append((i, text[i + len(opener[0]):k], opener is DISPLAY))
                    i = k + len(opener[1])
                    break
                j = k + len(opener[1])
            continue
        c = text[i]
        if c == "\\":
            i += 2
        elif c == "`":
            m = len(text[i:]) - len(text[i:].lstrip("`"))
            k = text.find("`" * m, i + m)
            if k < 0:
                # mdbook-katex stops here too: no formula after it is typeset.
                found.append((i, None, None))
                return found
            i = k + m
            while i < n and text[i] == "`":
                i += 1
        else:
            i += 1
    return found


def chapters():
    """(Markdown file, HTML file) of every chapter, in SUMMARY.md order."""
    with open(os.path.join(SRC, "SUMMARY.md"), encoding="utf-8") as f:
        names = re.findall(r"\]\(([^)]+\.md)\)", f.read())
    return [(name, name[:-3] + ".html") for name in names]


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def line_of(text, pos):
    return text.count("\n", 0, pos) + 1


def short(s, width=90):
    s = " ".join(s.split())
    return s if len(s) <= width else s[: width - 3] + "..."


def without_code(text):
    """The Markdown with code (between backticks) blanked out, lengths kept."""
    out = list(text)
    for m in re.finditer(r"(`+)(.*?)\1", text, re.S):
        for p in range(m.start(), m.end()):
            if out[p] != "\n":
                out[p] = " "
    return "".join(out)


# --- source ---------------------------------------------------------------------------

# Escapes that only Markdown needed, under the MathJax setup the book had before: a
# doubled backslash before punctuation (\\\\, for \\,), four backslashes for a line
# break, and \\_ \\* for _ *. Inside a formula KaTeX would take them literally: a line
# break and a comma, a literal underscore. (\\\\ before a space is not listed: it is
# also a real line break.)
MARKDOWN_ESCAPES = re.compile(r"\\\\\\\\|\\\\[,!;:{}|_*]|(?<!\\)\\[_*]")


def check_source():
    """Lint the formulas of every chapter; returns the number of problems."""
    problems = 0
    for md, _ in chapters():
        text = read(os.path.join(SRC, md))
        for start, body, display in formulas(text):
            where = f"book/src/{md}:{line_of(text, start)}"
            if body is None:
                what = "code span (`) never closed (or one earlier in the chapter is " \
                    "unpaired), so no formula after it is typeset" \
                    if display is None else \
                    f"{'display' if display else 'inline'} formula never closed"
                print(f"{where}: {what}: {short(text[start:start + 80])}")
                problems += 1
                continue
            # The preprocessor hands the formula to KaTeX before Markdown sees it, so the
            # escapes that MathJax-after-Markdown needed now change the formula silently:
            # \\, is a line break and a comma, \_ a literal underscore.
            escapes = sorted(set(MARKDOWN_ESCAPES.findall(body)))
            if escapes:
                print(f"{where}: Markdown escape {' '.join(escapes)} in the formula "
                      f"[{short(body)}]: formulas reach KaTeX untouched, so write plain "
                      "LaTeX (\\, not \\\\,  _ not \\_  \\\\ not \\\\\\\\)")
                problems += 1
        plain = without_code(text)
        covered = [(s, s + (len(b) if b else 0) + 6) for s, b, _ in formulas(text)]
        for m in re.finditer(r"(?<!\\)\\[(\[]|\$\$", plain):
            if any(a <= m.start() < b for a, b in covered):
                continue
            print(f"book/src/{md}:{line_of(text, m.start())}: {m.group()} outside a formula "
                  f"[{short(text[m.start():m.start() + 60])}]: the book writes inline "
                  "formulas \\\\( ... \\\\) and display formulas \\\\[ ... \\\\]")
            problems += 1
    return problems


def unescape(body):
    """A formula written for MathJax-after-Markdown, as plain LaTeX: a backslash pair
    before punctuation becomes one backslash (\\\\, -> \\,  \\\\\\\\ -> \\\\), and
    \\_ \\* lose theirs. Other escapes are left alone."""
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == "\\" and i + 1 < len(body):
            d = body[i + 1]
            out.append(d if d in "\\_*" else c + d)
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def rewrite_escapes():
    """Rewrite the chapters' formulas that still carry Markdown escapes; returns the
    number of formulas changed."""
    changed = 0
    for md, _ in chapters():
        path = os.path.join(SRC, md)
        text = read(path)
        out, last = [], 0
        for start, body, display in formulas(text):
            if body is None:
                continue
            a = start + 3
            fixed = unescape(body) if MARKDOWN_ESCAPES.search(body) else body
            changed += fixed != body
            out += [text[last:a], fixed]
            last = a + len(body)
        new = "".join(out) + text[last:]
        if new != text:
            with open(path, "w", encoding="utf-8") as f:
                f.write(new)
    return changed


# --- notation outside the book ---------------------------------------------------------

def dollar_formulas(md):
    """$$...$$ and $...$ formulas in Markdown with its code removed."""
    display = re.findall(r"\$\$.*?\$\$", md, flags=re.S)
    rest = re.sub(r"\$\$.*?\$\$", "", md, flags=re.S)
    return display + re.findall(r"(?<!\\)\$[^$]+?(?<!\\)\$", rest)


def markdown_texts():
    """(name, Markdown) of docs/*.md, the READMEs and every notebook's Markdown cells."""
    import glob
    import json
    names = sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))) + \
        [os.path.join(ROOT, n) for n in ("README.md", "notebooks/README.md")]
    for path in names:
        if os.path.exists(path):
            yield os.path.relpath(path, ROOT), read(path)
    for path in sorted(glob.glob(os.path.join(ROOT, "notebooks", "*.ipynb"))):
        with open(path, encoding="utf-8") as f:
            cells = json.load(f)["cells"]
        for i, c in enumerate(cells):
            if c["cell_type"] == "markdown":
                yield f"{os.path.relpath(path, ROOT)} (cell {i})", "".join(c["source"])


def check_notation():
    """docs/, the READMEs and the notebooks write formulas $...$ and $$...$$, the
    notation that GitHub and Jupyter render, with plain LaTeX inside (both hand the
    formula to the math renderer before Markdown sees it). Returns the problem count."""
    problems = 0
    for name, md in markdown_texts():
        plain = re.sub(r"(`+).*?\1", "", md, flags=re.S)
        for m in re.finditer(r"\\{1,2}[(\[]", plain):
            print(f"{name}: {m.group()} [{short(plain[m.start():m.start() + 60])}]: outside the "
                  "book, formulas are written $...$ and $$...$$ (what GitHub and Jupyter render)")
            problems += 1
        if plain.count("$$") % 2:
            print(f"{name}: an odd number of $$: a display formula is not closed")
            problems += 1
        for f in dollar_formulas(plain):
            escapes = sorted(set(MARKDOWN_ESCAPES.findall(f)))
            if escapes:
                print(f"{name}: Markdown escape {' '.join(escapes)} in the formula [{short(f)}]: "
                      "write plain LaTeX")
                problems += 1
    return problems


# --- mdbook preprocessor, after mdbook-katex --------------------------------------------

# Characters that Markdown could read as markup. mdbook-katex leaves its MathML in the
# chapter's Markdown, and Markdown still parses the text between inline HTML tags: the
# TeX source in <annotation> would lose its backslashes, and a pair of underscores
# there would become <em> and break the <math> element apart. As character
# references they are plain text to Markdown and the same characters to the browser.
MARKUP = {c: f"&#{ord(c)};" for c in "\\`*_[]|~!^$"}


# mathvariant -> (first capital, first small letter, first digit or None, exceptions).
# Chromium implements MathML Core, which drops the mathvariant attribute (only
# "normal" is kept), so \mathbb{R} would show as a plain R. The letters of these
# alphabets have their own code points (Mathematical Alphanumeric Symbols), which every
# browser shows; a few were encoded earlier, in Letterlike Symbols.
ALPHABETS = {
    "bold": (0x1D400, 0x1D41A, 0x1D7CE, {}),
    "italic": (0x1D434, 0x1D44E, None, {"h": 0x210E}),
    "bold-italic": (0x1D468, 0x1D482, None, {}),
    "script": (0x1D49C, 0x1D4B6, None, {"B": 0x212C, "E": 0x2130, "F": 0x2131, "H": 0x210B,
                                        "I": 0x2110, "L": 0x2112, "M": 0x2133, "R": 0x211B,
                                        "e": 0x212F, "g": 0x210A, "o": 0x2134}),
    "bold-script": (0x1D4D0, 0x1D4EA, None, {}),
    "fraktur": (0x1D504, 0x1D51E, None, {"C": 0x212D, "H": 0x210C, "I": 0x2111, "R": 0x211C,
                                         "Z": 0x2128}),
    "double-struck": (0x1D538, 0x1D552, 0x1D7D8, {"C": 0x2102, "H": 0x210D, "N": 0x2115,
                                                  "P": 0x2119, "Q": 0x211A, "R": 0x211D,
                                                  "Z": 0x2124}),
    "bold-fraktur": (0x1D56C, 0x1D586, None, {}),
    "sans-serif": (0x1D5A0, 0x1D5BA, 0x1D7E2, {}),
    "bold-sans-serif": (0x1D5D4, 0x1D5EE, 0x1D7EC, {}),
    "sans-serif-italic": (0x1D608, 0x1D622, None, {}),
    "sans-serif-bold-italic": (0x1D63C, 0x1D656, None, {}),
    "monospace": (0x1D670, 0x1D68A, 0x1D7F6, {}),
}


def styled(text, variant):
    capital, small, digit, exceptions = ALPHABETS[variant]
    out = []
    for c in text:
        if c in exceptions:
            out.append(chr(exceptions[c]))
        elif "A" <= c <= "Z":
            out.append(chr(capital + ord(c) - ord("A")))
        elif "a" <= c <= "z":
            out.append(chr(small + ord(c) - ord("a")))
        elif "0" <= c <= "9" and digit:
            out.append(chr(digit + ord(c) - ord("0")))
        else:
            out.append(c)
    return "".join(out)


def variants(mathml):
    """mathvariant="double-struck" R and the like as the characters themselves."""
    def one(m):
        tag, before, variant, after, text = m.groups()
        if variant not in ALPHABETS or styled(text, variant) == text:
            return m.group()  # Greek and others: left to browsers that know mathvariant
        return f"<{tag}{before}{after}>{styled(text, variant)}</{tag}>"
    return re.sub(r'<(m[a-z]+)([^>]*?) mathvariant="([a-z-]+)"([^>]*)>([^<]*)</\1>', one, mathml)


def protect(mathml):
    """The MathML with mathvariant letters as their own characters, and every
    Markdown-active character in its text as a character reference."""
    mathml = variants(mathml)
    return re.sub(r">([^<]+)<", lambda m: ">" + "".join(MARKUP.get(c, c) for c in m.group(1)) + "<",
                  mathml)


def preprocess(argv):
    """mdBook preprocessor (book.toml runs it after mdbook-katex): protect the MathML
    from Markdown, and fail the build on a formula that KaTeX left as TeX (it could not
    parse it), naming the chapter and the formula."""
    import json
    if argv[1:2] == ["supports"]:
        return 0 if argv[2:3] == ["html"] else 1
    ctx, book = json.load(sys.stdin)
    src = os.path.join(ctx["root"], ctx["config"].get("book", {}).get("src", "src"))
    failed = []

    def walk(items):
        for item in items:
            chapter = item.get("Chapter") if isinstance(item, dict) else None
            if not chapter:
                continue
            content = re.sub(r"<math\b.*?</math>", lambda m: protect(m.group()), chapter["content"],
                             flags=re.S)
            chapter["content"] = content
            path = chapter.get("source_path") or chapter.get("path") or chapter["name"]
            for start, body, display in formulas(content):
                if display is None:
                    failed.append(f"book/src/{path}: a code span (`) is never closed (or one "
                                  "earlier in the chapter is unpaired): "
                                  f"[{short(content[start:start + 80])}]; no formula after "
                                  "it is typeset")
                    continue
                left, right = DISPLAY if display else INLINE
                tex = left + (body if body is not None else content[start + 3:start + 80]) + \
                    (right if body is not None else "")
                line = "?"
                try:
                    source = read(os.path.join(src, path))
                    at = source.find(tex)
                    line = line_of(source, at) if at >= 0 else "?"
                except OSError:
                    pass
                why = "could not be typeset (KaTeX's message is above)" if body is not None \
                    else "is never closed"
                failed.append(f"book/src/{path}:{line}: the formula {short(tex, 200)} {why}")
            walk(chapter.get("sub_items", []))

    walk(book.get("items", book.get("sections", [])))
    for f in failed:
        print(f"ERROR {f}", file=sys.stderr)
    if failed:
        print(f"ERROR math-check: {len(failed)} problem(s), formulas not typeset", file=sys.stderr)
        return 1
    json.dump(book, sys.stdout)
    return 0


# --- a page's DOM ---------------------------------------------------------------------

class Page(html.parser.HTMLParser):
    """Counts <math> elements and error markers, collects the visible text and the
    addresses of scripts, stylesheets and pictures."""

    HIDDEN = {"script", "style", "annotation", "annotation-xml", "code", "pre", "template",
              "noscript", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
            "source", "track", "wbr"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.math = 0
        self.errors = []
        self.remote = []
        self.text = []
        self.hidden = 0
        self.stack = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "math":
            self.math += 1
        if tag == "merror" or "katex-error" in (a.get("class") or "").split():
            self.errors.append(a.get("title") or tag)
        for key in ("src", "href") if tag in ("script", "img", "link", "iframe") else ():
            url = a.get(key) or ""
            if re.match(r"(https?:)?//", url) and not (tag == "link" and a.get("rel") not in
                                                      ("stylesheet", "preload", "icon", "modulepreload")):
                self.remote.append(f"<{tag} {key}={url}>")
        if tag in self.VOID:
            return
        self.stack.append(tag)
        if tag in self.HIDDEN:
            self.hidden += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return
        while self.stack:
            t = self.stack.pop()
            if t in self.HIDDEN:
                self.hidden -= 1
            if t == tag:
                break

    def handle_data(self, data):
        if not self.hidden:
            self.text.append(data)


def check_dom(name, dom, expected, raw=r"\\\(|\\\[|\$\$"):
    """Problems with one page's DOM: formulas not typeset, raw TeX (the regex `raw`
    in the visible text), error elements, anything fetched from the network."""
    page = Page()
    page.feed(dom)
    page.close()
    text = "".join(page.text)
    problems = []
    for m in re.finditer(raw, text):
        problems.append(f"{name}: raw TeX in the text: [{short(text[max(0, m.start() - 20):m.start() + 70])}]")
    for e in page.errors:
        problems.append(f"{name}: KaTeX error element: [{short(e)}]")
    for r in page.remote:
        problems.append(f"{name}: loads {r} from the network")
    if expected is not None and page.math != expected:
        problems.append(f"{name}: {page.math} typeset formulas (<math> elements), "
                        f"but the source has {expected}")
    if expected is None and page.math == 0:
        problems.append(f"{name}: no typeset formula (<math> element) at all")
    return page.math, problems


def expected_counts():
    counts = {}
    for md, page in chapters():
        counts[page] = sum(1 for _, body, _ in formulas(read(os.path.join(SRC, md))) if body is not None)
    counts["print.html"] = sum(counts.values())
    return counts


def report(results):
    """Print the problems of every page; results: [(page, math count, problems)]."""
    failed = 0
    for page, math, problems in results:
        for p in problems:
            print(p)
        failed += bool(problems)
        name, _, summary = page.partition(";")
        print(f"  {'FAIL' if problems else 'ok  '} {name}: {math} formulas typeset"
              + (f";{summary}" if summary else ""))
    print(f"{len(results) - failed} passed, {failed} failed")
    return failed


def check_built():
    counts = expected_counts()
    results = []
    for page, expected in counts.items():
        path = os.path.join(OUT, page)
        if not os.path.exists(path):
            results.append((page, 0, [f"{path}: missing (build the book first: bash book/build.sh)"]))
            continue
        math, problems = check_dom(f"book/book/{page}", read(path), expected)
        results.append((page, math, problems))
    return report(results)


# --- browser --------------------------------------------------------------------------

def chromium_path():
    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if name and shutil.which(name):
            return shutil.which(name)
    sys.exit("check_math.py: Chromium not found: install it (Debian: apt-get install chromium) "
             "or set CHROMIUM")


def chromium(args, profile):
    """Run headless Chromium with every kind of networking shut off; returns stdout."""
    cmd = [chromium_path(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--disable-extensions", "--disable-default-apps",
           f"--user-data-dir={profile}",
           # Every request that is not file:// goes to a proxy that is not there.
           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
           # Let the page's scripts (MathJax, if it were still used) run before the dump.
           "--virtual-time-budget=10000"] + args
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    if r.returncode != 0:
        sys.exit(f"check_math.py: chromium exited with {r.returncode}: {' '.join(cmd)}\n"
                 + r.stderr.decode(errors="replace")[-2000:])
    return r.stdout.decode("utf-8", errors="replace")


# Loads a page in an iframe and measures how Chromium laid out its MathML: every <math>
# has a size, every superscript (<msup>) sits higher than its base, every fraction's
# numerator above its denominator. Where MathML is not laid out (a browser without it,
# or the elements styled as plain inline text), superscripts stay on the baseline.
LAYOUT_PAGE = """<!doctype html><meta charset="utf-8"><body>
<iframe id="page" src="%s" style="width: 1100px; height: 900px"></iframe>
<script>
document.getElementById("page").addEventListener("load", () => {
  const d = document.getElementById("page").contentDocument;
  const box = e => e.getBoundingClientRect();
  const r = {math: 0, empty: 0, sup: 0, raised: 0, frac: 0, stacked: 0};
  for (const m of d.querySelectorAll("math")) {
    r.math++; const b = box(m); if (b.width <= 0 || b.height <= 0) r.empty++;
  }
  for (const s of d.querySelectorAll("msup")) {
    r.sup++; if (box(s.children[1]).bottom < box(s.children[0]).bottom - 1) r.raised++;
  }
  for (const f of d.querySelectorAll("mfrac")) {
    r.frac++; if (box(f.children[0]).bottom <= box(f.children[1]).top + 1) r.stacked++;
  }
  const out = document.createElement("pre");
  out.id = "layout"; out.textContent = JSON.stringify(r); document.body.appendChild(out);
});
</script>
"""


def check_layout(name, path, tmp, i):
    """(summary, problems) of how Chromium laid out the page's MathML."""
    import html as html_module
    import json
    wrapper = os.path.join(tmp, f"layout{i}.html")
    with open(wrapper, "w", encoding="utf-8") as f:
        f.write(LAYOUT_PAGE % html_module.escape("file://" + os.path.abspath(path)))
    # The wrapper reads the page in its iframe: both are file://, which Chromium treats
    # as different origins unless told otherwise.
    dom = chromium(["--allow-file-access-from-files", "--dump-dom", "file://" + wrapper],
                   os.path.join(tmp, f"layout-profile{i}"))
    m = re.search(r'<pre id="layout">(.*?)</pre>', dom, re.S)
    if not m:
        return "", [f"{name}: the layout of its MathML could not be measured"]
    r = json.loads(html_module.unescape(m.group(1)))
    problems = []
    if r["empty"]:
        problems.append(f"{name}: {r['empty']} of {r['math']} <math> elements have no size")
    if r["raised"] < r["sup"]:
        problems.append(f"{name}: only {r['raised']} of {r['sup']} superscripts (<msup>) are "
                        "raised: the MathML is not laid out as mathematics")
    if r["stacked"] < r["frac"]:
        problems.append(f"{name}: only {r['stacked']} of {r['frac']} fractions (<mfrac>) are "
                        "stacked: the MathML is not laid out as mathematics")
    summary = f"; laid out: {r['raised']}/{r['sup']} superscripts raised, " \
        f"{r['stacked']}/{r['frac']} fractions stacked"
    return summary, problems


def check_in_browser(files, counts, raw=r"\\\(|\\\[|\$\$", layout=False):
    """Open every file in Chromium; results as for report(). With layout, also measure
    how its MathML was laid out (check_layout)."""
    results = []
    with tempfile.TemporaryDirectory(prefix="check-math-") as tmp:
        for i, (name, path) in enumerate(files):
            if not os.path.exists(path):
                results.append((name, 0, [f"{path}: missing"]))
                continue
            profile = os.path.join(tmp, f"profile{i}")  # a fresh profile for every page
            dom = chromium(["--dump-dom", "file://" + os.path.abspath(path)], profile)
            if "<body" not in dom:
                results.append((name, 0, [f"{name}: Chromium returned no page"]))
                continue
            math, problems = check_dom(f"{name} (in Chromium)", dom, counts.get(name), raw)
            summary = ""
            if layout:
                summary, more = check_layout(f"{name} (in Chromium)", path, tmp, i)
                problems += more
            results.append((name + summary, math, problems))
    return results


def check_browser():
    counts = expected_counts()
    files = [(page, os.path.join(OUT, page)) for page in counts]
    results = check_in_browser(files, counts, layout=True)
    with tempfile.TemporaryDirectory(prefix="check-math-") as tmp:
        if os.path.exists(SCREENSHOT):
            os.remove(SCREENSHOT)
        chromium([f"--screenshot={SCREENSHOT}", "--window-size=1100,1400", "--hide-scrollbars",
                  "file://" + os.path.join(OUT, SCREENSHOT_PAGE)], os.path.join(tmp, "shot"))
    if not os.path.exists(SCREENSHOT) or os.path.getsize(SCREENSHOT) < 10_000:
        results.append(("screenshot", 0, [f"{SCREENSHOT}: no screenshot written"]))
    else:
        print(f"screenshot of chapter 6: {os.path.relpath(SCREENSHOT, ROOT)}")
    return report(results)


def notebook_formulas(path):
    """Number of $...$ and $$...$$ formulas in a notebook's Markdown cells."""
    import json
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    md = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    return len(dollar_formulas(re.sub(r"(`+).*?\1", "", md, flags=re.S)))


def check_notebooks(pairs):
    """Notebooks' HTML (jupyter nbconvert --to html) in Chromium: every formula of their
    Markdown cells typeset (MathJax's assistive MathML gives one <math> per formula),
    no $ left in the text. pairs: [(notebook.ipynb, page.html)]."""
    files = [(os.path.basename(page), page) for _, page in pairs]
    counts = {os.path.basename(page): notebook_formulas(nb) for nb, page in pairs}
    return report(check_in_browser(files, counts, raw=r"\\\(|\\\[|\$"))


def main(argv):
    if argv[:1] == ["mdbook"]:
        return preprocess(argv)
    if argv == ["unescape"]:
        print(f"book/src: {rewrite_escapes()} formula(s) rewritten as plain LaTeX")
        return 0
    if not argv or argv[0] not in ("source", "notation", "built", "browser", "notebook") or \
            (len(argv) == 1 or len(argv) % 2 == 0 if argv[0] == "notebook" else len(argv) != 1):
        sys.exit(__doc__.split("\n\n")[1])
    mode = argv[0]
    if mode == "source":
        problems = check_source()
        total = len(chapters())
        print(f"formulas in book/src: {sum(expected_counts().values()) // 2} "
              f"in {total} chapters, {problems} problem(s)")
        return 1 if problems else 0
    if mode == "notation":
        problems = check_notation()
        print(f"notation of docs/, READMEs and notebooks: {problems} problem(s)")
        return 1 if problems else 0
    if mode == "built":
        return 1 if check_built() else 0
    if mode == "browser":
        return 1 if check_browser() else 0
    return 1 if check_notebooks(list(zip(argv[1::2], argv[2::2]))) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
