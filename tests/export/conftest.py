"""Shared data, fitted models and a small torch network for the export tests."""

from __future__ import annotations

import pytest
from sklearn.ensemble import (
    GradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlserving_lab.datasets import make_classification_split
from mlserving_lab.export import (
    torch_to_onnx,
)

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def data():
    return make_classification_split(n_samples=1200, n_features=8, n_informative=5)


@pytest.fixture(scope="module")
def fitted(data):
    X_train, X_test, y_train, y_test = data
    return {
        "lr": make_pipeline(StandardScaler(), LogisticRegression()).fit(X_train, y_train),
        "rf": RandomForestClassifier(n_estimators=20, random_state=0).fit(X_train, y_train),
        "gbm": GradientBoostingClassifier(n_estimators=30, random_state=0).fit(X_train, y_train),
    }


@pytest.fixture(scope="module")
def net(data):
    X_train, _, y_train, _ = data
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    opt = torch.optim.Adam(module.parameters(), lr=0.02)
    X = torch.tensor(X_train, dtype=torch.float32)
    y = torch.tensor(y_train)
    for _ in range(30):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(module(X), y).backward()
        opt.step()
    return module.eval()


@pytest.fixture(scope="module")
def net_onnx(net, data):
    return torch_to_onnx(net, data[0][:16])
