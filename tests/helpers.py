"""Shared by the tests: student notebooks filled in as a student would."""
from neuroai.grading import solved_notebook as solved  # noqa: F401
