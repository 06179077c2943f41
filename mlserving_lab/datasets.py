"""Seeded synthetic datasets for the lessons (nothing is downloaded at run time)."""

from __future__ import annotations

__all__ = ["make_classification_split"]


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
