"""`neuroai sync ID`: the instructor notebook's code is written from the reference, never pasted.

A lesson's model lives once, in solutions/ID.py. Every top-level function, class and UPPERCASE
constant that the instructor notebook (solutions/ID.ipynb) defines is rewritten from the reference's
text; in an exercise (an nbgrader solution cell) the function's signature and docstring stay above
`### BEGIN SOLUTION` and its body goes between the markers. Cells that are the notebook's own (set-up,
plots, prose) are left alone. `neuroai sync --check` writes nothing and exits 1 where a notebook
differs from what sync would write; the test suite runs the same check (tests/course/test_notebooks.py).
"""
import ast
import re
import sys

import nbformat

from neuroai.course import lessons

MARKERS = ("### BEGIN SOLUTION", "### END SOLUTION")


def _python(source):
    """IPython source -> Python with the same lines (`%pip ...` becomes a call), for parsing only."""
    from IPython.core.inputtransformer2 import TransformerManager
    python = TransformerManager().transform_cell(source)
    return python if len(python.splitlines()) == len(source.splitlines()) else None


def definitions(source):
    """{name: (first line, last line, node)} of the top-level functions, classes and UPPERCASE constants
    of Python source (0-based, inclusive; decorators included)."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            name = node.name
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if len(targets) != 1 or not isinstance(targets[0], ast.Name) or not targets[0].id.isupper():
                continue
            name = targets[0].id
        else:
            continue
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        found[name] = (start, node.end_lineno - 1, node)
    return found


def definition_texts(source):
    """{name: source text} of the top-level definitions (solution markers dropped): what the drift test
    compares between the notebook and the reference."""
    lines = source.splitlines()
    return {name: "\n".join(line for line in lines[a:b + 1] if line.strip() not in MARKERS)
            for name, (a, b, _node) in definitions(source).items()}


def notebook_definitions(nb):
    found = {}
    for cell in nb.cells:
        if cell.cell_type == "code":
            python = _python(cell.source)
            found.update(definition_texts(python if python is not None else cell.source))
    return found


def exercise_text(text):
    """A reference function as an exercise: signature and docstring, then the body between markers."""
    node = ast.parse(text).body[0]
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise ValueError("an exercise (nbgrader solution cell) must define a function")
    first = node.body[0]
    has_doc = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) and isinstance(first.value.value, str)
    if has_doc and len(node.body) == 1:
        raise ValueError(f"{node.name} has only a docstring: nothing to put between the solution markers")
    body = node.body[1] if has_doc else node.body[0]
    lines = text.splitlines()                        # the text starts at the definition's first line
    start = min([node.lineno] + [d.lineno for d in node.decorator_list]) - 1
    if has_doc:
        split = first.end_lineno - start             # the line after the docstring
    else:
        split = body.lineno - 1 - start
        while split > node.lineno - start and lines[split - 1].strip().startswith("#"):
            split -= 1                               # comments above the body belong to it
    indent = " " * body.col_offset
    return "\n".join(lines[:split] + [indent + MARKERS[0]] + lines[split:] + [indent + MARKERS[1]])


def synced_cell(source, reference, solution=False):
    """The cell's source with every definition the reference also has rewritten from the reference.
    Returns (new source, names rewritten, names the reference lacks)."""
    python = _python(source)
    if python is None:
        return source, [], []
    try:
        found = definitions(python)
    except SyntaxError:
        return source, [], []
    lines = source.splitlines()
    rewritten, unknown = [], []
    for name, (a, b, _node) in sorted(found.items(), key=lambda item: -item[1][0]):   # bottom up
        if name not in reference:
            unknown.append(name)
            continue
        text = reference[name]
        while b + 1 < len(lines) and lines[b + 1].strip() == MARKERS[1]:
            b += 1                                   # the closing marker is a comment after the last statement
        if solution and isinstance(_node, (ast.FunctionDef, ast.AsyncFunctionDef)) and \
                any(line.strip() in MARKERS for line in lines[a:b + 1]):
            text = exercise_text(text)
        lines[a:b + 1] = text.splitlines()
        rewritten.append(name)
    new = "\n".join(lines) + ("\n" if source.endswith("\n") else "")
    return new, rewritten, unknown


def reference_texts(lesson_id):
    text = lessons.get(lesson_id).path("reference").read_text()
    lines = text.splitlines()
    return {name: "\n".join(lines[a:b + 1]) for name, (a, b, _node) in definitions(text).items()}


INSTALL = re.compile(r'(%pip install -q "neuroai @ git\+)([^"]*)(")')


def install_line(source):
    """The set-up cell's install line (for Colab) points at where the course is published: the one
    setting [project.urls] Repository in pyproject.toml (also the book's links and launch buttons)."""
    from neuroai.course.book import repository
    url, _slug = repository()
    return INSTALL.sub(lambda m: m.group(1) + url + m.group(3), source)


def synced_notebook(lesson_id):
    """(the instructor notebook as sync writes it, {cell index: names rewritten}, names the reference lacks)."""
    lesson = lessons.get(lesson_id)
    nb = nbformat.read(lesson.path("source"), as_version=4)
    reference = reference_texts(lesson_id)
    changed, unknown = {}, []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        solution = bool(cell.metadata.get("nbgrader", {}).get("solution"))
        new, names, missing = synced_cell(cell.source, reference, solution)
        installed = install_line(new)
        if installed != new:
            new, names = installed, [*names, "the install line"]
        unknown += missing
        if new != cell.source:
            cell.source = new
            changed[index] = names
    return nb, changed, unknown


def cmd_sync(args):
    ids = args.lessons or list(lessons.LESSONS)
    stale, status = [], 0
    for lesson_id in ids:
        lesson = lessons.get(lesson_id)
        nb, changed, unknown = synced_notebook(lesson_id)
        where = lesson.path("source").relative_to(lessons.course_root())
        if unknown:
            print(f"{where}: defines {', '.join(sorted(set(unknown)))}, which solutions/{lesson_id}.py does not: "
                  "move it to the reference (one source) or rename it", file=sys.stderr)
            status = 1
        if not changed:
            continue
        if args.check:
            stale.append(f"{where}: cells {', '.join(map(str, changed))} differ from solutions/{lesson_id}.py")
            continue
        nbformat.write(nb, lesson.path("source"))
        names = sorted({n for names in changed.values() for n in names})
        print(f"synced {where} from solutions/{lesson_id}.py: {', '.join(names)}")
    if stale:
        print("instructor notebooks out of step with their references (run `neuroai sync`, then "
              "`neuroai release`):\n  " + "\n  ".join(stale), file=sys.stderr)
        status = 1
    return status
