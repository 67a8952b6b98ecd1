"""The `neuroai` command.

    neuroai reproduce --list                     the lessons and their claims
    neuroai reproduce ID [--seed N] [--json]     run a lesson's claim check; exit 0 only if it holds
    neuroai reproduce ID --seeds 0-9 --record    run it on many seeds; write the record records/ID.json
    neuroai sync [ID ...] [--check]              write the instructor notebooks' code from the references
    neuroai release [ID ...]                     generate the student notebooks in modules/ (nbgrader)
    neuroai grade DIR [--lesson ID]              autograde a folder of submissions; CSV and feedback
    neuroai bench [ID ...]                       time each lesson's notebook and reproduce command
    neuroai bench --test-cost                    what each lesson cost the last test run
    neuroai grade-one DIR --index I              grade one submission (the job a Kubernetes Job runs)
    neuroai bench --grading [ID]                 plain nbgrader against neuroai grade, same submissions
    neuroai book build                           build the executed book (what `course.py book` runs)
"""
import argparse
import importlib
import sys

# command -> (module of neuroai.course, function): imported only when the command runs
COMMANDS = {"reproduce": ("reproduce", "cmd_reproduce"), "sync": ("sync", "cmd_sync"),
            "release": ("release", "cmd_release"), "grade": ("batch", "cmd_grade"),
            "grade-one": ("batch", "cmd_grade_one"), "bench": ("bench", "cmd_bench"), "book": ("book", "cmd_book")}


class Parser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line (what was wrong and what is accepted), no usage dump."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def whole_number(minimum, what):
    """An argparse type: a whole number >= minimum, else a one-line error that says what is accepted."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ({what})") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{value} is too small: {what}")
        return value
    parse.__name__ = what                                  # argparse names the type in some messages
    return parse


SEED = whole_number(0, "a seed is 0 or more")
POSITIVE = whole_number(1, "1 or more")
INDEX = whole_number(0, "0 or more")


def main(argv=None):
    parser = Parser(prog="neuroai", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    p = sub.add_parser("reproduce", help="run a lesson's claim check")
    p.add_argument("lesson", nargs="?", help="lesson id (see --list)")
    p.add_argument("--list", action="store_true", help="list the lessons and their claims")
    p.add_argument("--seed", type=SEED, default=0)
    p.add_argument("--seeds", default=None, help="with --record: several seeds, e.g. 0-9 or 0,3,5-7")
    p.add_argument("--record", action="store_true",
                   help="write records/ID.json: per-seed measurements, verdicts, pooled statistic, commit, CPU")
    p.add_argument("--device", default=None, help="cpu (default), cuda, auto; or set NEUROAI_DEVICE")
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--out", default=None, help="where to save the figure and JSON (default build/reproduce)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("sync", help="write the instructor notebooks' code cells from the reference files")
    p.add_argument("lessons", nargs="*", help="lesson ids (default: all)")
    p.add_argument("--check", action="store_true",
                   help="do not write; exit 1 if an instructor notebook differs from its reference")

    p = sub.add_parser("release", help="generate the student notebooks with nbgrader")
    p.add_argument("lessons", nargs="*", help="lesson ids (default: all)")
    p.add_argument("--check", action="store_true",
                   help="do not write; exit 1 if a committed student notebook is stale")

    p = sub.add_parser("grade", help="autograde a folder of submissions")
    p.add_argument("submissions", help="folder: one notebook per student (STUDENT.ipynb or STUDENT/ID.ipynb)")
    p.add_argument("--lesson", default=None, help="lesson id (default: from the notebooks' names)")
    p.add_argument("--out", default=None, help="output folder (default: SUBMISSIONS-graded)")
    p.add_argument("--timeout", type=POSITIVE, default=60, help="seconds per notebook cell")
    p.add_argument("--jobs", type=POSITIVE, default=None, help="parallel sandboxes (default: one per core)")
    p.add_argument("--no-progress", action="store_true")

    p = sub.add_parser("grade-one", help="grade one submission and store its grade (the per-submission job)")
    p.add_argument("submissions", help="the submissions folder, as for `grade`")
    p.add_argument("--index", type=INDEX, required=True, help="which submission (0-based, in `grade`'s order)")
    p.add_argument("--lesson", default=None)
    p.add_argument("--out", default=None, help="output folder shared with `grade` (its store/ holds the grade)")
    p.add_argument("--timeout", type=POSITIVE, default=60, help="seconds per notebook cell")

    p = sub.add_parser("bench", help="time each lesson's solution notebook and reproduce command")
    p.add_argument("lessons", nargs="*", help="lesson ids (default: all)")
    p.add_argument("--out", default=None, help="where to write the table (default build/bench)")
    p.add_argument("--grading", action="store_true",
                   help="instead: grade the same honest submissions with plain nbgrader and with neuroai grade")
    p.add_argument("--submissions", type=POSITIVE, default=40, help="with --grading: how many (default 40)")
    p.add_argument("--jobs", type=POSITIVE, default=None, help="with --grading: parallel sandboxes")
    p.add_argument("--test-cost", action="store_true",
                   help="instead: the seconds each lesson cost the last test run (build/test-times)")
    p.add_argument("--test-cost-dir", default=None, help=argparse.SUPPRESS)

    p = sub.add_parser("book", help="build the book")
    p.add_argument("action", choices=["build", "pages"],
                   help="build: generate pages and run Jupyter Book; pages: only generate the pages")
    p.add_argument("--seeds", type=POSITIVE, default=1, help="reproduce seeds per lesson for the table")
    p.add_argument("--verbose", action="store_true", help="show Jupyter Book's whole output (else build/book.log)")
    p.add_argument("--fresh", action="store_true",
                   help="rerun every claim check and execute every chapter, even where results saved "
                        "from the same code exist")

    args = parser.parse_args(argv)
    try:
        module, function = COMMANDS[args.command]
        return getattr(importlib.import_module(f"neuroai.course.{module}"), function)(args)
    except (KeyError, OSError, ValueError) as err:
        print(f"neuroai {args.command}: error: {err.args[0] if err.args else err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
