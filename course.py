#!/usr/bin/env python3
"""The course's two commands. They need Python 3.10+ with pip (and npm, once, for MathJax):

    python3 course.py book    # set up, build the executed book, serve it on http://127.0.0.1:8000
    python3 course.py test    # set up, run the whole test suite (what CI runs), on both cores
    python3 course.py test --slow   # ... and the slow tier: the benchmarks
    python3 course.py lab     # set up, open the student notebooks (modules/) in JupyterLab

Set-up is the same for both and is reused when nothing changed: a virtual environment in .venv with
the pinned packages of requirements.txt and this repository's `neuroai` package; MathJax from npm
(package.json) so the book renders math offline; for the tests, Debian's Chromium to look at the
built book (installed with apt-get when running as root and it is missing).
"""
import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / ("python.exe" if os.name == "nt" else "python")


def say(msg):
    print(f"[course] {msg}", flush=True)


def run(cmd, **kw):
    say("$ " + " ".join(str(c) for c in cmd))
    subprocess.run([str(c) for c in cmd], check=True, **kw)


def fingerprint(*files):
    h = hashlib.sha256()
    for f in files:
        h.update((ROOT / f).read_bytes())
    return h.hexdigest()


def ensure_python_env():
    """Create or reuse .venv; (re)install the pinned packages when requirements or pyproject change."""
    stamp = VENV / ".course-installed"
    want = fingerprint("requirements.txt", "pyproject.toml")
    if stamp.exists() and stamp.read_text() == want and PY.exists():
        say(f"reusing {VENV.name}/ (pinned packages up to date)")
        return
    if not PY.exists():
        say(f"creating the virtual environment {VENV.name}/")
        venv.EnvBuilder(with_pip=True).create(VENV)
    run([PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", ROOT / "requirements.txt"])
    run([PY, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--no-deps",
         "--no-build-isolation", "-e", ROOT])
    stamp.write_text(want)


def ensure_mathjax():
    """MathJax from npm (pinned in package.json), copied where the book's Sphinx build serves it."""
    src = ROOT / "node_modules" / "mathjax" / "es5"
    if not src.exists():
        npm = shutil.which("npm")
        if npm is None:
            sys.exit("[course] npm is needed once to install MathJax for the offline book "
                     "(Node.js from your package manager, or `conda install nodejs`).")
        run([npm, "install", "--no-audit", "--no-fund", "--ignore-scripts"], cwd=ROOT)
    dst = ROOT / "book" / "_static" / "mathjax"
    if not (dst / "tex-svg.js").exists():
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copy(src / "tex-svg.js", dst / "tex-svg.js")


def ensure_chromium():
    """The book test looks at the built page in headless Chromium (Debian's package)."""
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if os.name == "posix" and os.geteuid() == 0 and shutil.which("apt-get"):
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        run(["apt-get", "update", "-qq"], env=env)
        run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "chromium"], env=env)
    else:
        say("Chromium not found: the browser check of the book will be skipped "
            "(install Debian's `chromium` to run it)")


def venv_env():
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["VIRTUAL_ENV"] = str(VENV)
    env.setdefault("PYTHONHASHSEED", "0")
    return env


def cmd_book(args):
    ensure_python_env()
    ensure_mathjax()
    neuroai = BIN / "neuroai"
    run([neuroai, "book", "build"], env=venv_env(), cwd=ROOT)
    index = ROOT / "book" / "_build" / "html" / "index.html"
    say(f"the book is built: open {index}")
    if not args.no_serve:
        say(f"serving it at http://127.0.0.1:{args.port}/  (Ctrl-C to stop)")
        try:
            subprocess.run([PY, "-m", "http.server", str(args.port), "--bind", "127.0.0.1",
                            "--directory", index.parent], check=False)
        except KeyboardInterrupt:
            pass


def cmd_test(args):
    """Stage 1: everything but the book's browser tests, on both cores (pytest-xdist; conftest.py keeps
    each notebook's cells and each grading batch on one worker). Stage 2: the book, built from what
    stage 1 executed and measured, in headless Chromium. Then the seconds each lesson cost."""
    ensure_python_env()
    ensure_mathjax()
    ensure_chromium()
    env = venv_env()
    times = ROOT / "build" / "test-times"
    shutil.rmtree(times, ignore_errors=True)
    workers = str(max(1, min(os.cpu_count() or 1, 2 if args.jobs is None else args.jobs)))
    extra = [*args.pytest_args, *(["--slow"] if args.slow else [])]
    stages = [("tests", ["-n", workers, "-m", "not book"] if workers != "1" else ["-m", "not book"]),
              ("book", ["-m", "book"])]
    codes = []
    for stage, opts in stages:
        cmd = [PY, "-m", "pytest", *opts, *extra]
        say(f"stage {len(codes) + 1} of {len(stages)} ({stage}): $ " + " ".join(str(c) for c in cmd))
        codes.append(subprocess.run([str(c) for c in cmd], env=dict(env, NEUROAI_TEST_STAGE=stage),
                                    cwd=ROOT).returncode)
    subprocess.run([str(BIN / "neuroai"), "bench", "--test-cost"], env=env, cwd=ROOT)
    # pytest exits 5 when a stage selected no test (say `-k grading` leaves the book stage empty)
    ran = [code for code in codes if code != 5]
    sys.exit(0 if ran and all(code == 0 for code in ran) else (max(ran) if ran else 5))


def cmd_lab(args):
    """JupyterLab on the student notebooks (modules/), in the course's environment."""
    ensure_python_env()
    where = ROOT / "modules"
    say(f"JupyterLab on {where.relative_to(ROOT)}/ (the student notebooks); Ctrl-C to stop")
    cmd = [PY, "-m", "jupyter", "lab", f"--notebook-dir={where}", f"--port={args.port}", "--ServerApp.ip=127.0.0.1"]
    if args.no_browser:
        cmd.append("--no-browser")
    try:
        subprocess.run([str(c) for c in cmd], env=venv_env(), cwd=where, check=False)
    except KeyboardInterrupt:
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    book = sub.add_parser("book", help="set up, build the executed book and serve it")
    book.add_argument("--no-serve", action="store_true", help="build only; print where to open it")
    book.add_argument("--port", type=int, default=8000)
    test = sub.add_parser("test", help="set up and run the whole test suite")
    test.add_argument("--slow", action="store_true", help="also run the slow tier (the benchmarks)")
    test.add_argument("--jobs", type=int, default=None, help="pytest workers (default: 2, or 1 on one core)")
    test.epilog = "Any other arguments are passed on to pytest, e.g. `python3 course.py test -x -k grading`."
    lab = sub.add_parser("lab", help="set up and open the student notebooks in JupyterLab")
    lab.add_argument("--port", type=int, default=8888)
    lab.add_argument("--no-browser", action="store_true", help="only print the address to open")
    sub.add_parser("setup", help="only create or update the environment")
    args, rest = parser.parse_known_args()
    args.pytest_args = rest
    if rest and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command == "book":
        cmd_book(args)
    elif args.command == "test":
        cmd_test(args)
    elif args.command == "lab":
        cmd_lab(args)
    else:
        ensure_python_env()
        ensure_mathjax()


if __name__ == "__main__":
    main()
