"""Checks that say what came: a failed `assert` in a notebook cell shows the values it compared.

The notebooks' visible checks are plain `assert` statements. Plain Python reports a failed one as a
bare `AssertionError` (or only its message). `show_values_in_asserts()` asks IPython to pass every
cell through pytest's assertion rewriting, so that a failure reads like a pytest failure:

    AssertionError: 3-norm
    assert False
     +  where False = allclose(tensor([-4.0, -0.5, 0.5, 4.0]), tensor([-4.0, -0.25, 0.25, 4.0]))

what the student's function returned, beside what was expected. `neuroai.configure()` calls it when it
runs inside IPython; outside IPython, or without pytest, it does nothing.
"""


import os
import re

_MODULE_ATTRIBUTE = re.compile(r"= <module '[^']*'( from '[^']*')?>\.\w+\s*$")   # "where f = <module torch>.f"
_CALLABLE = re.compile(r"<(?:built-in method|built-in function|function|bound method) ([\w.]+)[^>]*>")


def _format_explanation(explanation):
    """pytest's explanation, without the lines that only say where a function came from
    ("where allclose = <module 'torch' ...>.allclose") and with functions shown by name."""
    import _pytest.assertion.rewrite as pytest_rewrite
    text = pytest_rewrite._format_explanation(explanation)
    lines = [line for line in text.split("\n") if not _MODULE_ATTRIBUTE.search(line)]
    return _CALLABLE.sub(r"\1", "\n".join(lines))


def __getattr__(name):
    """The rest of the helpers that rewritten asserts call come from pytest unchanged."""
    import _pytest.assertion.rewrite as pytest_rewrite
    return getattr(pytest_rewrite, name)


class _RewriteAsserts:
    """An IPython AST transformer: pytest's rewriting of the assert statements of one cell."""

    def visit(self, node):
        import ast

        from _pytest.assertion.rewrite import rewrite_asserts
        rewrite_asserts(node, b"", None, None)
        for child in ast.walk(node):
            if isinstance(child, ast.Import):                # its helpers, with a shorter explanation
                for alias in child.names:
                    if alias.name == "_pytest.assertion.rewrite":
                        alias.name = "neuroai.checks"
        for child in ast.walk(node):          # pytest's added imports end before they start when a cell
            if getattr(child, "lineno", None) is not None:   # opens with a comment: Python refuses that
                if child.end_lineno is None or child.end_lineno < child.lineno:
                    child.end_lineno, child.end_col_offset = child.lineno, child.col_offset
                elif child.end_lineno == child.lineno and (child.end_col_offset or 0) < child.col_offset:
                    child.end_col_offset = child.col_offset
        return node


def show_values_in_asserts(shell=None):
    """Make failed asserts in this IPython session show their values. Returns True if it is on."""
    if os.environ.get("NEUROAI_ASSERT_VALUES", "1") == "0":
        return False
    try:
        import _pytest.assertion.rewrite  # noqa: F401
        from IPython import get_ipython
    except ImportError:
        return False
    shell = shell or get_ipython()
    if shell is None:
        return False
    if not any(isinstance(t, _RewriteAsserts) for t in shell.ast_transformers):
        shell.ast_transformers.append(_RewriteAsserts())
    return True
