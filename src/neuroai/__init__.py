"""neuroai: the shared code of the NeuroAI course (data, devices, plotting, grading, the CLI)."""
from neuroai.device import get_device

__version__ = "0.1.0"
__all__ = ["get_device", "__version__"]
