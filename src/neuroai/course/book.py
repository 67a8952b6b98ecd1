"""The course book (Jupyter Book 1, on Sphinx): `neuroai book pages` writes its generated pages,
`neuroai book build` writes them and builds the executed HTML book in book/_build/html.

Generated, into book/_generated/ (never committed):
  - one chapter per lesson, `<id>.ipynb`, made from the instructor notebook solutions/<id>.ipynb:
    outputs cleared, hidden tests removed, solution markers stripped, solution code collapsed
    (`hide-input`), nbgrader metadata dropped, launch links (Colab, Binder) on top. Jupyter Book
    executes it during the build, and the build fails if a cell raises;
  - reproducibility.md, from what `neuroai reproduce` measures (and build/bench/bench.json if present);
  - _toc.yml: the landing page, one page per roadmap module with its lessons, the reproducibility
    page, the instructors' page.
Hand-written and committed: book/_config.yml, intro.md, instructors.md, modules/<module_dir>.md.

This module is also a small Sphinx extension (`setup` at the bottom, named in book/_config.yml).
"""
import copy
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from neuroai.course import lessons
from neuroai.course.reproducibility import say, write_reproducibility

# --- where things are -------------------------------------------------------------------------------


def book_dir():
    return lessons.course_root() / "book"


def generated_dir():
    return book_dir() / "_generated"


def html_dir():
    return book_dir() / "_build" / "html"


def repository():
    """(url, "org/repo") of the course repository, from [project.urls] Repository in pyproject.toml."""
    text = (lessons.course_root() / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
        url = tomllib.loads(text)["project"]["urls"]["Repository"]
    except ImportError:   # Python 3.10: no tomllib; the line is simple enough to read directly
        url = re.search(r'^Repository\s*=\s*"([^"]+)"', text, re.M).group(1)
    match = re.match(r"https://github\.com/([^/]+/[^/]+?)(?:\.git)?/?$", url)
    if not match:
        raise ValueError(f"pyproject.toml: [project.urls] Repository is not a GitHub URL: {url}")
    return url, match.group(1)


# --- the chapter: an instructor notebook made readable --------------------------------------------

_MARK = r"^\s*#+\s*{}\s*$"
HIDDEN_BEGIN = re.compile(_MARK.format("BEGIN HIDDEN TESTS"))
HIDDEN_END = re.compile(_MARK.format("END HIDDEN TESTS"))
SOLUTION_MARKER = re.compile(_MARK.format("(BEGIN|END) SOLUTION"))


def _is_comment_or_blank(line):
    return not line.strip() or line.lstrip().startswith("#")


def strip_hidden_tests(source):
    """Remove every `### BEGIN HIDDEN TESTS` ... `### END HIDDEN TESTS` region, markers included,
    and the comment lines just above a region (they introduce it). Returns the rest of the source."""
    out, inside = [], False
    for line in source.splitlines():
        if HIDDEN_BEGIN.match(line):
            if inside:
                raise ValueError("nested `### BEGIN HIDDEN TESTS`")
            inside = True
            while out and _is_comment_or_blank(out[-1]):
                out.pop()
        elif HIDDEN_END.match(line):
            if not inside:
                raise ValueError("`### END HIDDEN TESTS` without a BEGIN")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError("`### BEGIN HIDDEN TESTS` without an END")
    return "\n".join(out).rstrip()


def strip_solution_markers(source):
    """Remove the `### BEGIN SOLUTION` / `### END SOLUTION` lines, keep the code between them."""
    return "\n".join(line for line in source.splitlines() if not SOLUTION_MARKER.match(line)).rstrip()


def launch_markdown(lesson):
    """The links on top of a chapter: the student notebook on Colab and on Binder."""
    url, slug = repository()
    student = lesson.path("student").relative_to(lessons.course_root()).as_posix()
    colab = f"https://colab.research.google.com/github/{slug}/blob/main/{student}"
    binder = f"https://mybinder.org/v2/gh/{slug}/HEAD?labpath={student}"
    return (
        '<p class="neuroai-launch">\n'
        f'<a class="neuroai-button" href="{colab}">Open in Colab</a>\n'
        f'<a class="neuroai-button" href="{binder}">Launch on Binder</a>\n'
        f'<a class="neuroai-button" href="../student/{lesson.id}.ipynb" download="{lesson.id}.ipynb">'
        "Download the student notebook</a>\n"
        "</p>\n\n"
        f"The exercises are in the student notebook [`{student}`]({url}/blob/main/{student}): open it "
        "with one of the buttons above, download it, or open it locally with `python3 course.py lab`. "
        "This page is the instructor's version, run when the book was built: the solution to each "
        "exercise is collapsed below (click to show it), so try the exercise first."
    )


WORDS_PER_MINUTE = 200          # a common figure for reading technical prose; the word count is measured


def lesson_guide():
    """book/lesson-guide.yml: each lesson's objectives and prerequisites."""
    import yaml
    return yaml.safe_load((book_dir() / "lesson-guide.yml").read_text(encoding="utf-8")) or {}


def glance_markdown(lesson, cells):
    """The box under a chapter's title: what the student will be able to do, what the chapter assumes,
    the functions to write, and the time it takes: reading (the chapter's words at WORDS_PER_MINUTE) and
    the claim check (the median of the lesson's recorded runs, measured)."""
    import json
    guide = lesson_guide().get(lesson.id)
    if not guide:
        raise ValueError(f"book/lesson-guide.yml has no entry for lesson {lesson.id!r} (objectives, prerequisites)")
    words = sum(len(re.findall(r"[A-Za-z]+", c.source)) for c in cells if c.cell_type == "markdown")
    graded = list(getattr(lessons.load_autograder_spec(lesson.id), "GRADED", {}))
    time = f"reading about {max(1, round(words / WORDS_PER_MINUTE))} min ({words:,} words)"
    record = lessons.course_root() / "records" / f"{lesson.id}.json"
    if record.exists():
        runs = sorted(r["seconds"] for r in json.loads(record.read_text()).get("runs", []))
        if runs:
            time += (f"; the claim check trains for about {runs[len(runs) // 2]:.0f} s on one CPU core (median of "
                     f"{len(runs)} recorded runs)")
    lines = ["```{admonition} At a glance", ":class: tip", "**After this chapter you can**", ""]
    lines += [f"- {item}" for item in guide.get("objectives", [])]
    lines += ["", "**It assumes**", ""] + [f"- {item}" for item in guide.get("prerequisites", [])]
    lines += ["", f"**You write** {len(graded)} functions: " + ", ".join(f"`{g}`" for g in graded) + ".",
              "", f"**Time**: {time}, plus the exercises.", "```"]
    return "\n".join(lines)


def chapter_notebook(nb, lesson, keep_outputs=False):
    """The book chapter for `lesson` from its instructor notebook `nb` (an nbformat notebook; a new
    notebook is returned, `nb` is left as it is). Outputs are cleared unless `keep_outputs`."""
    import nbformat

    nb = copy.deepcopy(nb)
    cells = []
    for cell in nb.cells:
        grading = cell.metadata.pop("nbgrader", {}) or {}
        for key in ("deletable", "editable"):                    # nbgrader's cell locks
            cell.metadata.pop(key, None)
        source = cell.source
        if cell.cell_type == "code":
            had_hidden = "HIDDEN TESTS" in source
            source = strip_hidden_tests(source)
            if (grading.get("grade") or had_hidden) and all(
                    _is_comment_or_blank(line) for line in source.splitlines()):
                continue                                         # a cell of hidden tests only
        if grading.get("solution"):
            source = strip_solution_markers(source)
            if cell.cell_type == "code":
                tags = cell.metadata.setdefault("tags", [])
                if "hide-input" not in tags:
                    tags.append("hide-input")
            elif cell.cell_type == "markdown":
                source = f"````{{admonition}} Answer\n:class: dropdown\n{source}\n````"
        cell.source = source
        if cell.cell_type == "code" and not keep_outputs:
            cell.outputs = []
            cell.execution_count = None
        cells.append(cell)

    text = "\n".join(cell.source for cell in cells)
    for forbidden in ("HIDDEN TESTS", "BEGIN SOLUTION", "END SOLUTION", "neuroai.course.judge"):
        if forbidden in text:
            raise ValueError(f"{lesson.path('source')}: `{forbidden}` is left in the book chapter after "
                             "removing the hidden-test regions; keep autograder calls inside them")

    # The launch links go right under the title (the first heading of the first markdown cell).
    launch = nbformat.v4.new_markdown_cell(launch_markdown(lesson))
    first = cells[0] if cells else None
    if first is not None and first.cell_type == "markdown" and first.source.lstrip().startswith("# "):
        title, _, rest = first.source.lstrip().partition("\n")
        launch.source = f"{title}\n\n{launch.source}"
        if rest.strip():
            first.source = rest.strip("\n")
        else:
            cells.pop(0)
    else:
        launch.source = f"# {lesson.title}\n\n{launch.source}"
    cells.insert(0, launch)
    cells.insert(1, nbformat.v4.new_markdown_cell(glance_markdown(lesson, cells)))

    nb.cells = cells
    if nb.nbformat_minor < 5:                  # cell ids (the launch cell has one) need nbformat 4.5
        nb.nbformat_minor = 5
        for cell in cells:
            cell.setdefault("id", nbformat.v4.nbbase.random_cell_id())
    nb.metadata.pop("nbgrader", None)
    nb.metadata.pop("celltoolbar", None)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.validate(nb)
    return nb


def executed_notebook(lesson):
    """build/executed/<id>.ipynb, the instructor notebook as the test suite's nbval run executed it
    (tests/conftest.py saves it), if it was made from the current code; else None."""
    import nbformat

    path = lessons.course_root() / "build" / "executed" / f"{lesson.id}.ipynb"
    if not path.exists():
        return None
    nb = nbformat.read(path, as_version=4)
    current = nb.metadata.get("neuroai", {}).get("code_sha256") == lessons.code_fingerprint(lesson.id)
    return nb if current else None


def write_chapter(lesson, source=None, fresh=False):
    """Write book/_generated/<id>.ipynb from the lesson's instructor notebook (or `source`). If the
    test suite has just executed that notebook (same code), its outputs are kept and Jupyter Book
    does not execute it again; otherwise Jupyter Book executes the chapter."""
    import nbformat

    executed = None if source or fresh else executed_notebook(lesson)
    source = Path(source) if source else lesson.path("source")
    if not source.exists():
        raise FileNotFoundError(f"the instructor notebook of lesson {lesson.id!r} is missing: {source}")
    if executed is not None:
        say(f"{lesson.id}: using the outputs of the test suite's run of the same code (build/executed/)")
        nb = chapter_notebook(executed, lesson, keep_outputs=True)
        nb.metadata["mystnb"] = {"execution_mode": "off"}
    else:
        nb = chapter_notebook(nbformat.read(source, as_version=4), lesson)
        if not fresh and _reuse_chapter_outputs(nb, lesson):
            say(f"{lesson.id}: using the outputs of the last book build's run of the same code (build/chapters/)")
            nb.metadata["mystnb"] = {"execution_mode": "off"}
    path = generated_dir() / f"{lesson.id}.ipynb"
    nbformat.write(nb, path)
    return path


def chapter_code_fingerprint(nb, lesson):
    """sha256 of what a chapter's outputs depend on: its code cells in order, the lesson's reference
    file and the student's library (neuroai, not the course machinery). The prose is not in it: a
    chapter whose text changed keeps its outputs."""
    digest = hashlib.sha256()
    for cell in nb.cells:
        if cell.cell_type == "code":
            digest.update(b"cell\0" + cell.source.encode())
    library = Path(lessons.__file__).resolve().parents[1]
    files = [lesson.path("reference"), *sorted(f for f in library.rglob("*.py") if "course" not in f.parts)]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _chapter_cache(lesson):
    return lessons.course_root() / "build" / "chapters" / f"{lesson.id}.ipynb"


def _reuse_chapter_outputs(nb, lesson):
    """Fill `nb` (a fresh chapter) with the outputs that the last book build executed for the same
    code, if there are any. Returns True if it did."""
    import nbformat

    cache = _chapter_cache(lesson)
    if not cache.exists():
        return False
    try:
        saved = nbformat.read(cache, as_version=4)
    except Exception:                                       # a damaged cache is rebuilt, never trusted
        return False
    if saved.metadata.get("neuroai", {}).get("chapter_code_sha256") != chapter_code_fingerprint(nb, lesson):
        return False
    code = [c for c in nb.cells if c.cell_type == "code"]
    done = [c for c in saved.cells if c.cell_type == "code"]
    if [c.source for c in code] != [c.source for c in done]:
        return False
    for cell, executed in zip(code, done):
        cell.outputs, cell.execution_count = executed.outputs, executed.execution_count
    return True


def save_executed_chapters():
    """After a build: keep each chapter Jupyter Book executed (book/_build/jupyter_execute/) in
    build/chapters/, stamped with its code fingerprint, so the next build reuses its outputs."""
    import nbformat

    for lesson in lessons.LESSONS.values():
        executed = book_dir() / "_build" / "jupyter_execute" / "_generated" / f"{lesson.id}.ipynb"
        generated = generated_dir() / f"{lesson.id}.ipynb"
        if not executed.exists() or not generated.exists():
            continue
        if nbformat.read(generated, as_version=4).metadata.get("mystnb", {}).get("execution_mode") == "off":
            continue                                        # not executed by this build
        if executed.stat().st_mtime < generated.stat().st_mtime:
            continue                                        # left from an earlier build
        nb = nbformat.read(executed, as_version=4)
        nb.metadata.setdefault("neuroai", {})["chapter_code_sha256"] = chapter_code_fingerprint(nb, lesson)
        cache = _chapter_cache(lesson)
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_suffix(".tmp")
        nbformat.write(nb, tmp)
        os.replace(tmp, cache)


# --- the reproducibility page ----------------------------------------------------------------------


# --- the table of contents -------------------------------------------------------------------------

def toc_yaml():
    """book/_generated/_toc.yml: the landing page, the five module pages with their lessons as child
    chapters, then the reproducibility and instructors' pages. Paths are relative to book/."""
    lines = ["# Generated by `neuroai book pages`; do not edit.", "format: jb-book", "root: intro",
             "parts:", "  - caption: The NeuroAI roadmap", "    chapters:"]
    for number, (module_dir, _title) in sorted(lessons.MODULES.items()):
        lines.append(f"      - file: modules/{module_dir}")
        ids = [lesson.id for lesson in lessons.LESSONS.values() if lesson.module == number]
        if ids:
            lines.append("        sections:")
            lines += [f"          - file: _generated/{lesson_id}" for lesson_id in ids]
    lines += ["  - caption: Reproducing and teaching", "    chapters:", "      - file: _generated/syllabus",
              "      - file: glossary", "      - file: _generated/reproducibility", "      - file: instructors", ""]
    return "\n".join(lines)


def syllabus_markdown():
    """book/_generated/syllabus.md: the course on one page, for planning a class or a workshop."""
    import nbformat
    lines = ["# Syllabus", "",
             "The course on one page: every lesson with the functions its students write and the time it takes,",
             "module by module, so that a class or a workshop can be planned from it. Reading times count the",
             f"chapter's words at {WORDS_PER_MINUTE} words a minute; training times are the median of the lesson's",
             "recorded claim checks on one CPU core (see {doc}`reproducibility`). The exercises come on top: the",
             "functions are short (a few lines to a screenful each), and each has visible checks to run at once.",
             "One way to run a lesson in class: read the question and the math together, write the functions in",
             "pairs, then run the finding and discuss the questions at the end of the chapter. Terms are in the",
             "{doc}`/glossary`.", ""]
    for number, (module_dir, title) in sorted(lessons.MODULES.items()):
        lines += [f"## Module {number}: {title}", ""]
        chosen = [lesson for lesson in lessons.LESSONS.values() if lesson.module == number]
        if not chosen:
            lines += ["No lesson of this module is built yet.", ""]
            continue
        lines += ["| lesson | you write | time |", "|---|---|---|"]
        for lesson in chosen:
            cells = chapter_notebook(nbformat.read(lesson.path("source"), as_version=4), lesson).cells
            glance = cells[1].source
            writes = re.search(r"\*\*You write\*\* (.*)", glance).group(1)
            time = re.search(r"\*\*Time\*\*: (.*), plus the exercises", glance).group(1)
            lines.append(f"| {{doc}}`/_generated/{lesson.id}` | {writes} | {time} |")
        lines.append("")
    return "\n".join(lines)


def module_lessons_markdown(number):
    """The list of a module's lessons, from the registry, included by book/modules/<module_dir>.md."""
    items = [f"- {{doc}}`/_generated/{lesson.id}` (lesson `{lesson.id}`), after {lesson.citation}"
             for lesson in lessons.LESSONS.values() if lesson.module == number]
    if not items:
        return "No lesson of this module is built yet; the papers below are coming.\n"
    return "\n".join(items) + "\n"


def generate_pages(seeds=1, fresh=False):
    """Step 1 of the build: every generated page and the TOC. Returns the paths written."""
    out = generated_dir()
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for number, (module_dir, _title) in lessons.MODULES.items():
        page = book_dir() / "modules" / f"{module_dir}.md"
        if not page.exists():
            raise FileNotFoundError(f"the page of module {number} is missing: {page}")
        (out / f"lessons-{module_dir}.md").write_text(module_lessons_markdown(number), encoding="utf-8")
    paths = [write_chapter(lesson, fresh=fresh) for lesson in lessons.LESSONS.values()]
    paths.append(write_reproducibility(generated_dir(), seeds, fresh)[0])
    (out / "syllabus.md").write_text(syllabus_markdown(), encoding="utf-8")
    paths.append(out / "syllabus.md")
    toc = out / "_toc.yml"
    toc.write_text(toc_yaml(), encoding="utf-8")
    paths.append(toc)
    return paths


# --- the build -------------------------------------------------------------------------------------

def ensure_mathjax():
    """MathJax (npm package, pinned in package.json) where the book serves it, as course.py does."""
    root = lessons.course_root()
    dst = book_dir() / "_static" / "mathjax" / "tex-svg.js"
    if not dst.exists():
        src = root / "node_modules" / "mathjax" / "es5" / "tex-svg.js"
        if not src.exists():
            raise FileNotFoundError(f"MathJax is not installed ({src} is missing), and the book renders "
                                    "math offline with it: run `python3 course.py setup` first")
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst)
    return dst


REMOTE_ASSET = re.compile(r"<(?:script|img|iframe)\b[^>]*\bsrc=[\"']?(?:https?:)?//[^>]*>|"
                          r"<link\b(?=[^>]*\brel=[\"']?(?:stylesheet|preload|modulepreload|icon)\b)"
                          r"[^>]*\bhref=[\"']?(?:https?:)?//[^>]*>", re.I)


def remote_assets(html):
    """The tags of an HTML page that would load something from another host (scripts, stylesheets,
    images, fonts). Links to click are fine; these are not, the book must work offline."""
    return REMOTE_ASSET.findall(html)


PAGE_READ = re.compile(r"reading sources\.\.\. .*?\[\s*\d+%\]\s+(?:\x1b\[[0-9;]*m)*([\w/.-]+)")
EXECUTED = re.compile(r"_generated/([\w.-]+)\.ipynb: Executed notebook in ([\d.]+) seconds")


def _run_logged(cmd, env, log, verbose):
    """Run Jupyter Book with its output in `log`; print one progress line per chapter (all of the
    output with `verbose`). Returns (exit status, the last 80 lines)."""
    tail = []
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, cwd=lessons.course_root(), env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, errors="replace")
        for line in proc.stdout:
            out.write(line)
            tail = (tail + [line])[-80:]
            if verbose:
                print(line, end="", flush=True)
                continue
            executed, read = EXECUTED.search(line), PAGE_READ.search(line)
            if executed:
                say(f"  {executed.group(1)}: executed in {float(executed.group(2)):.0f} s")
            elif read and read.group(1).startswith("_generated/") and "lessons-" not in read.group(1):
                say(f"  {read.group(1).split('/')[-1]}: reading")
        proc.wait()
    return proc.returncode, tail


def build_html(verbose=False):
    """Run Jupyter Book on book/ (pages already generated). Raises RuntimeError if it fails."""
    book = book_dir()
    env = dict(os.environ)
    # The chapter's kernel inherits this environment: an MPLBACKEND=Agg set by the caller would stop
    # figures from showing in the executed notebook, so use the inline backend there.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env.setdefault("PYTHONHASHSEED", "0")
    cmd = [sys.executable, "-c", "import sys; from jupyter_book.cli.main import main; sys.exit(main())",
           "build", str(book), "--toc", str(generated_dir() / "_toc.yml"), "--all"]
    shutil.rmtree(html_dir() / "_sources", ignore_errors=True)     # left by builds that copied the sources
    log = lessons.course_root() / "build" / "book.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    say(f"$ jupyter-book build book/ --toc book/_generated/_toc.yml --all   (its output: {log.relative_to(lessons.course_root())})")
    returncode, tail = _run_logged(cmd, env, log, verbose)
    index = html_dir() / "index.html"
    if returncode != 0 or not index.exists():
        if not verbose:
            print("".join(tail), file=sys.stderr, end="")
        raise RuntimeError(f"jupyter-book build failed (exit status {returncode}); the end of its output is "
                           f"above, all of it in {log} (a notebook cell that raised shows its traceback there)")
    save_executed_chapters()
    found = {page.relative_to(html_dir()).as_posix(): remote_assets(page.read_text(encoding="utf-8"))
             for page in html_dir().rglob("*.html")}
    found = {page: tags for page, tags in found.items() if tags}
    if found:
        raise RuntimeError("the built book loads files from other hosts, it must work offline: "
                           + "; ".join(f"{page}: {tags[0]}" for page, tags in sorted(found.items())))
    return index


def cmd_book(args):
    """`neuroai book pages|build [--seeds N]`."""
    start = time.perf_counter()
    seeds = max(1, getattr(args, "seeds", 1) or 1)
    ensure_mathjax()
    paths = generate_pages(seeds=seeds, fresh=getattr(args, "fresh", False))
    root = lessons.course_root()
    say("pages generated: " + ", ".join(p.relative_to(root).as_posix() for p in paths))
    if args.action == "pages":
        return 0
    try:
        index = build_html(verbose=getattr(args, "verbose", False))
    except RuntimeError as err:
        print(f"neuroai book build: error: {err}", file=sys.stderr)
        return 1
    say(f"built in {time.perf_counter() - start:.0f} s: open {index}")
    return 0


# --- Sphinx extension (book/_config.yml: sphinx.extra_extensions) ----------------------------------

def _drop_auto_mathjax(app, config):
    """Jupyter Book adds every .js file under book/_static to every page; MathJax must be loaded only
    by Sphinx's math extension (mathjax_path), after its configuration, so take it out again."""
    def is_mathjax(entry):
        name = entry[0] if isinstance(entry, (tuple, list)) else entry
        return str(name).startswith("mathjax/")
    config.html_js_files = [entry for entry in config.html_js_files if not is_mathjax(entry)]


def _drop_widget_state(app, env):
    """The static book loads no widget manager (that would come from a CDN), so the widgets' saved
    state that myst-nb embeds in each page (a copy of every figure a widget drew) is dead weight."""
    for meta in getattr(env, "nb_metadata", {}).values():
        meta.get("js_files", {}).pop("ipywidgets_state", None)


def _copy_student_notebooks(app, exception):
    """The page's download button gives the student notebook: each lesson's modules/ notebook is
    served at student/<id>.ipynb beside the chapters (the theme's own button, which would hand out the
    solved chapter, is switched off in book/_config.yml)."""
    if exception is not None or app.builder.format != "html":
        return
    out = Path(app.outdir) / "student"
    out.mkdir(parents=True, exist_ok=True)
    for lesson in lessons.LESSONS.values():
        if lesson.path("student").exists():
            shutil.copy(lesson.path("student"), out / f"{lesson.id}.ipynb")


def _no_source_download(app, config):
    """The theme's download button offers the page's source, the solved chapter: switched off (the
    chapter's own "Download the student notebook" button replaces it)."""
    config.html_theme_options = {**(config.html_theme_options or {}), "use_download_button": False,
                                 "repository_url": repository()[0]}   # the one setting, pyproject.toml


def setup(app):
    app.connect("config-inited", _drop_auto_mathjax)
    app.connect("config-inited", _no_source_download)
    app.connect("env-updated", _drop_widget_state)
    app.connect("build-finished", _copy_student_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
