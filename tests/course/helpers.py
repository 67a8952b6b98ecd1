"""Shared by the tests: student notebooks filled in as a student would."""
from neuroai.course.release import solved_notebook as solved  # noqa: F401
