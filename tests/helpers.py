"""Shared by the tests: student notebooks filled in as a student would."""
import nbformat

from neuroai import lessons


def solved(lesson_id, changes=None, prefix=None):
    """The student notebook with every exercise filled in with the instructor's solution, then
    `changes` applied ({grade_id: (old, new)} replaces text in that exercise) and `prefix` added
    ({grade_id: code} puts code before that exercise's function)."""
    lesson = lessons.get(lesson_id)
    source = nbformat.read(lesson.path("source"), as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source.cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    nb = nbformat.read(lesson.path("student"), as_version=4)
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = solutions[grade_id]
            if grade_id in (changes or {}):
                old, new = changes[grade_id]
                assert old in cell.source, f"{old!r} is not in {grade_id}"
                cell.source = cell.source.replace(old, new, 1)
            cell.source = (prefix or {}).get(grade_id, "") + cell.source
    return nb
