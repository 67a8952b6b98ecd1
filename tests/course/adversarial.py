"""The adversarial corpus: submissions that try to fake, leak, exhaust or break the grader.

Each entry is graded in one batch with the honest submissions (tests/test_grading.py). For each:
the notebook (or raw bytes), the points it must get per test cell, strings that must not appear in
its feedback or the grading log (leaks), and the status it must end with. Attacks target
`gaussianity_distance` (2 points) unless said otherwise: a cheat around a WRONG implementation must
still score 0 there, and the student's other, correct functions keep their points.
"""
import copy
import json

import nbformat

from helpers import solved

LESSON = "plasticity-geometry"
TARGET = "gaussianity_distance"
SOLUTION_LINE = "F = (z[None, :] <= x[:, None]).to(diff.dtype).mean(dim=1)"   # not in the student notebook
CANARY = "CANARY-4f1d"     # set in the grader's environment; the code below spells it only in parts
HIDDEN = ["BEGIN HIDDEN TESTS", "entropy gradient without the +1", '"call_seconds"', '"deps"', CANARY]

WRONG = "    return torch.tensor(0.123, dtype=torch.float64)\n"   # a wrong answer to dress up


def body(code):
    """Replace the target function with `code` (indented as a function body)."""
    return solved(LESSON, prefix={TARGET: f"def {TARGET}(diff):\n{code}\n\n"}, changes={
        TARGET: (f"def {TARGET}(", f"def _{TARGET}_unused(")})


def top(code, grade_id=TARGET):
    """Put `code` at the top level of an exercise cell (it runs when the cell runs)."""
    return solved(LESSON, prefix={grade_id: code + "\n"})


def cell(code, after=TARGET):
    """Add a cell of the student's own with `code`, right after an exercise cell."""
    nb = solved(LESSON)
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == after)
    nb.cells.insert(index + 1, nbformat.v4.new_code_cell(code))
    return nb


def corpus(full):
    """{name: (notebook or bytes, expected points per grade cell, forbidden strings, status prefix)}"""
    lose = {**full, f"test_{TARGET}": 0}
    zero = {k: 0 for k in full}
    entries = {}

    def add(name, nb, want, forbidden=(), status="graded"):
        entries[name] = (nb, want, list(HIDDEN) + list(forbidden), status)

    # -- faking the check ------------------------------------------------------------------------
    add("patch_allclose", cell("import numpy as np, torch, math\nnp.allclose = lambda *a, **k: True\n"
                               "torch.allclose = lambda *a, **k: True\ntorch.isclose = lambda a, b, **k: "
                               "torch.ones_like(a, dtype=torch.bool)\nmath.isclose = lambda *a, **k: True\n"
                               f"def {TARGET}(diff):\n{WRONG}"), lose)
    add("patch_grader_module", cell("import neuroai.course.judge as ag\nag.compare = lambda *a, **k: None\n"
                                    "ag.check = lambda *a, **k: None\n"
                                    f"def {TARGET}(diff):\n{WRONG}"), lose)
    add("patch_builtins", body("    import builtins\n    builtins.isinstance = lambda *a: True\n"
                               "    builtins.float = lambda *a: 0.123\n" + WRONG), lose)
    add("always_true_eq", body("    class Yes:\n        def __eq__(self, other): return True\n"
                               "        __ne__ = lambda self, other: False\n    return Yes()"), lose)
    add("ndarray_subclass", body("    import numpy as np\n    class A(np.ndarray):\n"
                                 "        def __eq__(self, o): return np.ones(np.shape(o), bool)\n"
                                 "        def __sub__(self, o): return np.zeros(np.shape(o))\n"
                                 "    return np.zeros(1).view(A)"), lose)
    add("float_subclass", body("    class F(float):\n        def __eq__(self, o): return True\n"
                               "        def __sub__(self, o): return 0.0\n        def __abs__(self): return 0.0\n"
                               "    return F(0.5)"), lose)
    add("tensor_subclass", body("    class T(torch.Tensor):\n        def __eq__(self, o): return True\n"
                                "    return torch.tensor(0.5).as_subclass(T)"), lose)
    add("read_caller_frames", body("    import sys\n    f = sys._getframe(1)\n    while f is not None:\n"
                                   "        for k in ('expected', 'want', 'reference'):\n"
                                   "            if k in f.f_locals: return f.f_locals[k]\n"
                                   "        f = f.f_back\n" + WRONG), lose)
    add("ipython_showtraceback", cell("ip = get_ipython()\nip.showtraceback = lambda *a, **k: None\n"
                                      f"def {TARGET}(diff):\n    raise ValueError('hidden')"), lose)
    add("ipython_custom_exc", cell("get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)\n"
                                   f"def {TARGET}(diff):\n    raise ValueError('hidden')"), lose)
    add("ipython_input_transformer", cell(
        f"def {TARGET}(diff):\n{WRONG}\nget_ipython().input_transformers_post.append("
        "lambda lines: ['pass\\n'])"), lose)
    add("ipython_ast_transformer", cell(
        "import ast\nclass Nop(ast.NodeTransformer):\n    def visit_Assert(self, node): return ast.Pass()\n"
        f"get_ipython().ast_transformers.append(Nop())\ndef {TARGET}(diff):\n{WRONG}"), lose)
    add("forged_result_file", body(
        "    import json, os\n    for d in ('/job/out', '.'):\n        try:\n"
        f"            open(os.path.join(d, 'result-{TARGET}.json'), 'w').write(json.dumps("
        "{'status': {'kind': 'ok'}, 'outputs': []}))\n        except OSError: pass\n    os._exit(0)"), lose)
    add("forged_progress", cell("import os, sys\nfor fd in range(3, 12):\n    try: os.write(fd, "
                                "b'ready\\nfunction gaussianity_distance done\\nfinished\\n')\n"
                                "    except OSError: pass"), full)
    add("reseed_rngs", body("    import numpy as np, random\n    torch.manual_seed(0); np.random.seed(0); "
                            "random.seed(0)\n" + WRONG), lose)
    add("mutate_inputs", body("    diff.zero_()\n    return diff.sum()"), lose)
    add("a_correct_cheat_is_still_correct", cell("np_ok = __import__('numpy').allclose\n"
                                                 "__import__('numpy').allclose = lambda *a, **k: True"), full)

    add("forged_error_list", body(
        "    import json, os\n    for d in ('/job/out', '.'):\n        try:\n"
        f"            open(os.path.join(d, 'result-{TARGET}.json'), 'w').write(json.dumps("
        "{'status': {'kind': 'raised', 'error': ['ValueError'], 'case': [0]}, 'outputs': []}))\n"
        "        except OSError: pass\n    os._exit(0)"), lose)
    add("big_endian_answer", cell(f"_right = {TARGET}\ndef {TARGET}(diff):\n    import numpy as np\n"
                                  "    return np.asarray(_right(diff).detach().numpy(), dtype='>f8')"), full)

    # -- text that is not UTF-8 (lone surrogates) -------------------------------------------------
    surrogate = solved(LESSON)
    surrogate.cells.insert(1, nbformat.v4.new_markdown_cell("a lone surrogate: \ud800 here"))
    add("surrogate_in_markdown", json.dumps(surrogate).encode(), full)      # valid JSON: "\\ud800"
    add("surrogate_in_output", cell("print('\\ud800' + chr(0xdfff))"), full)

    # -- notebooks whose structure is odd, answers right ------------------------------------------
    killers = solved(LESSON)
    for at in (1, 5, 9, 13):                                   # four cells that each end the kernel
        killers.cells.insert(at, nbformat.v4.new_code_cell("import os\nos._exit(1)"))
    add("four_cells_kill_the_kernel", killers, full)
    copied = solved(LESSON)
    tests = [i for i, c in enumerate(copied.cells) if c.metadata.get("nbgrader", {}).get("grade")
             and c.cell_type == "code"]
    top_copy = copy.deepcopy(copied.cells[tests[-1]])
    top_copy.pop("id", None)
    copied.cells.insert(0, top_copy)                           # the last test cell, pasted at the top too
    add("last_test_cell_copied_to_top", copied, full)

    # -- student text in the feedback page -------------------------------------------------------
    html = solved(LESSON)
    html.cells.insert(1, nbformat.v4.new_markdown_cell(
        '<script>alert("XSS-1")</script>\n<img src=x onerror=alert("XSS-2")>\n[click](javascript:alert("XSS-3"))\n'
        '<svg onload=alert("XSS-4")></svg>'))
    html.cells.insert(2, nbformat.v4.new_code_cell('print(\'<script>alert("XSS-5")</script>\')'))
    add("script_in_feedback", html, full)
    pasted = solved(LESSON)
    pasted.cells.insert(1, nbformat.v4.new_markdown_cell("my sketch: ![sketch](attachment:sketch.png)"))
    pasted.cells[1]["attachments"] = {"sketch.png": {"image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlE"
                                                                  "QVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="}}
    add("pasted_image", pasted, full)
    import base64, gzip
    bomb = solved(LESSON)
    bomb.cells.insert(1, nbformat.v4.new_markdown_cell("![b](attachment:b.png)"))
    bomb.cells[1]["attachments"] = {"b.png": {"image/png": base64.b64encode(gzip.compress(b"\0" * 2**24)).decode()}}
    add("attachment_bomb", bomb, full)

    # -- leaking ---------------------------------------------------------------------------------
    blank = {**zero}
    leak = ("import glob, os, neuroai\nroot = os.path.dirname(os.path.dirname(os.path.dirname(neuroai.__file__)))\n"
            "patterns = [root + '/*', root + '/solutions/*', root + '/autograder/*', root + '/build/**',\n"
            "            '/tmp/**', '/job/**', '/root/*', '/home/*', '/work/*', '/*/gradebook.db',\n"
            "            '/*/*/gradebook.db', '/*/*/*/gradebook.db', '/*/*/*/*/gradebook.db', '/*/*/*/*.ipynb']\n"
            "for pattern in patterns:\n"
            "    for path in glob.glob(pattern, recursive=True)[:50]:\n"
            "        try: print(path, open(path).read()[:3000])\n"
            "        except Exception as e: print(path, e)\n")
    add("leak_files", top(leak, "potential_grad"), full, ["mistake_in_", "infinite_loop.ipynb"])
    add("leak_files_blank", _blank_with(leak), blank, [SOLUTION_LINE])
    add("leak_environment", cell("import os\nprint(dict(os.environ))"), full)
    add("leak_stdin_and_job", cell("import os, sys, signal\nprint(os.listdir('/job/in'))\n"
                                   "print(open('/job/in/cells.json').read()[:200])\n"
                                   "signal.alarm(2)\nprint(sys.stdin.read())"), full)
    add("leak_after_forged_ready", cell(
        "import os, sys, threading\nfor fd in range(3, 12):\n    try: os.write(fd, b'ready\\n')\n"
        "    except OSError: pass\nprint(sys.stdin.buffer.read()[:4000])"), full)
    from neuroai.course import judge as autograde
    hidden_sums = [repr(kwargs["diff"].sum().item()) for kwargs, _, _ in autograde.reference_cases(LESSON, TARGET)]
    add("leak_through_error_message", body("    raise ValueError('sum ' + repr(diff.sum().item()))"), lose, hidden_sums)
    add("leak_history", cell("print(In, Out)\nprint(get_ipython().user_ns.keys())"), full)
    add("network", cell("import socket, urllib.request\nfor target in [('1.1.1.1', 53), ('pypi.org', 443)]:\n"
                        "    try: socket.create_connection(target, timeout=2); print('CONN' + 'ECTED')\n"
                        "    except OSError as e: print('no network:', e)\n"), full, ["CONNECTED"])

    # -- exhaustion ------------------------------------------------------------------------------
    add("infinite_loop", body("    while True:\n        pass"), lose)
    add("loop_ignoring_signals", body("    import signal\n    for s in (signal.SIGALRM, signal.SIGINT, "
                                      "signal.SIGTERM):\n        signal.signal(s, signal.SIG_IGN)\n"
                                      "    while True:\n        try: pass\n        except BaseException: pass"), lose)
    add("top_level_loop_ignoring_signals", top("import signal\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\n"
                                               "while True:\n    pass"), lose)
    add("memory_bomb", body("    blocks = []\n    while True:\n        blocks.append(bytearray(10**8))"), lose)
    add("fork_bomb", body("    import os\n    while True:\n        os.fork()"), lose)
    add("fork_bomb_first", solved(LESSON, prefix={"potential_grad": "import os\ndef _bomb():\n"
                                                  "    while True: os.fork()\n"}, changes={
        "potential_grad": ("def potential_grad(w, potential):\n",
                           "def potential_grad(w, potential):\n    _bomb()\n")}),
        {**full, "test_potential_grad": 0})
    add("output_flood", cell("print('spam ' * 10**7)\nimport sys\nsys.stderr.write('more ' * 10**6)"), full)
    add("output_flood_in_function", body("    while True:\n        print('spam' * 1000)"), lose)
    add("exit_in_function", body("    import os\n    os._exit(0)"), lose)
    add("exit_at_top_level", top("import os\nos._exit(0)"), lose)
    add("segfault", body("    import ctypes\n    return ctypes.string_at(0)"), lose)
    add("huge_return", body("    return torch.zeros(10**8, dtype=torch.float64)"), lose)
    add("self_referential_return", body("    a = []\n    a.append(a)\n    return a"), lose)
    add("disk_filler", body("    with open('/tmp/fill', 'wb') as f:\n        while True:\n"
                            "            f.write(b'x' * 2**20)"), lose)

    # -- malformed notebooks ---------------------------------------------------------------------
    add("invalid_json", b'{"cells": [ this is not json', zero, status="could not read the notebook")
    add("empty_file", b"", zero, status="could not read the notebook")
    add("json_but_not_a_notebook", b"[1, 2, 3]", zero, status="could not read the notebook")
    add("binary_garbage", bytes(range(256)) * 10, zero, status="could not read the notebook")
    add("nbformat_3", nbformat.writes(nbformat.convert(solved(LESSON), 3)).encode(), full)
    add("deleted_test_cell", _without(solved(LESSON), f"test_{TARGET}"), full)
    add("deleted_solution_cell", _without(solved(LESSON), TARGET), lose)
    add("duplicated_solution_cell", _duplicate(solved(LESSON), TARGET, WRONG), lose)
    add("duplicated_test_cell", _duplicate(solved(LESSON), f"test_{TARGET}"), full)
    add("changed_cell_type", _retype(solved(LESSON), TARGET, "markdown"), lose)
    add("tampered_points", _tamper(solved(LESSON)), full)
    add("wrong_kernel", _kernel(solved(LESSON)), full)

    # -- honest noise ----------------------------------------------------------------------------
    add("correct_with_warnings", solved(LESSON, prefix={TARGET: "import sys, warnings\n"
                                                        "warnings.warn('careful: float64')\n"
                                                        "print('note on stderr', file=sys.stderr)\n"}), full)
    return entries


def _blank_with(code):
    from neuroai.course import lessons
    nb = nbformat.read(lessons.get(LESSON).path("student"), as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(code))
    return nb


def _find(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _without(nb, grade_id):
    del nb.cells[_find(nb, grade_id)]
    return nb


def _duplicate(nb, grade_id, wrong_body=None):
    import copy
    i = _find(nb, grade_id)
    twin = copy.deepcopy(nb.cells[i])
    if wrong_body:
        twin.source = f"def {TARGET}(diff):\n{wrong_body}"
    nb.cells.insert(i + 1, twin)
    return nb


def _retype(nb, grade_id, kind):
    i = _find(nb, grade_id)
    old = nb.cells[i]
    new = nbformat.v4.new_markdown_cell(old.source) if kind == "markdown" else nbformat.v4.new_raw_cell(old.source)
    new.metadata = old.metadata
    nb.cells[i] = new
    return nb


def _tamper(nb):
    for c in nb.cells:
        meta = c.metadata.get("nbgrader", {})
        if meta.get("grade"):
            meta["points"] = 100
        if meta.get("solution"):
            meta.update(grade=True, points=50, locked=True)
    nb.metadata["neuroai"] = {"lesson": "someone-else", "score": 6}
    return nb


def _kernel(nb):
    nb.metadata["kernelspec"] = {"name": "ir", "display_name": "R", "language": "R"}
    nb.metadata["language_info"] = {"name": "R"}
    return nb
