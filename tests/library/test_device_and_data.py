"""The student's library: one device switch and seeded data."""
import pytest
import torch

from neuroai import get_device
from neuroai.data import regression_task


def test_device_switch(monkeypatch):
    monkeypatch.delenv("NEUROAI_DEVICE", raising=False)
    assert get_device() == torch.device("cpu")
    monkeypatch.setenv("NEUROAI_DEVICE", "auto")
    assert get_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no GPU"):
            get_device("cuda")


def test_data_is_seeded():
    X1, y1 = regression_task(5, 7, seed=3)
    X2, y2 = regression_task(5, 7, seed=3)
    X3, _ = regression_task(5, 7, seed=4)
    assert torch.equal(X1, X2) and torch.equal(y1, y2) and not torch.equal(X1, X3)
    assert X1.shape == (5, 7) and set(y1.tolist()) <= {-1.0, 1.0}
