"""Training-serving skew: run training and serving on the same raw rows and compare.

Lesson 04. :func:`check_skew` runs the training pipeline and a serving path on the *same raw
rows* and reports how often their predictions disagree, by how much their probabilities differ
and, when both expose their preprocessing (a fitted Pipeline, or a :class:`ServingPath`
around hand-written serving code), which features differ after it. :func:`plot_skew` draws
the features that differ most.

The input schema that rejects bad serving rows before they reach the model is
:class:`mlserving_lab.schema.InputSchema`; the seeded mixed-type dataset of lesson 04 and
exercise 2 is :func:`mlserving_lab.datasets.make_mixed_dataset`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlserving_lab._validation import check_table, listed
from mlserving_lab.errors import NotTableLikeError

__all__ = ["ServingPath", "SkewReport", "check_skew", "plot_skew"]


# --------------------------------------------------------------------------------------------
# The skew check
# --------------------------------------------------------------------------------------------
@dataclass
class ServingPath:
    """A serving implementation split into its preprocessing and its model.

    Lesson 04. Wrap a hand-written serving path in this so that :func:`check_skew` can compare
    its features, not only its predictions, with the training pipeline.

    Parameters
    ----------
    preprocess : callable
        ``preprocess(X_raw) -> features`` (what the serving code does before the model).
    model : fitted estimator
        The model the serving code calls; ``predict_proba`` is used when it exists.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.arange(20.0).reshape(10, 2); y = np.arange(10) % 2
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> serve = ServingPath(lambda Z: Z / Z.max(), pipe[-1])
    >>> check_skew(pipe, serve, X).skewed
    True
    """

    preprocess: object
    model: object

    def transform(self, X):
        """The serving features for raw rows ``X``."""
        return self.preprocess(X)

    def predict_proba(self, X):
        """Probabilities the serving path returns for raw rows ``X``."""
        return self.model.predict_proba(self.preprocess(X))

    def predict(self, X):
        """Labels the serving path returns for raw rows ``X``."""
        return self.model.predict(self.preprocess(X))

    @property
    def classes_(self):
        """The model's class labels."""
        return self.model.classes_


@dataclass(repr=False)
class SkewReport:
    """What :func:`check_skew` found.

    Attributes
    ----------
    n_rows : int
        Rows compared.
    n_mismatched : int
        Rows whose predicted labels differ.
    mismatch_rate : float
        ``n_mismatched / n_rows``.
    max_proba_diff, mean_proba_diff : float or None
        Largest and mean absolute difference between the two probability tables (``None``
        when one side gives labels only). ``inf`` when one side returns NaN where the other
        does not.
    feature_diffs : pandas.DataFrame or None
        One row per model feature after preprocessing: ``max_abs_diff`` and
        ``frac_rows_differ``; ``None`` when the serving side exposes no transform.
    differing_features : list of str
        Features whose values differ after preprocessing.
    atol : float
        The tolerance used.
    notes : list of str
        Anything worth knowing (e.g. different feature counts).
    """

    n_rows: int
    n_mismatched: int
    mismatch_rate: float
    max_proba_diff: float | None
    mean_proba_diff: float | None
    feature_diffs: pd.DataFrame | None
    differing_features: list[str]
    atol: float
    notes: list[str] = field(default_factory=list)

    @property
    def skewed(self) -> bool:
        """True when labels, probabilities or preprocessed features differ beyond ``atol``."""
        proba = self.max_proba_diff is not None and self.max_proba_diff > self.atol
        return bool(self.n_mismatched or proba or self.differing_features
                    or any(n.startswith("feature count") for n in self.notes))

    def to_dict(self) -> dict:
        """The headline numbers (one row of a comparison table)."""
        return {"n_rows": self.n_rows, "n_mismatched": self.n_mismatched,
                "mismatch_rate": self.mismatch_rate, "max_proba_diff": self.max_proba_diff,
                "mean_proba_diff": self.mean_proba_diff,
                "n_features_differ": len(self.differing_features), "skewed": self.skewed}

    def __str__(self) -> str:
        proba = ("n/a" if self.max_proba_diff is None else f"{self.max_proba_diff:.4g}")
        if self.feature_diffs is None:
            feats = "not compared"
        else:
            feats = listed(self.differing_features) if self.differing_features else "none"
        status = "SKEW DETECTED" if self.skewed else "no skew"
        text = (f"{status}: {self.n_mismatched}/{self.n_rows} predictions differ "
                f"({self.mismatch_rate:.1%}), max probability difference {proba}, "
                f"features that differ after preprocessing: {feats}")
        return text + "".join(f"\nnote: {n}" for n in self.notes)

    def __repr__(self) -> str:
        proba = "None" if self.max_proba_diff is None else f"{self.max_proba_diff:.4g}"
        return (f"SkewReport(skewed={self.skewed}, n_rows={self.n_rows}, "
                f"mismatch_rate={self.mismatch_rate:.4g}, max_proba_diff={proba}, "
                f"differing_features={self.differing_features!r})")

    def _repr_html_(self) -> str:
        import html as _html

        colour = "#b3261e" if self.skewed else "#1a7f37"
        body = _html.escape(str(self)).replace("\n", "<br>")
        return f"<div style='border-left:4px solid {colour};padding:4px 8px'>{body}</div>"


def _has(obj, name: str) -> bool:
    return callable(getattr(obj, name, None))


def _outputs(side, X, label: str, classes):
    """Run one side; return (labels, probabilities or None, classes)."""
    if _has(side, "predict_proba"):
        proba = np.asarray(side.predict_proba(X), dtype=np.float64)
        side_classes = getattr(side, "classes_", classes)
        if side_classes is None:
            side_classes = np.arange(proba.shape[1])
        if proba.ndim != 2 or proba.shape[0] != _n_rows(X):
            raise ValueError(f"the {label} side's predict_proba returned shape {proba.shape}; "
                             f"expected ({_n_rows(X)}, n_classes)")
        return _labels_from_proba(proba, side_classes), proba, side_classes
    if _has(side, "predict"):
        return np.asarray(side.predict(X)).ravel(), None, classes
    if callable(side):
        out = np.asarray(side(X))
        if out.ndim == 2 and out.shape[1] > 1 and out.dtype.kind == "f":
            cls = classes if classes is not None else np.arange(out.shape[1])
            return _labels_from_proba(out, cls), out.astype(np.float64), cls
        if out.ndim == 2 and out.shape[1] == 1:
            out = out.ravel()
        if out.ndim != 1 or out.shape[0] != _n_rows(X):
            raise ValueError(f"the {label} function returned shape {out.shape}; expected one "
                             f"label per row or a ({_n_rows(X)}, n_classes) probability table")
        return out, None, classes
    raise TypeError(f"the {label} side must be a fitted estimator/pipeline with predict or "
                    f"predict_proba, or a function of the raw rows; got {type(side).__name__}")


def _labels_from_proba(proba, classes):
    classes = np.asarray(classes)
    filled = np.where(np.isnan(proba), -np.inf, proba)
    return classes[np.argmax(filled, axis=1)]


def _n_rows(X) -> int:
    return int(np.shape(X)[0])


def _transform_of(side):
    """The preprocessing of a pipeline / ServingPath as a callable, or None."""
    if isinstance(side, ServingPath):
        return side.preprocess, None
    steps = getattr(side, "steps", None)
    if steps and len(steps) > 1:
        pre = side[:-1]
        try:
            names = [str(n) for n in pre.get_feature_names_out()]
        except Exception:  # noqa: BLE001 - not every transformer names its outputs
            names = None
        return pre.transform, names
    return None, None


def _dense(Z) -> np.ndarray:
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    if isinstance(Z, pd.DataFrame):
        Z = Z.to_numpy()
    arr = np.asarray(Z)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    try:
        return arr.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"preprocessed features are not numeric ({exc}); the skew check "
                        "compares numeric model inputs") from None


def _feature_table(Ft, Fs, names, atol):
    diff = np.abs(Ft - Fs)
    both_nan = np.isnan(Ft) & np.isnan(Fs)
    one_nan = np.isnan(Ft) ^ np.isnan(Fs)
    diff = np.where(both_nan, 0.0, np.where(one_nan, np.inf, diff))
    differs = diff > atol
    names = names if names is not None and len(names) == Ft.shape[1] else [
        f"feature_{j}" for j in range(Ft.shape[1])]
    table = pd.DataFrame({"max_abs_diff": diff.max(axis=0) if len(diff) else 0.0,
                          "frac_rows_differ": differs.mean(axis=0) if len(diff) else 0.0},
                         index=pd.Index(names, name="feature"))
    return table


def check_skew(training, serving, X, *, atol: float = 1e-9) -> SkewReport:
    """Run the training pipeline and a serving path on the same raw rows and compare.

    Lesson 04. The training side is the reference. Predictions are compared label by label;
    probabilities, when both sides give them, cell by cell; and preprocessed features, when
    both sides expose their preprocessing (a fitted :class:`~sklearn.pipeline.Pipeline` with a
    transformer before the model, or a :class:`ServingPath`), feature by feature.

    Parameters
    ----------
    training : fitted estimator or Pipeline
        What was validated offline.
    serving : fitted estimator, Pipeline, ServingPath or callable
        What production runs. A callable gets the raw rows and returns labels (1-D) or a
        probability table (2-D float, columns in the training model's class order).
    X : DataFrame or array
        Raw rows, exactly as production receives them (no preprocessing).
    atol : float, default 1e-9
        Absolute tolerance for probabilities and features.

    Returns
    -------
    SkewReport

    Raises
    ------
    NotTableLikeError, InputShapeError
        If ``X`` is not a 2-D table with at least one row (a ``TypeError`` / ``ValueError``).
    TypeError
        If a side cannot produce predictions.
    ValueError
        If a side returns the wrong number of rows.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn.linear_model import LogisticRegression
    >>> import numpy as np
    >>> X = np.arange(40.0).reshape(20, 2); y = np.arange(20) % 2
    >>> pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    >>> check_skew(pipe, pipe, X).mismatch_rate
    0.0
    """
    if X is None or isinstance(X, (str, bytes)) or np.isscalar(X):
        raise NotTableLikeError(f"X must be a table of raw rows, got {type(X).__name__}")
    _, n = check_table(X)  # both sides get X itself, unconverted
    atol = float(atol)
    if not atol >= 0:
        raise ValueError(f"atol must be >= 0, got {atol}")
    lab_t, proba_t, classes = _outputs(training, X, "training", None)
    lab_s, proba_s, _ = _outputs(serving, X, "serving", classes)
    if len(lab_s) != n:
        raise ValueError(f"the serving side returned {len(lab_s)} predictions for {n} rows")
    mismatched = np.asarray(lab_t) != np.asarray(lab_s)
    notes: list[str] = []
    max_d = mean_d = None
    if proba_t is not None and proba_s is not None:
        if proba_t.shape != proba_s.shape:
            notes.append(f"probability tables have different shapes {proba_t.shape} vs "
                         f"{proba_s.shape}")
            max_d = mean_d = math.inf
        else:
            d = np.abs(proba_t - proba_s)
            one_nan = np.isnan(proba_t) ^ np.isnan(proba_s)
            d = np.where(np.isnan(proba_t) & np.isnan(proba_s), 0.0, np.where(one_nan, np.inf, d))
            max_d, mean_d = float(d.max()), float(d.mean())
            if one_nan.any():
                notes.append(f"{int(one_nan.any(axis=1).sum())} row(s) got NaN probabilities on "
                             "one side only")
    feat_table, differing = None, []
    t_fn, t_names = _transform_of(training)
    s_fn, s_names = _transform_of(serving)
    if t_fn is not None and s_fn is not None:
        Ft, Fs = _dense(t_fn(X)), _dense(s_fn(X))
        if Ft.shape != Fs.shape:
            notes.append(f"feature count differs after preprocessing: training makes "
                         f"{Ft.shape[1]}, serving makes {Fs.shape[1]}")
        else:
            feat_table = _feature_table(Ft, Fs, t_names or s_names, atol)
            differing = feat_table.index[feat_table.max_abs_diff > atol].tolist()
    elif t_fn is not None or s_fn is not None:
        notes.append("only one side exposes its preprocessing; features were not compared "
                     "(wrap hand-written serving code in ServingPath to compare them)")
    return SkewReport(n_rows=n, n_mismatched=int(mismatched.sum()),
                      mismatch_rate=float(mismatched.mean()), max_proba_diff=max_d,
                      mean_proba_diff=mean_d, feature_diffs=feat_table,
                      differing_features=differing, atol=atol, notes=notes)


def plot_skew(report: SkewReport, *, top: int = 15, ax=None):
    """Bar chart of the features that differ most after preprocessing.

    Lesson 04.

    Parameters
    ----------
    report : SkewReport
    top : int, default 15
        How many features to show.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    if not isinstance(report, SkewReport):
        raise TypeError(f"report must be a SkewReport, got {type(report).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    if report.feature_diffs is None:
        ax.text(0.5, 0.5, "features not compared", ha="center", va="center")
        ax.set_axis_off()
        return ax
    t = report.feature_diffs.sort_values("frac_rows_differ", ascending=False).head(int(top))
    ax.barh(t.index.astype(str)[::-1], t.frac_rows_differ.to_numpy()[::-1], color="#b3261e")
    ax.set_xlim(0, 1)
    ax.set_xlabel("fraction of rows whose feature differs")
    ax.set_title(f"mismatch rate {report.mismatch_rate:.1%}")
    return ax
