# nbgrader configuration used by `neuroai release` and `neuroai grade`, which copy it into the
# temporary nbgrader course folder they work in. Instructors running nbgrader by hand can use it too.
c = get_config()  # noqa: F821 (provided by nbgrader)

# What a student sees in place of a solution.
c.ClearSolutions.code_stub = {
    "python": '# YOUR CODE HERE\nraise NotImplementedError("Exercise: write this function")'
}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: one kernel per submission; a cell that runs longer than this is interrupted and the rest
# of the notebook still runs (its part scores 0). `neuroai grade --timeout` overrides it.
c.Execute.timeout = 60
c.Execute.interrupt_on_timeout = True

# Feedback never shows hidden tests: their code is removed and their errors are cut to one line.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "neuroai.course.release.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
