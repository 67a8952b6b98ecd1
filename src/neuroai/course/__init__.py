"""neuroai.course: the course's own machinery, for instructors, maintainers and CI, apart from the
student's library (`neuroai`), which never imports it.

    lessons          the lesson registry: ids, modules, budgets, known failures, where files live
    reproduce        `neuroai reproduce`: a lesson's claim check, as a reader runs it
    sync             `neuroai sync`: the instructor notebook's code written from the reference
    release          `neuroai release`: the student notebook, made by nbgrader
    judge            the hidden tests' entry point (check) and the verdict on sandboxed results
    protocol         the grader's side of the sandbox: one submission in, scores out
    batch            `neuroai grade`: a folder of submissions, stored, with gradebook and feedback
    sandbox, worker  the Linux sandbox, and the untrusted worker that runs inside it
    wire             plain data across the sandbox's boundary
    bench            `neuroai bench`: seconds and memory per lesson, and what each cost the tests
    book, reproducibility   the Jupyter Book and its reproducibility page
    cli              the `neuroai` command
"""
