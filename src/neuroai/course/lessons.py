"""The course's lessons: one id each, the same string everywhere (brief, reference file, notebooks,
chapter, `neuroai reproduce <id>`, benchmark row), and where each lesson's files live."""
import hashlib
import importlib.util
import os
import sys
from dataclasses import dataclass
from pathlib import Path

MODULES = {
    1: ("1-embodiment", "Embodiment"),
    2: ("2-prediction-through-interaction", "Prediction through interaction"),
    3: ("3-multi-scale-learning", "Multi-scale learning"),
    4: ("4-hierarchical-distributed-architectures", "Hierarchical distributed architectures and representations"),
    5: ("5-sparse-event-driven-computation", "Sparse event-driven computation"),
}


def course_root():
    """The course repository: $NEUROAI_COURSE_ROOT, else the checkout this package is installed from."""
    root = os.environ.get("NEUROAI_COURSE_ROOT")
    root = Path(root) if root else Path(__file__).resolve().parents[3]
    if not (root / "solutions").is_dir():
        raise FileNotFoundError(
            f"the course repository was not found at {root} (no solutions/ folder). Reference code, "
            "grading and the book need a checkout of the course: install it with `pip install -e .` "
            "from the checkout, or set NEUROAI_COURSE_ROOT.")
    return root


# What CI can afford per lesson (issue 12): 21 lessons in a 40-minute test run. A lesson whose model trains
# by reinforcement learning or in a physics simulator gets the larger budget.
BUDGETS = {"default": {"notebook_s": 40.0, "reproduce_s": 20.0},
           "rl-or-physics": {"notebook_s": 60.0, "reproduce_s": 30.0}}
TEST_COST_BUDGET_S = 75.0            # wall seconds a lesson may add to `python3 course.py test` on 2 cores
CLAIM_TAG = "claim"                  # the instructor notebook's cell that prints the claim line
CLAIM_HOLDS = "-> claim HOLDS"       # what that line ends with when the claim holds


@dataclass(frozen=True)
class Lesson:
    id: str
    module: int
    title: str
    citation: str
    kind: str = "default"             # a key of BUDGETS
    # Seeds on which the claim, as measured (never re-tuned until it passes), is known to fail:
    # {seed: the numbers}. The test of that seed is an expected failure (strict: should the claim start
    # to hold, the test fails until the entry is removed); the chapter reports it.
    known_failures: tuple = ()        # ((seed, reason), ...)
    # Seeds whose verdict depends on the CPU (repeatable on one machine, but other vector instructions
    # round the last bits differently and training amplifies that): {seed: both measurements}.
    cpu_dependent: tuple = ()         # ((seed, reason), ...)
    # Where the instructor notebook's claim line is known to say FAILS: why (the notebook runs one seed).
    notebook_claim_fails: str = ""
    # The paper's own result, for the reproducibility page beside the lesson's recorded run.
    paper_result: str = ""

    @property
    def budget_notebook_s(self):
        return BUDGETS[self.kind]["notebook_s"]

    @property
    def budget_reproduce_s(self):
        return BUDGETS[self.kind]["reproduce_s"]

    @property
    def budget_test_s(self):
        return TEST_COST_BUDGET_S

    @property
    def module_dir(self):
        return MODULES[self.module][0]

    def path(self, kind):
        """reference (.py), source (instructor .ipynb), student (.ipynb in modules/), autograder spec."""
        root = course_root()
        return {
            "reference": root / "solutions" / f"{self.id}.py",
            "source": root / "solutions" / f"{self.id}.ipynb",
            "student": root / "modules" / self.module_dir / f"{self.id}.ipynb",
            "autograder": root / "autograder" / f"{self.id}.py",
        }[kind]


LESSONS = {lesson.id: lesson for lesson in [
    Lesson("plasticity-geometry", 3,
           "Synaptic weight distributions depend on the geometry of plasticity",
           "Pogodin, R., Cornford, J., Ghosh, A., Gidel, G., Lajoie, G., & Richards, B. A. (2024). "
           "Synaptic weight distributions depend on the geometry of plasticity. ICLR 2024. "
           "arXiv:2305.19394.",
           paper_result="The paper's linear-regression test (official code: widths D up to 20,000, N = D^0.5 "
                        "or D^0.75 examples, 30 seeds; it records the Gaussianity distance and the relative "
                        "dual change) finds the dual change close to Gaussian only under the potential that "
                        "trained the weights. The brief's minimal version of that setting measured 0.014-0.027 "
                        "under the matching geometry and 0.23-0.25 under a mismatched one."),
    Lesson("target-propagation", 3,
           "Towards scaling difference target propagation by learning backprop targets",
           "Ernoult, M., Normandin, F., Moudgil, A., Spinney, S., Belilovsky, E., Rish, I., Richards, B., & "
           "Bengio, Y. (2022). Towards Scaling Difference Target Propagation by Learning Backprop Targets. "
           "ICML 2022. arXiv:2201.13415.",
           paper_result="The paper trains convnets on CIFAR-10 and ImageNet 32x32 (official code: 20-55 "
                        "feedback iterations per layer and batch). With its difference reconstruction loss "
                        "(L-DRL) the feedback Jacobians align with the forward ones and DTP's updates stay "
                        "close to backprop's in every layer, where vanilla DTP's drift away; it reports the "
                        "best accuracy DTP had reached on both data sets, close to backprop's."),
    Lesson("inhibitory-error-normalization", 3,
           "Inhibitory normalization of error signals improves learning",
           "Henha Eyono, R., Levenstein, D., Ghosh, A., et al. (2026). Inhibitory normalization of error "
           "signals improves learning in neural circuits. Official code: "
           "github.com/RoyHEyono/inhibitory-normalization.",
           paper_result="The paper trains Dale's-law networks on an image task with per-image brightness jitter "
                        "(official code: FashionMNIST, brightness factor 0.75, SGD lr 0.0098, batch 32, 50 "
                        "epochs) and reports that inhibitory normalization applied only in the forward pass "
                        "does not improve learning, while extending it to the back-propagated errors improves "
                        "performance significantly; centering the errors alone recovers most of LayerNorm's "
                        "benefit. The brief's target: error normalization >= 2 points above forward-only, "
                        "forward-only about equal to no normalization."),
    Lesson("embodied-turing-test", 1,
           "The embodied Turing test",
           "Zador, A., Escola, S., Richards, B., et al. (2023). Catalyzing next-generation Artificial "
           "Intelligence through NeuroAI. Nature Communications 14, 1597. arXiv:2210.08340 (Toward "
           "next-generation artificial intelligence: catalyzing the NeuroAI revolution).",
           kind="rl-or-physics",
           known_failures=(
               (5, "embodied-turing-test seed 5: the claim FAILS as measured. B's imitation search fails: B swims "
                   "0.043 m/s (animal 0.138) and is told apart at once (AUC 0.99 with all 8 features, 0.90 on the "
                   "held-out ones alone); every other part holds"),
               (6, "embodied-turing-test seed 6: the claim FAILS as measured. The judge tells the animal from its own "
                   "other episodes with AUC 0.654 (all features) and 0.668 (held-out ones), above 0.65: a false "
                   "positive; B passes (0.56 all, 0.60 held out)"),
               (8, "embodied-turing-test seed 8: the claim FAILS as measured. B's AUC with all 8 features is 0.83 "
                   "(> 0.8; 0.80 on its objective's 6); on the held-out features alone B passes (0.57)"),
           )),
    Lesson("event-driven-spiking", 5,
           "Sparse event-driven computation: a spiking network against a dense one",
           "Zador, A., Fellous, J.-M., Sejnowski, T., et al. (2025). NeuroAI and Beyond: Bridging Between "
           "Advances in Neuroscience and Artificial Intelligence. The NSF NeuroAI roadmap.",
           paper_result="The roadmap is a position paper: it names sparse event-driven computation as the "
                        "brain's answer to AI's energy gap and reports no experiment or effect size. The "
                        "course's brief set the target: a spiking network within a few points of a dense "
                        "network's accuracy at <= 1/5 of its operations, with accuracy falling as sparsity "
                        "is pushed further."),
    Lesson("mixture-of-depths", 5,
           "Mixture-of-Depths: a transformer learns which tokens to spend compute on",
           "Raposo, D., Ritter, S., Richards, B., Lillicrap, T., Humphreys, P. C., & Santoro, A. (2024). "
           "Mixture-of-Depths: Dynamically allocating compute in transformer-based language models. "
           "arXiv:2404.02258.",
           known_failures=((7, "mixture-of-depths seed 7: the claim FAILS as measured. The router never learns to pick "
                               "the value tokens: it routes 9% of them (>= 40% needed; random routing 25%) and learned "
                               "routing loses to random routing by 0.21 nats (value loss 1.87 vs 1.65; >= 0.5 gain "
                               "needed); the predictor agrees with top-k on 96.5% (this holds)"),
                           (8, "mixture-of-depths seed 8: the claim FAILS as measured. Learned routing beats random "
                               "routing by 0.31 nats (1.39 vs 1.70; >= 0.5 needed) and routes 29% of the value tokens "
                               "(>= 40% needed); the predictor agrees with top-k on 96.6% (this holds)")),
           paper_result="MoD at 12.5% capacity in every other block matches or beats the isoFLOP-optimal dense "
                        "baseline at equal training FLOPs (60M-3B parameters) and is up to 50% faster to step when "
                        "sampling; its causal predictor reaches ~99% accuracy."),
    Lesson("conspec", 2,
           "Contrastive retrospection: honing in on the critical steps",
           "Sun, C., Yang, W., Jiralerspong, T., Malenfant, D., Alsbury-Nealy, B., Bengio, Y., & "
           "Richards, B. A. (2023). Contrastive Retrospection: honing in on critical steps for rapid "
           "learning and generalization in RL. NeurIPS 2023. arXiv:2210.05845.",
           kind="rl-or-physics",
           paper_result="The paper's multi-key-to-door tasks (official code: sunchipsster1/ConSpec): PPO alone fails "
                        "more and more often as keys are added, while PPO + ConSpec learns them, and its prototypes "
                        "pick out the key pickups. Here the prototypes are found (from raw observations and actions) "
                        "but the learning speed-up is small: pooled area gap -0.01 to +0.04 over seeds 0-4 and 30-34.",
           known_failures=((5, "conspec seed 5: the claim FAILS as measured. 4 prototypes used (1.0 per agent), 2 of them "
                               "key-pickup detectors (50%, not more than half; pooled precision 0.41); the shuffled-label "
                               "twin used none. Mean success over training 0.22 vs 0.18"),)),
    Lesson("poyo", 5,
           "POYO: every spike a token, one decoder across recordings",
           "Azabou, M., Arora, V., Ganesh, V., Mao, X., Nachimuthu, S., Mendelson, M. J., Richards, B., Perich, M. G., "
           "Lajoie, G., & Dyer, E. L. (2023). A Unified, Scalable Framework for Neural Population Decoding. "
           "NeurIPS 2023. arXiv:2310.16046."),
    Lesson("fast-slow-successor-features", 3,
           "Fast and slow successor features: consolidation over many timescales under drift",
           "Chua, R., Precup, D., & Richards, B. A. (2026). Balancing Plasticity and Stability with Fast and "
           "Slow Successor Features. ICML 2026. arXiv:2605.26357.",
           kind="rl-or-physics",
           paper_result="In 3D Miniworld four rooms with a drifting slip and two goals taking turns (T1 T2 T1 T2), "
                        "and in MuJoCo with drifting mass and friction, synaptic consolidation beats parameter "
                        "resets, consolidating SFs beats consolidating Q-values, and consolidation over several "
                        "timescales (the official notebooks compare 0, 3, 6 and 9 beakers) works best.",
           known_failures=(
               (1, "fast-slow-successor-features seed 1: the claim FAILS as measured. The 9-beaker chain beats the best "
                   "single slow copy by +0.017, CI [-0.036, +0.059] (needs CI > 0); consolidation beats resets (+0.076, "
                   "CI [+0.038, +0.106]) and the SF-vs-Q interaction holds (+0.160, CI [+0.071, +0.258])"),
               (4, "fast-slow-successor-features seed 4: the claim FAILS as measured. The 9-beaker chain beats the best "
                   "single slow copy by +0.025, CI [-0.007, +0.052] (needs CI > 0); consolidation beats resets (+0.055, "
                   "CI [+0.032, +0.083]) and the interaction holds (+0.158, CI [+0.070, +0.251])"),
               (6, "fast-slow-successor-features seed 6: the claim FAILS as measured. SF+cons - reset +0.083, CI "
                   "[-0.013, +0.177], and the chain beats the best single slow copy by +0.011, CI [-0.045, +0.054] "
                   "(each needs CI > 0); the interaction holds (+0.140, CI [+0.023, +0.249])"),
               (9, "fast-slow-successor-features seed 9: the claim FAILS as measured. Consolidation costs the SF agent "
                   "0.04 (SF 0.42, SF+cons 0.38); SF+cons - reset +0.031, CI [-0.013, +0.074]; interaction +0.090, CI "
                   "[-0.012, +0.178]; chain - best single copy -0.034, CI [-0.101, +0.023] (each needs CI > 0)"))),
]}


def claim_problem(lesson, printed):
    """None if the claim cell's printed text says the claim holds (or the lesson declares that its
    notebook's claim fails), else what is wrong."""
    if CLAIM_HOLDS in printed:
        return None
    if lesson.notebook_claim_fails:
        return None
    if "-> claim FAILS" in printed:
        return f"{lesson.id}: the notebook's claim line says the claim FAILS: {printed.strip()[-500:]}"
    return f"{lesson.id}: the claim cell printed no claim line ({CLAIM_HOLDS!r} expected): {printed[-500:]!r}"


def get(lesson_id):
    try:
        return LESSONS[lesson_id]
    except KeyError:
        raise KeyError(f"unknown lesson {lesson_id!r}; known lessons: {', '.join(LESSONS)}") from None


def _load(path, name):
    if not path.exists():
        raise FileNotFoundError(f"missing file {path}")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module          # lets pickling, dataclasses and tracebacks find it
    spec.loader.exec_module(module)
    return module


def load_reference(lesson_id):
    """Import solutions/<id>.py (file names keep the lesson id, hyphens and all)."""
    return _load(get(lesson_id).path("reference"), "neuroai_reference_" + lesson_id.replace("-", "_"))


def load_autograder_spec(lesson_id):
    """Import autograder/<id>.py: the hidden-test inputs for the lesson's graded functions."""
    return _load(get(lesson_id).path("autograder"), "neuroai_autograder_" + lesson_id.replace("-", "_"))


def library_modules_used(path):
    """The files of the student's library that a Python file imports, directly or through each other."""
    import ast
    package = Path(__file__).resolve().parents[1]
    seen, todo = set(), [Path(path)]
    while todo:
        tree = ast.parse(todo.pop().read_text())
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for name in names:
                parts = name.split(".")
                if parts[0] != "neuroai" or "course" in parts:
                    continue
                for candidate in (package.joinpath(*parts[1:]).with_suffix(".py"), package / "__init__.py"):
                    if candidate.exists() and candidate not in seen:
                        seen.add(candidate)
                        todo.append(candidate)
                        break
    return sorted(seen)


def science_fingerprint(lesson_id):
    """sha256 of what a lesson's measurements depend on: its reference file and the modules of the
    student's library it imports (the course machinery, the notebooks and the book change no number).
    A recorded multi-seed run (records/<id>.json) made by other code is shown as older than the code."""
    digest = hashlib.sha256()
    reference = get(lesson_id).path("reference")
    for path in [reference, *library_modules_used(reference)]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def code_fingerprint(lesson_id):
    """sha256 of what a lesson's results depend on: its reference file, its instructor notebook and the
    neuroai package. A saved result (a reproduce record, an executed notebook) whose fingerprint
    matches the current one was made by the same code, so it can be shown instead of rerun."""
    lesson = get(lesson_id)
    digest = hashlib.sha256()
    files = [lesson.path("reference"), lesson.path("source"),
             *sorted(Path(__file__).resolve().parents[1].rglob("*.py"))]
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()
