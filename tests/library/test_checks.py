"""A failed visible check says what came and what was expected (neuroai.checks)."""
import pytest

IPython = pytest.importorskip("IPython")


@pytest.fixture
def shell():
    from IPython.core.interactiveshell import InteractiveShell
    sh = InteractiveShell.instance()
    yield sh
    sh.ast_transformers[:] = [t for t in sh.ast_transformers if type(t).__name__ != "_RewriteAsserts"]


def _error(shell, code):
    result = shell.run_cell(code, silent=True)
    return result.error_in_exec


def test_a_failed_assert_shows_both_values(shell):
    from neuroai.checks import show_values_in_asserts
    code = "import torch\ngot = torch.tensor([1.0, 2.0]) * 2\nassert torch.allclose(got, torch.tensor([2.0, 5.0])), 'doubling'"
    bare = _error(shell, code)
    assert str(bare) == "doubling"                           # the control: plain Python says only this
    assert show_values_in_asserts(shell)
    show_values_in_asserts(shell)                            # idempotent
    assert sum(type(t).__name__ == "_RewriteAsserts" for t in shell.ast_transformers) == 1
    err = _error(shell, code)
    assert isinstance(err, AssertionError)
    assert "doubling" in str(err) and "tensor([2., 4.])" in str(err) and "tensor([2., 5.])" in str(err)
    assert "<module" not in str(err) and "allclose(tensor" in str(err)          # no noise: the call, its values
    err = _error(shell, "x = 3\nassert x == 4")
    assert "assert 3 == 4" in str(err)


def test_passing_cells_and_functions_are_unchanged(shell):
    from neuroai.checks import show_values_in_asserts
    show_values_in_asserts(shell)
    assert _error(shell, "def f(a):\n    assert a > 0\n    return 2 * a\ny = f(2)") is None
    assert shell.user_ns["y"] == 4


def test_outside_ipython_it_does_nothing():
    from neuroai.checks import show_values_in_asserts
    assert show_values_in_asserts() in (False, True)         # True only if a shell happens to exist


def test_a_cell_that_opens_with_a_comment_still_runs(shell):
    """pytest's added imports once got line numbers Python refuses (a cell opening with a comment)."""
    from neuroai.checks import show_values_in_asserts
    show_values_in_asserts(shell)
    err = _error(shell, "# visible checks\nimport math\nassert math.isclose(math.pi, 3.0), 'pi'\n")
    assert isinstance(err, AssertionError) and "pi" in str(err) and "3.14159" in str(err)
