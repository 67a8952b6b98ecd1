"""Run untrusted code (a student's notebook) in a Linux sandbox built from what the kernel gives.

No Docker. One sandbox is one `unshare` call:

- namespaces: a new network namespace (no interfaces but a downed loopback: no network at all), a
  new mount namespace, a new IPC namespace (System V shared memory, semaphores and message queues of
  its own, gone with it: no sandbox reads another's, none stays on the host) and a new PID namespace (the sandbox sees only its own processes; when its
  first process dies, the kernel kills every process left in it, so nothing outlives a grading run);
- a new root: a size-limited tmpfs into which only what Python needs is bind-mounted read-only (/usr,
  /etc, the Python installation, the course's virtual environment and the `neuroai` package source)
  plus the job's input folder (read-only) and a writable /job/out and /tmp on the same tmpfs. The old
  root is unmounted after `pivot_root`, so solutions/, the instructor notebooks, the gradebook, other
  students' files and the user's home are not hidden but absent;
- an unprivileged user: as root, the student's code runs as a uid of its own (above 1,000,000, one
  per sandbox running at once, no home, no groups); without root, in a user namespace as the
  caller's own uid. Either way with every capability dropped and no_new_privs set, so it cannot
  remount, unmount or escalate;
- limits: wall time (`timeout -s KILL` inside, and a kill of the whole process group outside), CPU
  seconds, address space, processes, open files, file size, no core dumps (`prlimit`), disk (the
  tmpfs size and inode count); what it prints is read through a size cap.

Results come back as one tar stream of named files in /job/out, written by the sandbox's own
first process (root in the namespace, not the student). Progress lines come through an extra pipe.
Both are untrusted: the grader reads them as data and checks everything.

If neither root nor unprivileged user namespaces are available, `check()` raises
`SandboxUnavailable` and grading stops: the grader refuses to grade rather than grade insecurely.
"""
import io
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path


UID_BASE = 1_000_000          # far above the uids of real users


class SandboxUnavailable(RuntimeError):
    """This machine cannot build the sandbox; grading refuses to run student code unsandboxed."""


@dataclass
class Limits:
    wall_seconds: float = 300         # the whole sandbox run
    cpu_seconds: int = 300
    memory_bytes: int = 4 * 2**30     # address space of each process (torch reserves a lot of it)
    processes: int = 64               # per sandbox uid (as root each worker slot has its own uid)
    open_files: int = 256
    file_bytes: int = 64 * 2**20
    disk_bytes: int = 128 * 2**20     # the tmpfs holding /tmp and /job/out
    output_bytes: int = 96 * 2**20    # the tar stream read back
    progress_bytes: int = 8 * 2**20   # progress lines (the notebook's printed output travels there)


@dataclass
class Outcome:
    files: dict = field(default_factory=dict)     # name -> bytes, from /job/out
    progress: list = field(default_factory=list)  # lines the worker reported while it ran
    returncode: int = 0
    killed: str = ""                              # why the grader killed it ("" when it ended itself)
    seconds: float = 0.0


SETUP = r'''
set -eu
R="$1"; JOB="$2"; U="$3"; WALL="$4"; shift 4
mount --make-rprivate /
mount -t tmpfs -o "size=$DISK,nr_inodes=8192,mode=755" neuroai-sandbox "$R"
cd "$R"
mkdir -p usr etc dev proc tmp job/in job/out .old
ln -s usr/bin bin; ln -s usr/lib lib; ln -s usr/lib64 lib64; ln -s usr/sbin sbin
for d in $RO_DIRS; do
  mkdir -p ".$d"; mount --rbind "$d" ".$d"; mount -o remount,bind,ro ".$d" 2>/dev/null || true
done
mount --bind "$JOB" job/in; mount -o remount,bind,ro job/in 2>/dev/null || true
for f in null zero urandom random; do touch "dev/$f"; mount --bind "/dev/$f" "dev/$f"; done
mount -t proc -o nosuid,nodev,noexec proc proc
chmod 1777 tmp
[ "$U" = "-" ] || chown "$U:$U" job/out
pivot_root . .old
umount -l /.old; rmdir /.old
cd /job/out
if [ "$U" = "-" ]; then DROP="--securebits=+noroot,+noroot_locked,+no_setuid_fixup,+no_setuid_fixup_locked"
else DROP="--reuid=$U --regid=$U --clear-groups"; fi
status=0
timeout -s KILL "$WALL" prlimit --cpu="$CPU" --as="$MEM" --nproc="$NPROC" --nofile="$NOFILE" \
  --fsize="$FSIZE" --core=0 -- setpriv $DROP --no-new-privs --bounding-set=-all --inh-caps=-all -- \
  env -i PATH=/usr/bin:/bin HOME=/tmp TMPDIR=/tmp MPLBACKEND=Agg MPLCONFIGDIR=/tmp OMP_NUM_THREADS=1 \
  MKL_NUM_THREADS=1 PYTHONDONTWRITEBYTECODE=1 PYTHONHASHSEED=0 "$@" \
  >/job/out/stdout.txt 2>/job/out/stderr.txt || status=$?
echo "$status" > /job/out/exit-status.txt 2>/dev/null || true
cd /job/out && tar -cf - --no-recursion -- * 2>/dev/null || true
'''

_probe = {}


def _ro_dirs():
    """Host folders the sandbox needs, read-only: system libraries, Python, the venv, `neuroai`."""
    import neuroai
    dirs = {"/usr", "/etc", os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix),
            str(Path(neuroai.__file__).resolve().parents[1])}
    for d in list(dirs):
        if " " in d:
            raise SandboxUnavailable(f"the sandbox cannot bind a path with spaces: {d}")
    return sorted(d for d in dirs if os.path.isdir(d))


def mode():
    """'root' or 'userns'; raises SandboxUnavailable (with the reason) when neither works."""
    if "mode" in _probe:
        if isinstance(_probe["mode"], Exception):
            raise _probe["mode"]
        return _probe["mode"]
    missing = [tool for tool in ("unshare", "setpriv", "prlimit", "pivot_root", "mount", "timeout", "tar")
               if shutil.which(tool) is None]
    if missing or not sys.platform.startswith("linux"):
        _probe["mode"] = SandboxUnavailable(
            "the grading sandbox needs Linux with util-linux and coreutils; missing: "
            + (", ".join(missing) or sys.platform) + ". Grade on a Linux machine or with the Kubernetes "
            "job (autograder/k8s/). Refusing to run student code without a sandbox.")
        raise _probe["mode"]
    tries = [("root", [])] if os.geteuid() == 0 else []
    tries.append(("userns", ["--user", "--map-root-user"]))
    errors = []
    for name, extra in tries:
        done = subprocess.run(["unshare", *extra, "--net", "--mount", "--pid", "--ipc", "--fork", "--kill-child", "--",
                               "sh", "-c", "mount -t tmpfs none /tmp && mount -t proc proc /proc"],
                              capture_output=True, text=True, timeout=30)
        if done.returncode == 0:
            _probe["mode"] = name
            return name
        errors.append(f"{name}: {done.stderr.strip()[:200]}")
    _probe["mode"] = SandboxUnavailable(
        "cannot create Linux namespaces for the grading sandbox (" + "; ".join(errors) + "). Run as "
        "root, or enable unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1 / "
        "user.max_user_namespaces > 0). Refusing to run student code without a sandbox.")
    raise _probe["mode"]


def run(job_dir, argv, limits=None, slot=0, on_progress=None, secret=b"", send_on="ready"):
    """Run `argv` (a command inside the sandbox, e.g. the venv's python) with `job_dir` mounted
    read-only at /job/in. `secret` is written to its stdin only once it reports the progress line
    `send_on` (so code it ran before cannot have read it). `on_progress(line, seconds)` sees each
    progress line (and None every half second) and may return a reason to kill the sandbox.
    Returns an Outcome with the files it left in /job/out."""
    limits = limits or Limits()
    how = mode()
    # As root: a uid of its own for each sandbox running at once (its process limit is per uid), unique
    # also across grader processes on the same machine (their pids differ).
    user = str(UID_BASE + (os.getpid() % 100_000) * 64 + slot % 64) if how == "root" else "-"
    extra = [] if how == "root" else ["--user", "--map-root-user"]
    root = tempfile.mkdtemp(prefix="neuroai-sandbox-")
    env = dict(os.environ, DISK=str(limits.disk_bytes), CPU=str(int(limits.cpu_seconds)),
               MEM=str(limits.memory_bytes), NPROC=str(limits.processes), NOFILE=str(limits.open_files),
               FSIZE=str(limits.file_bytes), RO_DIRS=" ".join(_ro_dirs()))
    progress_r, progress_w = os.pipe()
    start = time.perf_counter()
    cmd = ["unshare", *extra, "--net", "--mount", "--pid", "--ipc", "--fork", "--kill-child", "--",
           "sh", "-c", SETUP, "sandbox", root, str(Path(job_dir).resolve()), user,
           str(int(limits.wall_seconds)), *argv, "--progress-fd", str(progress_w)]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, start_new_session=True, pass_fds=(progress_w,))
    os.close(progress_w)
    outcome = Outcome()
    out, err = bytearray(), bytearray()
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    sel.register(progress_r, selectors.EVENT_READ, "progress")
    pending = b""
    sent = False
    progress_total = 0
    deadline = start + limits.wall_seconds + 15          # the inner timeout should end it first
    try:
        while sel.get_map():
            left = deadline - time.perf_counter()
            if left <= 0:
                outcome.killed = f"ran longer than {limits.wall_seconds:.0f} s"
                break
            for key, _ in sel.select(timeout=min(left, 0.5)):
                fd = key.fileobj if isinstance(key.fileobj, int) else key.fileobj.fileno()
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                if key.data == "out":
                    out += chunk
                    if len(out) > limits.output_bytes:
                        outcome.killed = "returned more output than the limit"
                        break
                elif key.data == "err":
                    err = (err + chunk)[-20000:]
                else:
                    progress_total += len(chunk)
                    if progress_total > limits.progress_bytes:
                        outcome.killed = "wrote more progress output than the limit"
                        break
                    pending += chunk
                    *lines, pending = pending.split(b"\n")
                    for line in lines[:10000]:
                        text = line.decode("utf-8", "replace")[:65536]
                        outcome.progress.append(text)
                        if text == send_on and not sent:
                            sent = True
                            threading.Thread(target=_feed, args=(proc.stdin, secret), daemon=True).start()
                        if on_progress is not None:
                            verdict = on_progress(text, time.perf_counter() - start)
                            if verdict:
                                outcome.killed = verdict
                    if len(outcome.progress) > 10000:
                        outcome.progress = outcome.progress[-10000:]
                if outcome.killed:
                    break
            if outcome.killed:
                break
            if on_progress is not None and not outcome.killed:
                verdict = on_progress(None, time.perf_counter() - start)     # a deadline may have passed
                if verdict:
                    outcome.killed = verdict
                    break
    finally:
        if outcome.killed or proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc.wait()
        sel.close()
        os.close(progress_r)
        proc.stdout.close()
        proc.stderr.close()
        if not sent:
            proc.stdin.close()
        try:
            os.rmdir(root)
        except OSError:
            pass
    outcome.returncode = proc.returncode
    outcome.seconds = time.perf_counter() - start
    if not outcome.killed:
        outcome.files = _untar(bytes(out), limits.output_bytes)
    outcome.files.setdefault("sandbox-stderr.txt", bytes(err))
    return outcome


def _feed(pipe, data):
    """Write `data` to the sandbox's stdin and close it (a thread: the reader may never read)."""
    try:
        pipe.write(data)
        pipe.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _untar(data, cap):
    """Regular files of an (untrusted) tar stream, by name; links, folders and anything else ignored."""
    files = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            total = 0
            for member in tar:
                if not member.isreg() or "/" in member.name or member.size > cap - total:
                    continue
                total += member.size
                files[member.name] = tar.extractfile(member).read()
    except tarfile.TarError:
        pass
    return files
