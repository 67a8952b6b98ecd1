"""The student's library: one run setting (device and threads) and seeded data."""
import pytest
import torch

from neuroai import configure, get_device
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


def test_one_setting_for_threads_and_device(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("NEUROAI_THREADS", raising=False)
        monkeypatch.delenv("NEUROAI_DEVICE", raising=False)
        torch.set_num_threads(2)
        assert configure() == torch.device("cpu") and torch.get_num_threads() == 1     # the default: one thread
        monkeypatch.setenv("NEUROAI_THREADS", "2")
        configure()
        assert torch.get_num_threads() == 2
        monkeypatch.setenv("NEUROAI_THREADS", "0")                                      # torch's own default
        configure()
        assert torch.get_num_threads() == 2
        for bad in ("two", "-1"):
            monkeypatch.setenv("NEUROAI_THREADS", bad)
            with pytest.raises(ValueError, match="NEUROAI_THREADS"):
                configure()
    finally:
        torch.set_num_threads(before)
