"""The grading sandbox on its own: what student code inside it can and cannot do."""
import json
import os
import sys
from pathlib import Path

import pytest

from neuroai.course import lessons, sandbox, wire

PROBE = r"""
import json, os, socket, sys, resource
out = {"uid": os.getuid(), "cwd": os.getcwd(), "root": sorted(os.listdir("/"))}
course = os.environ.get("COURSE", "")
out["sees_solutions"] = os.path.exists(sys.argv[1] + "/solutions")
out["sees_home"] = os.path.exists("/root/.bashrc") or bool(os.listdir("/home")) if os.path.isdir("/home") else False
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2); out["network"] = True
except OSError:
    out["network"] = False
try:
    open("/job/in/x", "w"); out["job_in_writable"] = True
except OSError:
    out["job_in_writable"] = False
try:
    bytearray(8 * 2**30); out["memory_limited"] = False
except MemoryError:
    out["memory_limited"] = True
out["nproc"] = resource.getrlimit(resource.RLIMIT_NPROC)[0]
out["can_mount"] = os.system("mount -t tmpfs none /tmp 2>/dev/null") == 0
out["env"] = sorted(os.environ)
open("/job/out/probe.json", "w").write(json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    job = tmp_path_factory.mktemp("job")
    (job / "probe.py").write_text(PROBE)
    os.chmod(job, 0o755)
    outcome = sandbox.run(job, [sys.executable, "/job/in/probe.py", str(lessons.course_root())],
                          limits=sandbox.Limits(wall_seconds=60))
    assert "probe.json" in outcome.files, outcome.files.get("stderr.txt", b"")[-2000:]
    return json.loads(outcome.files["probe.json"])


def test_the_student_sees_only_what_python_needs(probe):
    assert not probe["sees_solutions"] and not probe["sees_home"]
    assert set(probe["root"]) <= {"bin", "lib", "lib64", "sbin", "usr", "etc", "dev", "proc", "tmp", "job",
                                  *{p.strip("/").split("/")[0] for p in sandbox._ro_dirs()}}
    assert "NEUROAI_COURSE_ROOT" not in probe["env"] and "HOME" in probe["env"]


def test_no_network_no_privileges_and_limits(probe):
    assert probe["network"] is False
    assert probe["job_in_writable"] is False and probe["can_mount"] is False
    assert probe["memory_limited"] is True and 0 < probe["nproc"] <= 64
    if sandbox.mode() == "root":
        assert probe["uid"] >= sandbox.UID_BASE


def test_wall_time_kills_everything(tmp_path):
    (tmp_path / "spin.py").write_text("import os\nos.fork()\nwhile True: pass\n")
    os.chmod(tmp_path, 0o755)
    outcome = sandbox.run(tmp_path, [sys.executable, "/job/in/spin.py"], limits=sandbox.Limits(wall_seconds=3))
    assert outcome.seconds < 30
    assert outcome.files.get("exit-status.txt", b"").strip() in (b"137", b"124")


def test_the_secret_arrives_only_after_the_handshake(tmp_path):
    (tmp_path / "w.py").write_text(
        "import os, sys\nfd = int(sys.argv[-1])\nimport select\n"
        "early = select.select([0], [], [], 1.0)[0]\nos.write(fd, b'ready\\n')\n"
        "data = sys.stdin.buffer.read()\nopen('/job/out/r', 'w').write(f'{bool(early)} {data.decode()}')\n")
    os.chmod(tmp_path, 0o755)
    outcome = sandbox.run(tmp_path, [sys.executable, "/job/in/w.py"], secret=b"s3cret",
                          limits=sandbox.Limits(wall_seconds=30))
    assert outcome.files["r"] == b"False s3cret"


def test_wire_refuses_what_is_not_plain_data():
    import numpy as np
    import torch
    value = {"a": torch.arange(3.0), "b": (1, 2.5, "x", None, True), "c": [np.eye(2)]}
    tree, arrays = wire.encode(value)
    back = wire.decode(json.loads(json.dumps(tree)), arrays)
    assert torch.equal(back["a"], value["a"]) and back["b"] == value["b"] and np.array_equal(back["c"][0], np.eye(2))
    for bad in [object(), {1: 2}, np.array([object()]), lambda: 0]:
        with pytest.raises(wire.WireError):
            wire.encode(bad)
    loop = []
    loop.append(loop)
    with pytest.raises(wire.WireError):
        wire.encode(loop)
    with pytest.raises(wire.WireError):
        wire.decode({"t": "pickle", "v": "..."}, {})


def test_unprivileged_user_namespace_mode():
    """What a non-root grader (a laptop, a Kubernetes pod) gets: the same walls, no privileges."""
    import shutil
    import subprocess
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root to become a plain user for this test")
    import tempfile
    as_user = ["setpriv", "--reuid=10001", "--regid=10001", "--clear-groups"]
    if subprocess.run([*as_user, sys.executable, "-c", "import neuroai"], capture_output=True).returncode != 0:
        pytest.skip("this checkout or its Python is not readable by other users (e.g. cloned into a private "
                    "temporary folder), so a plain user cannot run the grader from it")
    job = Path(tempfile.mkdtemp(prefix="neuroai-userns-test-"))     # readable by the plain user
    (job / "probe.py").write_text(PROBE)
    os.chmod(job, 0o755)
    os.chmod(job / "probe.py", 0o644)
    code = ("import json, sys; from neuroai.course import sandbox; print(sandbox.mode()); "
            f"o = sandbox.run({str(job)!r}, [sys.executable, '/job/in/probe.py', {str(lessons.course_root())!r}]); "
            "print(o.files.get('probe.json', b'{}').decode())")
    done = subprocess.run([*as_user, sys.executable, "-c", code],
                          capture_output=True, text=True, timeout=120, env=dict(os.environ, HOME="/tmp"))
    if done.returncode != 0 and "SandboxUnavailable" in done.stderr:
        pytest.skip("this machine has no unprivileged user namespaces: " + done.stderr[-300:])
    assert done.returncode == 0, done.stderr[-2000:]
    mode, probe = done.stdout.strip().split("\n", 1)
    probe = json.loads(probe)
    assert mode == "userns"
    assert not probe["sees_solutions"] and probe["network"] is False and probe["can_mount"] is False
    assert probe["memory_limited"] and probe["job_in_writable"] is False


def test_kubernetes_job_manifest():
    """The manifest asks for what the instructors' page promises: non-root, no network, limits, deadline."""
    import yaml
    docs = list(yaml.safe_load_all((lessons.course_root() / "autograder" / "k8s" / "grade-job.yaml").read_text()))
    job = next(d for d in docs if d["kind"] == "Job")
    policy = next(d for d in docs if d["kind"] == "NetworkPolicy")
    pod = job["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert {"cpu", "memory", "ephemeral-storage"} <= set(container["resources"]["limits"])
    assert job["spec"]["activeDeadlineSeconds"] > 0 and pod["automountServiceAccountToken"] is False
    assert policy["spec"]["egress"] == [] and policy["spec"]["ingress"] == []
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    assert policy["spec"]["podSelector"]["matchLabels"] == job["spec"]["template"]["metadata"]["labels"]
    assert container["command"][:2] == ["neuroai", "grade-one"]


def test_wire_refuses_bombs():
    import io

    import numpy as np
    packed = io.BytesIO()
    np.savez_compressed(packed, a=np.zeros(10**8, dtype=np.uint8))    # 100 MB that packs to 100 kB
    packed.seek(0)
    with pytest.raises(wire.WireError):
        wire.load_arrays(packed, max_bytes=10**6)
    with pytest.raises(wire.WireError):
        wire.load_arrays(io.BytesIO(b"not a zip"))
    deep = {"t": "list", "v": []}
    node = deep
    for _ in range(100):
        node["v"].append({"t": "list", "v": []})
        node = node["v"][0]
    with pytest.raises(wire.WireError):
        wire.decode(deep, {})


SHM = r"""
import ctypes, sys
libc = ctypes.CDLL(None, use_errno=True)
key, create = int(sys.argv[1]), sys.argv[2] == "create"
shmid = libc.shmget(key, 4096, (0o1666 if create else 0o666))      # IPC_CREAT = 0o1000
if create and shmid >= 0:
    libc.shmat.restype = ctypes.c_void_p
    addr = libc.shmat(shmid, None, 0)
    ctypes.memmove(addr, b"SHARED-SECRET", 13)
open("/job/out/shm.txt", "w").write(str(shmid))
"""


def test_shared_memory_stays_in_its_sandbox(tmp_path):
    """A System V segment made in one sandbox cannot be found by key in the next, nor on the host."""
    import ctypes
    job = tmp_path / "job"
    job.mkdir()
    (job / "shm.py").write_text(SHM)
    os.chmod(job, 0o755)
    key = 0x4E41 + os.getpid() % 1000
    made = sandbox.run(job, [sys.executable, "/job/in/shm.py", str(key), "create"], limits=sandbox.Limits(wall_seconds=60))
    assert int(made.files["shm.txt"]) >= 0, made.files.get("stderr.txt", b"")[-2000:]   # it could make one
    found = sandbox.run(job, [sys.executable, "/job/in/shm.py", str(key), "find"], limits=sandbox.Limits(wall_seconds=60))
    assert int(found.files["shm.txt"]) == -1                              # ... but the next one cannot see it
    assert ctypes.CDLL(None).shmget(key, 0, 0o666) == -1                  # ... nor the host after the batch
