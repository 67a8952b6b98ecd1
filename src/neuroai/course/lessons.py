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


@dataclass(frozen=True)
class Lesson:
    id: str
    module: int
    title: str
    citation: str
    budget_notebook_s: float = 60.0   # LESSON-DONE.md item 7, or the lesson's issue
    budget_reproduce_s: float = 30.0

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
           budget_notebook_s=30, budget_reproduce_s=10),
    Lesson("embodied-turing-test", 1,
           "The embodied Turing test",
           "Zador, A., Escola, S., Richards, B., et al. (2023). Catalyzing next-generation Artificial "
           "Intelligence through NeuroAI. Nature Communications 14, 1597. arXiv:2210.08340 (Toward "
           "next-generation artificial intelligence: catalyzing the NeuroAI revolution).",
           budget_notebook_s=120, budget_reproduce_s=60),
    Lesson("event-driven-spiking", 5,
           "Sparse event-driven computation: a spiking network against a dense one",
           "Zador, A., Fellous, J.-M., Sejnowski, T., et al. (2025). NeuroAI and Beyond: Bridging Between "
           "Advances in Neuroscience and Artificial Intelligence. The NSF NeuroAI roadmap.",
           budget_notebook_s=60, budget_reproduce_s=30),
    Lesson("mixture-of-depths", 5,
           "Mixture-of-Depths: a transformer learns which tokens to spend compute on",
           "Raposo, D., Ritter, S., Richards, B., Lillicrap, T., Humphreys, P. C., & Santoro, A. (2024). "
           "Mixture-of-Depths: Dynamically allocating compute in transformer-based language models. "
           "arXiv:2404.02258.",
           budget_notebook_s=60, budget_reproduce_s=30),
    Lesson("conspec", 2,
           "Contrastive retrospection: honing in on the critical steps",
           "Sun, C., Yang, W., Jiralerspong, T., Malenfant, D., Alsbury-Nealy, B., Bengio, Y., & "
           "Richards, B. A. (2023). Contrastive Retrospection: honing in on critical steps for rapid "
           "learning and generalization in RL. NeurIPS 2023. arXiv:2210.05845.",
           budget_notebook_s=120, budget_reproduce_s=60),
    Lesson("poyo", 5,
           "POYO: every spike a token, one decoder across recordings",
           "Azabou, M., Arora, V., Ganesh, V., Mao, X., Nachimuthu, S., Mendelson, M. J., Richards, B., Perich, M. G., "
           "Lajoie, G., & Dyer, E. L. (2023). A Unified, Scalable Framework for Neural Population Decoding. "
           "NeurIPS 2023. arXiv:2310.16046.",
           budget_notebook_s=60, budget_reproduce_s=30),
]}


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
