"""Seeded synthetic datasets for the lessons (nothing is downloaded at run time)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlserving_lab._validation import check_positive_int

__all__ = [
    "CATEGORICAL_COLUMNS",
    "NUMERIC_COLUMNS",
    "DriftScenarios",
    "make_classification_split",
    "make_drift_scenarios",
    "make_mixed_dataset",
    "make_mixed_split",
]


def make_classification_split(
    n_samples: int = 4000,
    n_features: int = 20,
    n_informative: int = 10,
    test_size: float = 0.25,
    random_state: int = 0,
    as_frame: bool = False,
):
    """A seeded binary classification problem, already split into train and test.

    Lesson 01. A thin wrapper around :func:`sklearn.datasets.make_classification` and
    :func:`sklearn.model_selection.train_test_split` so that every notebook uses the same data
    for the same arguments.

    Parameters
    ----------
    n_samples : int, default 4000
    n_features : int, default 20
    n_informative : int, default 10
    test_size : float, default 0.25
    random_state : int, default 0
    as_frame : bool, default False
        Return pandas DataFrames with columns ``f0`` .. ``f{n-1}`` and Series targets.

    Returns
    -------
    X_train, X_test, y_train, y_test

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = make_classification_split(n_samples=100)
    >>> X_train.shape, X_test.shape
    ((75, 20), (25, 20))
    """
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    if n_informative > n_features:
        raise ValueError(f"n_informative ({n_informative}) cannot exceed n_features "
                         f"({n_features})")
    X, y = make_classification(
        n_samples=n_samples,
        n_features=n_features,
        n_informative=n_informative,
        n_redundant=min(2, n_features - n_informative),
        random_state=random_state,
    )
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=random_state, stratify=y
    )
    if as_frame:
        import pandas as pd

        cols = [f"f{i}" for i in range(n_features)]
        X_train = pd.DataFrame(X_train, columns=cols)
        X_test = pd.DataFrame(X_test, columns=cols)
        y_train = pd.Series(y_train, name="target")
        y_test = pd.Series(y_test, name="target")
    return X_train, X_test, y_train, y_test


NUMERIC_COLUMNS = ["age", "income", "tenure_months", "days_since_login", "support_calls"]


CATEGORICAL_COLUMNS = ["region", "plan", "device"]


_CATEGORIES = {
    # (values, probabilities): the last value of each is rare (< 2 %).
    "region": (["north", "south", "east", "west", "islands"], [0.32, 0.27, 0.22, 0.175, 0.015]),
    "plan": (["basic", "standard", "premium", "legacy"], [0.45, 0.35, 0.19, 0.01]),
    "device": (["mobile", "desktop", "tablet", "smart_tv"], [0.55, 0.30, 0.138, 0.012]),
}


def make_mixed_dataset(n_samples: int = 2000, *, missing_rate: float = 0.08,
                       random_state: int = 0) -> tuple[pd.DataFrame, pd.Series]:
    """A seeded churn-like dataset with numeric and categorical columns.

    Lesson 04 / exercise 2. Five numeric columns (``income``, ``tenure_months`` and
    ``days_since_login`` have missing values) and three text columns with one rare category
    each (``islands``, ``legacy``, ``smart_tv``, each under 2 % of rows). The binary target
    ``churned`` depends on both kinds of column, so a model that mishandles either loses
    accuracy.

    Parameters
    ----------
    n_samples : int, default 2000
    missing_rate : float, default 0.08
        Fraction of missing values in ``income`` (``tenure_months`` and ``days_since_login``
        get half of it).
    random_state : int, default 0

    Returns
    -------
    X : pandas.DataFrame
        Columns :data:`NUMERIC_COLUMNS` (float64) then :data:`CATEGORICAL_COLUMNS` (text).
    y : pandas.Series
        0/1 target named ``churned``.

    Examples
    --------
    >>> X, y = make_mixed_dataset(200)
    >>> X.shape, sorted(y.unique().tolist())
    ((200, 8), [0, 1])
    """
    n = int(n_samples)
    if isinstance(n_samples, bool) or n < 10:
        raise ValueError(f"n_samples must be an integer >= 10, got {n_samples!r}")
    if not 0 <= missing_rate < 0.5:
        raise ValueError(f"missing_rate must be in [0, 0.5), got {missing_rate!r}")
    rng = np.random.default_rng(random_state)
    age = np.clip(rng.normal(42, 12, n), 18, 90).round()
    income = np.exp(rng.normal(10.6, 0.5, n)).round(-2)
    tenure = rng.gamma(2.0, 14.0, n).round()
    login = rng.exponential(9.0, n).round()
    calls = rng.poisson(1.3, n).astype(np.float64)
    cats = {c: rng.choice(v, size=n, p=p) for c, (v, p) in _CATEGORIES.items()}
    logit = (-1.1 + 0.9 * (login - 9) / 9 + 0.55 * (calls - 1.3) - 0.035 * (tenure - 28)
             - 0.6 * (np.log(income) - 10.6) - 0.012 * (age - 42)
             + np.select([cats["plan"] == "basic", cats["plan"] == "premium",
                          cats["plan"] == "legacy"], [0.5, -0.7, 1.2], 0.0)
             + np.select([cats["device"] == "mobile", cats["device"] == "smart_tv"],
                         [0.35, 0.8], 0.0)
             + np.where(cats["region"] == "islands", 0.9, 0.0))
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    X = pd.DataFrame({"age": age, "income": income, "tenure_months": tenure,
                      "days_since_login": login, "support_calls": calls})
    for col, rate in (("income", missing_rate), ("tenure_months", missing_rate / 2),
                      ("days_since_login", missing_rate / 2)):
        X.loc[rng.random(n) < rate, col] = np.nan
    for c in CATEGORICAL_COLUMNS:
        X[c] = pd.Series(cats[c], dtype="str")
    return X, pd.Series(y, name="churned")


def make_mixed_split(n_samples: int = 2000, *, test_size: float = 0.25,
                     missing_rate: float = 0.08, random_state: int = 0):
    """:func:`make_mixed_dataset`, split into train and test (stratified, seeded).

    Lesson 04 / exercise 2.

    Parameters
    ----------
    n_samples : int, default 2000
    test_size : float, default 0.25
    missing_rate : float, default 0.08
    random_state : int, default 0

    Returns
    -------
    X_train, X_test, y_train, y_test

    Examples
    --------
    >>> X_train, X_test, y_train, y_test = make_mixed_split(400)
    >>> len(X_train), len(X_test)
    (300, 100)
    """
    from sklearn.model_selection import train_test_split

    X, y = make_mixed_dataset(n_samples, missing_rate=missing_rate, random_state=random_state)
    return train_test_split(X, y, test_size=test_size, random_state=random_state, stratify=y)


@dataclass
class DriftScenarios:
    """A reference window and several current windows with known drift.

    Attributes
    ----------
    reference : pandas.DataFrame
    current : dict of str to pandas.DataFrame
        ``"no_drift"``, ``"mean_shift"``, ``"variance_change"``, ``"new_distribution"``.
    drifted : dict of str to list of str
        The features that really changed in each scenario.
    """

    reference: pd.DataFrame
    current: dict
    drifted: dict

    @property
    def names(self) -> list[str]:
        """Scenario names, in order."""
        return list(self.current)


def make_drift_scenarios(n_reference=2000, n_current=1000, n_features=10, *, mean_shift=0.5,
                         variance_factor=2.0, n_mean=2, n_variance=3, n_new=1,
                         prefix="f", random_state=0) -> DriftScenarios:
    """Exercise 3: a normal reference and four current windows with known drift.

    Lesson 07. Every feature of the reference is standard normal. The scenarios:

    - ``no_drift``: a fresh sample from the same distribution;
    - ``mean_shift``: ``n_mean`` features shifted by ``mean_shift`` standard deviations;
    - ``variance_change``: ``n_variance`` features with their variance multiplied by
      ``variance_factor`` (mean unchanged);
    - ``new_distribution``: ``n_new`` features replaced by a bimodal mixture with the SAME mean
      (0) and variance (1) -- only the shape changes, which summary statistics miss.

    Which features drift is drawn at random (seeded), so code cannot hard-code them.

    Parameters
    ----------
    n_reference, n_current, n_features : int
    mean_shift : float, default 0.5
    variance_factor : float, default 2.0
    n_mean, n_variance, n_new : int
        How many features drift in each scenario.
    prefix : str, default "f"
        Column names are ``f"{prefix}{i}"``.
    random_state : int, default 0

    Returns
    -------
    DriftScenarios

    Raises
    ------
    ValueError
        If a scenario asks for more drifting features than there are.

    Examples
    --------
    >>> sc = make_drift_scenarios(random_state=1)
    >>> sc.names
    ['no_drift', 'mean_shift', 'variance_change', 'new_distribution']
    >>> len(sc.drifted["variance_change"])
    3
    """
    n_reference = check_positive_int(n_reference, "n_reference")
    n_current = check_positive_int(n_current, "n_current")
    n_features = check_positive_int(n_features, "n_features")
    for label, k in (("n_mean", n_mean), ("n_variance", n_variance), ("n_new", n_new)):
        if not 0 <= k <= n_features:
            raise ValueError(f"{label}={k} must be between 0 and n_features={n_features}")
    if variance_factor <= 0:
        raise ValueError(f"variance_factor must be positive, got {variance_factor}")
    rng = np.random.default_rng(random_state)
    cols = [f"{prefix}{i}" for i in range(n_features)]
    reference = pd.DataFrame(rng.normal(size=(n_reference, n_features)), columns=cols)

    def fresh():
        return rng.normal(size=(n_current, n_features))

    current, drifted = {}, {}
    current["no_drift"], drifted["no_drift"] = pd.DataFrame(fresh(), columns=cols), []

    X = fresh()
    idx = np.sort(rng.choice(n_features, n_mean, replace=False))
    X[:, idx] += mean_shift
    current["mean_shift"], drifted["mean_shift"] = pd.DataFrame(X, columns=cols), \
        [cols[i] for i in idx]

    X = fresh()
    idx = np.sort(rng.choice(n_features, n_variance, replace=False))
    X[:, idx] *= math.sqrt(variance_factor)
    current["variance_change"], drifted["variance_change"] = pd.DataFrame(X, columns=cols), \
        [cols[i] for i in idx]

    X = fresh()
    idx = np.sort(rng.choice(n_features, n_new, replace=False))
    mode, spread = 0.95, math.sqrt(1 - 0.95 ** 2)  # mixture of N(+-0.95, 0.31^2): mean 0, var 1
    signs = rng.choice([-1.0, 1.0], size=(n_current, len(idx)))
    X[:, idx] = signs * mode + spread * rng.normal(size=(n_current, len(idx)))
    current["new_distribution"], drifted["new_distribution"] = \
        pd.DataFrame(X, columns=cols), [cols[i] for i in idx]
    return DriftScenarios(reference, current, drifted)
