"""neuroai: the student's library of the NeuroAI course (devices, data, neural recordings, bodies,
environments, operation counts). The course's own machinery (grading, the book, the CLI) is the
separate subpackage `neuroai.course`, which nothing here imports."""
from neuroai.device import configure, get_device

__version__ = "0.1.0"
__all__ = ["configure", "get_device", "__version__"]
