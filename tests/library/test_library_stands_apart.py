"""The student's library (`neuroai`, everything outside `neuroai.course`) stands apart from the course
machinery: no science module and no reference implementation imports the grader, the book, the CLI
or the tools they run on, so a student's `import neuroai` brings in nothing of them."""
import ast
import subprocess
import sys
from pathlib import Path

import neuroai

PACKAGE = Path(neuroai.__file__).resolve().parent
ROOT = Path(__file__).resolve().parents[2]
COURSE_TOOLS = ("neuroai.course", "nbgrader", "nbformat", "nbclient", "nbval", "pytest", "jupyter_book", "sphinx")


def library_modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "course" not in p.relative_to(PACKAGE).parts)


def course_imports(source):
    """The imports of a module's source (at any depth: inside functions too) that reach the course
    machinery or its tools."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [n for n in names if any(n == tool or n.startswith(tool + ".") for tool in COURSE_TOOLS)]
    return found


def test_the_check_can_fail():
    assert course_imports("from neuroai.course import lessons") == ["neuroai.course", "neuroai.course.lessons"]
    assert course_imports("def f():\n    from neuroai import course\n") == ["neuroai.course"]
    assert course_imports("import nbformat\nfrom neuroai import ops") == ["nbformat"]
    assert course_imports("from neuroai import ops, neural\nimport torch") == []


def test_library_modules_do_not_import_the_course_machinery():
    modules = library_modules()
    assert {"device.py", "data.py", "neural.py", "ops.py"} <= {p.name for p in modules}
    bad = {p.relative_to(PACKAGE).as_posix(): course_imports(p.read_text()) for p in modules}
    assert not {k: v for k, v in bad.items() if v}


def test_reference_implementations_use_only_the_library():
    references = sorted((ROOT / "solutions").glob("*.py"))
    assert references
    bad = {p.name: course_imports(p.read_text()) for p in references}
    assert not {k: v for k, v in bad.items() if v}


def test_importing_the_library_loads_no_course_module():
    names = ", ".join(sorted({p.stem for p in library_modules()} - {"__init__", "__main__"}))
    code = (f"import sys; from neuroai import {names}; "
            "print(sorted(m for m in sys.modules if m.startswith(('neuroai.course', 'nbgrader', 'nbformat'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "[]"
