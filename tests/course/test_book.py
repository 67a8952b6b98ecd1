"""The book: its page generator (fast), and the built book looked at in headless Chromium.

The browser test builds the book once (`python -m neuroai book build`, about a minute), serves
book/_build/html on 127.0.0.1 and reads the lesson page as Chromium renders it: the executed
notebook's figure, MathJax's math, no errors, the solutions collapsed, no hidden tests, the launch
links; and it measures every page's display math at desktop and phone width (tests/course/book_layout.js). Without Chromium it is skipped, unless CI is set. It also saves build/book-lesson.png.
"""
import functools
import json
import html
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import nbformat
import pytest

from neuroai.course import book, lessons, reproducibility

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "book" / "_build" / "html"
LAYOUT_JS = Path(__file__).with_name("book_layout.js")
WIDTHS = {"desktop": 1280, "phone": 390}                   # iframe widths: a laptop window, a phone


# --- the page generator ------------------------------------------------------------------------------

def _grading(cell):
    return cell.metadata.get("nbgrader", {})


@pytest.mark.parametrize("lesson_id", sorted(lessons.LESSONS))
def test_chapter_from_instructor_notebook(lesson_id):
    lesson = lessons.get(lesson_id)
    source = nbformat.read(lesson.path("source"), as_version=4)
    chapter = book.chapter_notebook(source, lesson)

    text = "\n".join(cell.source for cell in chapter.cells)
    assert "HIDDEN TESTS" not in text and "neuroai.course.judge" not in text
    assert "BEGIN SOLUTION" not in text and "END SOLUTION" not in text
    assert all("nbgrader" not in cell.metadata for cell in chapter.cells)
    assert "nbgrader" not in chapter.metadata
    assert all(not cell.get("outputs") for cell in chapter.cells if cell.cell_type == "code")

    # every solution cell is in the chapter with its code, collapsed; graded cells made only of
    # hidden tests are gone
    solutions = [c for c in source.cells if _grading(c).get("solution") and c.cell_type == "code"]
    assert solutions, "the instructor notebook has no solution cells"
    hidden = [c.source for c in chapter.cells if "hide-input" in c.metadata.get("tags", [])]
    for src in solutions:             # (other cells may be collapsed too: long plotting code, say)
        assert book.strip_solution_markers(src.source) in hidden
        assert book.strip_solution_markers(src.source).strip()
    graded_only_hidden = [c for c in source.cells if _grading(c).get("grade")
                          and not book.strip_hidden_tests(c.source).replace("#", "").strip()]
    kept = len(source.cells) - len(graded_only_hidden) + 2          # + the launch cell and "At a glance"
    assert len(chapter.cells) in (kept, kept - 1)                   # the title may merge into it

    # the title and the launch links come first
    top = chapter.cells[0].source
    assert top.startswith("# ")
    student = lesson.path("student").relative_to(lessons.course_root()).as_posix()
    _, slug = book.repository()
    assert f"https://colab.research.google.com/github/{slug}/blob/main/{student}" in top
    assert f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath={student}" in top
    nbformat.validate(chapter)


def test_hidden_tests_and_markers_removed():
    cell = nbformat.v4.new_code_cell
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A title\n\nProse with $x^2$."),
        cell("def f(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION",
             metadata={"nbgrader": {"solution": True, "grade": False, "grade_id": "f"}}),
        cell("# Autograder cell for `f` (1 point)\n### BEGIN HIDDEN TESTS\nfrom neuroai.course.judge "
             "import check\ncheck('x', 'f', f)\n### END HIDDEN TESTS",
             metadata={"nbgrader": {"grade": True, "solution": False, "points": 1}}),
        cell("assert f(1) == 2  # visible\n# hidden:\n### BEGIN HIDDEN TESTS\ncheck('x', 'f', f)\n"
             "### END HIDDEN TESTS", metadata={"nbgrader": {"grade": True, "solution": False}}),
        cell("print('done')", metadata={"tags": ["nbval-check-output"]}),
    ])
    chapter = book.chapter_notebook(nb, lessons.get(sorted(lessons.LESSONS)[0]))
    sources = [c.source for c in chapter.cells]
    assert sources[0].startswith("# A title\n\n<p class=\"neuroai-launch\">")
    assert sources[1].startswith("```{admonition} At a glance")
    assert sources[2:] == ["Prose with $x^2$.", "def f(x):\n    return 2 * x",
                           "assert f(1) == 2  # visible", "print('done')"]
    assert chapter.cells[3].metadata["tags"] == ["hide-input"]
    assert chapter.cells[5].metadata["tags"] == ["nbval-check-output"]
    assert len(nb.cells) == 5 and "nbgrader" in nb.cells[1].metadata     # the input is untouched


def test_reproducibility_page_lists_claims():
    record = {"lesson": "plasticity-geometry", "seed": 0, "claim": "The claim.", "device": "cpu",
              "measured": {"a": 0.01, "b": 0.5, "c": -1.0}, "holds": True, "seconds": 1.25,
              "thresholds": {"a": "< 0.05", "b or c": "> 0.3 or < -0.5"}, "line": "... -> claim HOLDS"}
    page = reproducibility.reproducibility_markdown({"plasticity-geometry": [record]}, bench=None)
    assert "| `a` | < 0.05 | 0.01 |" in page
    assert "| `b` | > 0.3 (or `c`) | 0.5 |" in page and "| `c` | < -0.5 (or `b`) | -1 |" in page
    assert "**HOLDS**" in page and "1.2" in page
    assert "run `neuroai bench" not in page and "not benchmarked" not in page     # no maintainer's to-do
    bench = {"plasticity-geometry": {"lesson": "plasticity-geometry", "notebook_seconds": 10.3,
                                     "reproduce_seconds": 3.2, "notebook_peak_mb": 331, "holds": True}}
    page = reproducibility.reproducibility_markdown({"plasticity-geometry": [record]}, bench=bench)
    assert "| `plasticity-geometry` | 10.3 |" in page and "| 331 |" in page


def test_toc_has_every_module_and_lesson():
    toc = book.toc_yaml()
    for module_dir, _title in lessons.MODULES.values():
        assert f"file: modules/{module_dir}\n" in toc + "\n"
        assert (ROOT / "book" / "modules" / f"{module_dir}.md").exists()
    for lesson_id in lessons.LESSONS:
        assert f"file: _generated/{lesson_id}\n" in toc
    assert "file: _generated/reproducibility" in toc and "file: instructors" in toc


def test_remote_assets_detected():
    assert book.remote_assets('<script src="https://cdn.example/x.js"></script>')
    assert book.remote_assets('<link rel="stylesheet" href="//fonts.example/css">')
    assert not book.remote_assets('<a href="https://colab.research.google.com/x">Open</a>'
                                  '<script src="../_static/mathjax/tex-svg.js"></script>')


# --- the built book, in a browser ------------------------------------------------------------------

def _chromium():
    for name in ("chromium", "chromium-browser"):
        if shutil.which(name):
            return shutil.which(name)
    if os.environ.get("CI"):
        pytest.fail("Chromium is needed to check the built book (Debian package `chromium`)")
    pytest.skip("Chromium not installed (Debian package `chromium`); set CI=1 to make this a failure")


@pytest.fixture(scope="module")
def built_book():
    chromium = _chromium()
    proc = subprocess.run([sys.executable, "-m", "neuroai.course", "book", "build"], cwd=ROOT,
                          capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, f"neuroai book build failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}"
    assert (HTML / "index.html").exists()
    return chromium


@pytest.fixture(scope="module")
def server(built_book):
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the built book, and at /__layout__?width=W&pages=a.html,b.html a driver page that runs
    tests/course/book_layout.js on those chapters in an iframe W pixels wide (the book stays as built)."""

    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        if url.path != "/__layout__":
            return super().do_GET()
        query = dict(part.split("=", 1) for part in url.query.split("&"))
        params = json.dumps({"width": int(query["width"]), "pages": ["/" + p for p in query["pages"].split(",")]})
        body = (f'<!doctype html><html><body><script type="application/json" id="neuroai-pages">{params}'
                f'</script><script>{LAYOUT_JS.read_text()}</script></body></html>').encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _browse(chromium, url, tmp_path, *extra, budget_ms=15000):
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           f"--user-data-dir={tmp_path / 'chromium-profile'}", f"--virtual-time-budget={budget_ms}", *extra, url]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, f"chromium failed: {proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def lesson_dom(built_book, server, tmp_path_factory):
    lesson_id = sorted(lessons.LESSONS)[0]
    url = urljoin(server, f"_generated/{lesson_id}.html")
    tmp = tmp_path_factory.mktemp("chromium")
    dom = _browse(built_book, url, tmp, "--dump-dom")
    shot = ROOT / "build" / "book-lesson.png"
    shot.parent.mkdir(exist_ok=True)
    _browse(built_book, url, tmp, f"--screenshot={shot}", "--window-size=1280,2000")
    return lesson_id, url, dom


@pytest.fixture(scope="module")
def layouts(built_book, server, tmp_path_factory):
    """{width name: [one result per page]}: every chapter and generated page, measured in Chromium."""
    pages = sorted(p.relative_to(HTML).as_posix() for p in (HTML / "_generated").glob("*.html"))
    pages += ["index.html"]
    tmp = tmp_path_factory.mktemp("chromium-layout")
    found = {}
    for name, width in WIDTHS.items():
        dom = _browse(built_book, urljoin(server, f"__layout__?width={width}&pages={','.join(pages)}"), tmp,
                      "--dump-dom", budget_ms=120000)
        match = re.findall(r'<pre id="neuroai-layout"[^>]*>(.*?)</pre>', dom, re.S)
        assert match, f"the layout script did not finish at {name} width"
        found[name] = json.loads(html.unescape(match[-1]))
        assert len(found[name]) == len(pages)
    return found


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_chapter_math_renders_without_errors(layouts, width):
    bad = {r["url"]: r["errors"] for r in layouts[width] if r["errors"]}
    assert not bad, f"MathJax reports TeX errors (red) on: {bad}"
    lessons_measured = [r for r in layouts[width] if r["math"]]
    assert len(lessons_measured) >= len(lessons.LESSONS), "some chapters have no typeset display math"


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_display_equation_stays_inside_its_column(layouts, width):
    """Nothing of an equation is cut off or leaves the text column; a phone may scroll a wide one."""
    bad = [(r["url"], m["tag"] or m["index"], m["text"][:30], f"outside {m['outside']} px, unreachable {m['lost']} px")
           for r in layouts[width] for m in r["math"] if m["outside"] > 1 or m["lost"] > 1]
    assert not bad, f"display math leaves its column at {width} width: {bad}"


def test_every_display_equation_fits_a_desktop_column(layouts):
    """On a desktop nobody should have to scroll an equation: a wide one is set on several lines."""
    wide = [(r["url"], m["tag"] or m["index"], f"{m['content']} px in {m['box']} px")
            for r in layouts["desktop"] for m in r["math"] if m["content"] > m["box"] + 1]
    assert not wide, f"equations wider than the desktop column (break them into lines): {wide}"


def test_lesson_page_shows_the_executed_figure(lesson_dom):
    _lesson_id, url, dom = lesson_dom
    outputs = re.findall(r'<div class="cell_output[^"]*">(.*?)</div>\s*</div>\s*</div>', dom, re.S)
    srcs = [src for out in outputs for src in re.findall(r'<img[^>]*\bsrc="([^"]+)"', out)]
    assert srcs, "no image in any cell output: the notebook's figures are missing"
    for src in srcs:
        if src.startswith("data:image/"):
            continue
        path = HTML / urlparse(urljoin(url, html.unescape(src))).path.lstrip("/")
        assert path.suffix == ".png" and path.stat().st_size > 5000, src


def test_lesson_page_renders_math(lesson_dom):
    _lesson_id, _url, dom = lesson_dom
    assert dom.count("<mjx-container") > 10, "MathJax did not typeset the math"
    assert "mjx-merror" not in dom and "data-mjx-error" not in dom, "MathJax reports a TeX error"


def test_lesson_page_has_no_errors(lesson_dom):
    _lesson_id, _url, dom = lesson_dom
    assert "Traceback" not in dom
    assert 'class="output error' not in dom and 'class="output traceback' not in dom
    for block in re.findall(r'<div class="output stderr[^"]*">(.*?)</div>', dom, re.S):
        assert "Error" not in block, block[:500]
    assert "-&gt; claim HOLDS" in dom or "-> claim HOLDS" in dom


def test_lesson_page_collapses_solutions_and_hides_tests(lesson_dom):
    lesson_id, _url, dom = lesson_dom
    source = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    n_solutions = sum(1 for c in source.cells if _grading(c).get("solution") and c.cell_type == "code")
    cells = re.findall(r'<div class="cell tag_hide-input[^"]*">\s*<details class="[^"]*hide above-input', dom)
    assert len(cells) >= n_solutions, "solution code is not in collapsible blocks"
    for forbidden in ("BEGIN HIDDEN TESTS", "neuroai.course.judge", "BEGIN SOLUTION", "END SOLUTION"):
        assert forbidden not in dom


def test_lesson_page_has_launch_links(lesson_dom):
    lesson_id, _url, dom = lesson_dom
    student = lessons.get(lesson_id).path("student").relative_to(ROOT).as_posix()
    _, slug = book.repository()
    assert f'href="https://colab.research.google.com/github/{slug}/blob/main/{student}"' in dom
    assert f'href="https://mybinder.org/v2/gh/{slug}/HEAD?labpath={student}"' in dom


def test_the_download_button_gives_the_student_notebook(lesson_dom):
    """The page offers the student notebook for download, never the solved chapter."""
    lesson_id, url, dom = lesson_dom
    links = re.findall(r'href="([^"]+\.ipynb)"', dom)
    local = [link for link in links if not link.startswith("http")]
    assert local == [f"../student/{lesson_id}.ipynb"], links
    served = HTML / "student" / f"{lesson_id}.ipynb"
    assert served.read_bytes() == lessons.get(lesson_id).path("student").read_bytes()
    assert "BEGIN SOLUTION" not in served.read_text() and "NotImplementedError" in served.read_text()
    assert not (HTML / "_sources").exists() or not list((HTML / "_sources").rglob("*.ipynb"))


def test_lesson_page_loads_nothing_remote(lesson_dom):
    _lesson_id, _url, dom = lesson_dom
    assert book.remote_assets(dom) == []
    assert not re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="https?://', dom)


def test_landing_page_names_the_modules(built_book):
    page = (HTML / "intro.html").read_text(encoding="utf-8")
    for number, (module_dir, title) in lessons.MODULES.items():
        assert html.escape(title) in page, title
        assert f"modules/{module_dir}.html" in page
    text = re.sub(r"<[^>]+>", "", page)                                 # code is highlighted in spans
    assert "python3 course.py book" in text and "python3 course.py test" in text


def test_reproducibility_page_has_every_lesson(built_book):
    page = (HTML / "_generated" / "reproducibility.html").read_text(encoding="utf-8")
    for lesson_id in lessons.LESSONS:
        row = re.search(rf"<tr[^>]*>\s*<td[^>]*><p><a [^>]*href=\"{lesson_id}\.html\"[^>]*>.*?</tr>", page, re.S)
        assert row, f"no row for {lesson_id}"
        assert re.search(r"HOLDS|FAILS", row.group(0))


def test_module_pages_list_their_lessons(built_book):
    for number, (module_dir, _title) in lessons.MODULES.items():
        page = (HTML / "modules" / f"{module_dir}.html").read_text(encoding="utf-8")
        ids = [lesson.id for lesson in lessons.LESSONS.values() if lesson.module == number]
        for lesson_id in ids:
            assert f'href="../_generated/{lesson_id}.html"' in page, (module_dir, lesson_id)
        if not ids:
            assert "No lesson of this module is built yet" in page


def test_saved_results_are_used_only_for_the_same_code(tmp_path, monkeypatch):
    """The book shows a saved executed notebook or reproduce record only if its code fingerprint is
    the current one: change the code, and the chapter is executed and the claim rerun."""
    monkeypatch.setenv("NEUROAI_COURSE_ROOT", str(tmp_path))
    for folder in ("solutions", "src"):
        (tmp_path / folder).mkdir()
    lesson = lessons.get("plasticity-geometry")
    for kind in ("reference", "source"):
        shutil.copy(ROOT / "solutions" / lesson.path(kind).name, tmp_path / "solutions")
    nb = nbformat.read(lesson.path("source"), as_version=4)
    (tmp_path / "build" / "executed").mkdir(parents=True)
    saved = tmp_path / "build" / "executed" / f"{lesson.id}.ipynb"
    figure = tmp_path / "figure.png"
    figure.write_bytes(b"png")
    (tmp_path / "build" / "reproduce").mkdir(parents=True)
    record_path = tmp_path / "build" / "reproduce" / f"{lesson.id}-seed0.json"

    def save(fingerprint):
        nb.metadata["neuroai"] = {"code_sha256": fingerprint}
        nbformat.write(nb, saved)
        record_path.write_text(json.dumps({"code_sha256": fingerprint, "figure": str(figure), "holds": True}))

    save(lessons.code_fingerprint(lesson.id))
    assert book.executed_notebook(lesson) is not None and reproducibility.saved_record(lesson.id, 0)["holds"]
    save("made by other code")
    assert book.executed_notebook(lesson) is None and reproducibility.saved_record(lesson.id, 0) is None
    save(lessons.code_fingerprint(lesson.id))
    reference = tmp_path / "solutions" / lesson.path("reference").name
    reference.write_text(reference.read_text() + "\n# an edit\n")       # the code changes
    assert book.executed_notebook(lesson) is None and reproducibility.saved_record(lesson.id, 0) is None


def test_reproducibility_page_explains_failures_and_sorts_by_module():
    def record(lesson_id, seed, holds):
        return {"lesson": lesson_id, "seed": seed, "claim": "The claim.", "device": "cpu", "measured": {"a": 1.0},
                "holds": holds, "seconds": 1.0, "thresholds": {"a": "< 2"}, "line": "-> claim"}
    known = min(dict(lessons.get("conspec").known_failures))                  # a seed the registry declares
    records = {"poyo": [record("poyo", 0, False)], "conspec": [record("conspec", 0, True), record("conspec", known, False)],
               "embodied-turing-test": [record("embodied-turing-test", 0, True)]}
    page = reproducibility.reproducibility_markdown(records)
    assert page.index("embodied-turing-test") < page.index("conspec") < page.index("poyo")    # modules 1, 2, 5
    assert f"seed {known}: **FAILS** (known)" in page
    assert f"**Seed {known} fails.** A known failure: conspec seed {known}" in page
    assert "**Seed 0 fails.** Not a known failure" in page                       # poyo seed 0 is not known


def test_a_book_build_reuses_its_executed_chapters_for_the_same_code(tmp_path, monkeypatch):
    """A chapter that a book build executed is reused while its code cells are the same; its prose may
    change (and the new prose is shown); an edited code cell makes the build execute it again."""
    lesson = lessons.get("plasticity-geometry")
    monkeypatch.setattr(book, "_chapter_cache", lambda _lesson: tmp_path / f"{_lesson.id}.ipynb")
    source = nbformat.read(lesson.path("source"), as_version=4)
    fresh = book.chapter_notebook(source, lesson)
    assert not book._reuse_chapter_outputs(fresh, lesson)                  # nothing saved yet
    executed = book.chapter_notebook(source, lesson)
    for cell in executed.cells:
        if cell.cell_type == "code":
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
    executed.metadata["neuroai"] = {"chapter_code_sha256": book.chapter_code_fingerprint(executed, lesson)}
    nbformat.write(executed, tmp_path / f"{lesson.id}.ipynb")
    prose = book.chapter_notebook(source, lesson)
    first_md = next(c for c in prose.cells[2:] if c.cell_type == "markdown")
    first_md.source += "\n\nA new sentence."
    assert book._reuse_chapter_outputs(prose, lesson)
    assert all(c.outputs for c in prose.cells if c.cell_type == "code") and "A new sentence." in first_md.source
    edited = book.chapter_notebook(source, lesson)
    next(c for c in edited.cells if c.cell_type == "code").source += "\nx = 1"
    assert not book._reuse_chapter_outputs(edited, lesson)
    (tmp_path / f"{lesson.id}.ipynb").write_text("{not json")               # a damaged cache is not trusted
    assert not book._reuse_chapter_outputs(book.chapter_notebook(source, lesson), lesson)


@pytest.mark.parametrize("lesson_id", sorted(lessons.LESSONS))
def test_every_chapter_opens_with_objectives_prerequisites_and_time(lesson_id):
    lesson = lessons.get(lesson_id)
    nb = book.chapter_notebook(nbformat.read(lesson.path("source"), as_version=4), lesson)
    glance = nb.cells[1].source
    guide = book.lesson_guide()[lesson_id]
    assert len(guide["objectives"]) >= 2 and guide["prerequisites"]
    for item in guide["objectives"] + guide["prerequisites"]:
        assert item in glance
    for function in lessons.load_autograder_spec(lesson_id).GRADED:
        assert f"`{function}`" in glance
    assert re.search(r"reading about \d+ min \([\d,]+ words\)", glance)
    assert re.search(r"the claim check trains for about \d+ s on one CPU core", glance)


def test_syllabus_and_glossary_are_in_the_book():
    page = book.syllabus_markdown()
    for lesson_id in lessons.LESSONS:
        assert f"{{doc}}`/_generated/{lesson_id}`" in page
    toc = book.toc_yaml()
    assert "file: glossary" in toc and "file: _generated/syllabus" in toc
    glossary = (ROOT / "book" / "glossary.md").read_text()
    for term in ("Control", "Pilot seeds", "Dale's law", "Surrogate gradient", "Mirror descent"):
        assert f"\n{term}\n" in glossary


@pytest.mark.parametrize("lesson_id", sorted(lessons.LESSONS))
def test_no_tag_inside_a_split_display(lesson_id):
    """Sphinx wraps a `$$` block that contains a line break `\\\\` in a split environment, where MathJax
    refuses `\\tag` (the red "\\tag not allowed in split environment"): such an equation must be an
    amsmath block (`\\begin{equation} ... \\tag{n} \\end{equation}`). The browser test sees the error
    too; this finds it without a browser."""
    nb = nbformat.read(lessons.get(lesson_id).path("source"), as_version=4)
    bad = [m.group(1)[:60] for cell in nb.cells if cell.cell_type == "markdown"
           for m in re.finditer(r"\$\$(.*?)\$\$", cell.source, re.S) if "\\\\" in m.group(1) and "\\tag" in m.group(1)]
    assert not bad, bad


def test_one_setting_says_where_the_course_is_published(monkeypatch):
    """[project.urls] Repository in pyproject.toml: the notebooks' install line (written by `sync`), the
    chapters' launch links and the book's repository button all come from it."""
    from neuroai.course import sync
    url, slug = book.repository()
    for lesson in lessons.LESSONS.values():
        for kind in ("source", "student"):
            text = lesson.path(kind).read_text()
            for found in re.findall(r'neuroai @ git\+([^"\\]*)', text):
                assert found == url, (lesson.id, kind, found)
    monkeypatch.setattr(book, "repository", lambda: ("https://github.com/someone/elsewhere", "someone/elsewhere"))
    cell = '%pip install -q "neuroai @ git+https://github.com/neuroai-course/neuroai-course"'
    assert sync.install_line(cell) == '%pip install -q "neuroai @ git+https://github.com/someone/elsewhere"'
    lesson = lessons.get("poyo")
    assert "https://colab.research.google.com/github/someone/elsewhere/blob/main/" in book.launch_markdown(lesson)
