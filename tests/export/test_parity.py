"""mlserving_lab.export.parity: the parity check."""

from __future__ import annotations

import numpy as np
import pytest

from mlserving_lab.export import (
    ParityError,
    check_parity,
    to_onnx,
)

torch = pytest.importorskip("torch")


# --------------------------------------------------------------------------------------------
# the parity check
# --------------------------------------------------------------------------------------------
def test_parity_fails_loudly_for_a_different_model(fitted, data):
    _, X_test, _, _ = data
    other = to_onnx(fitted["lr"], X_test)
    with pytest.raises(ParityError, match=r"max \|diff\|.*labels agree on"):
        check_parity(fitted["rf"], other, X_test)
    report = check_parity(fitted["rf"], other, X_test, raise_on_failure=False)
    assert not report.passed and report.label_agreement < 1.0
    assert "FAILED" in str(report)


def test_parity_tolerance_and_arguments(fitted, data):
    _, X_test, _, _ = data
    rf = fitted["rf"]
    noisy = lambda X: np.clip(rf.predict_proba(X) + 1e-3, 0, 1)  # noqa: E731
    assert check_parity(rf, noisy, X_test, atol=1e-2).passed
    with pytest.raises(ParityError):
        check_parity(rf, noisy, X_test, atol=1e-5)
    with pytest.raises(ValueError, match="atol"):
        check_parity(rf, rf, X_test, atol=-1)
    with pytest.raises(ValueError, match="min_agreement"):
        check_parity(rf, rf, X_test, min_agreement=2)
    with pytest.raises(ValueError, match="shape"):
        check_parity(rf, lambda X: np.zeros((len(X), 3)), X_test)
