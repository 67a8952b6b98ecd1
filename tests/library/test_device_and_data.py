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


def test_real_digits_are_split_by_class_and_seeded():
    from neuroai.data import digits
    xtr, ytr, xte, yte = digits(seed=0)
    assert xtr.shape[1] == xte.shape[1] == 64 and len(xtr) + len(xte) == 1797
    assert xtr.dtype == torch.float32 and 0 <= float(xtr.min()) and float(xtr.max()) <= 1
    assert abs(len(xte) / 1797 - 0.25) < 0.01
    counts = torch.bincount(yte, minlength=10).float() / torch.bincount(ytr, minlength=10).float()
    assert float(counts.min()) > 0.28 and float(counts.max()) < 0.39          # each class held out alike
    train_rows = {tuple(r) for r in xtr.tolist()}
    assert sum(tuple(r) in train_rows for r in xte.tolist()) < 5              # (a few images are duplicates)
    again = digits(seed=0)
    other = digits(seed=1)
    assert torch.equal(again[0], xtr) and torch.equal(again[3], yte) and not torch.equal(other[0], xtr)
    with pytest.raises(ValueError, match="test_fraction"):
        digits(test_fraction=1.5)
