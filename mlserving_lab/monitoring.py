"""Production monitoring from the ML side: predictions, feature ranges, latency, retraining.

Lesson 07. Four monitors and one decision rule:

- :func:`prediction_drift` -- positive rate and score percentiles of the model's outputs
  against a baseline window, with an alert;
- :class:`FeatureRangeMonitor` / :func:`check_feature_ranges` -- values outside the training
  minimum and maximum (plus a margin);
- :func:`latency_summary` -- p50 / p95 / p99 of logged request latencies, against a budget;
- :func:`retraining_decision` -- the lesson's retraining rule, returning the decision and why;
- :func:`monitoring_schedule` -- which check runs how often.

Feature drift itself (KS, PSI, chi-square) lives in :mod:`mlserving_lab.drift`.
"""

from __future__ import annotations

import datetime as _dt
import numbers
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from mlserving_lab._validation import check_array, feature_names

__all__ = [
    "FeatureRangeMonitor",
    "LatencySummary",
    "PredictionDriftReport",
    "RetrainDecision",
    "check_feature_ranges",
    "latency_summary",
    "monitoring_schedule",
    "prediction_drift",
    "retraining_decision",
]


def _check_fraction(value, name: str, *, low=0.0, high=None, low_open=False) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or np.isnan(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    value = float(value)
    if value < low or (low_open and value == low) or (high is not None and value > high):
        rng = f"> {low}" if low_open else f">= {low}"
        raise ValueError(f"{name} must be {rng}" + (f" and <= {high}" if high is not None else "")
                         + f", got {value}")
    return value


def _scores_1d(x, name: str) -> np.ndarray:
    arr = np.asarray(x.to_numpy() if hasattr(x, "to_numpy") else x)
    if arr.ndim == 2 and 1 in arr.shape:
        arr = arr.reshape(-1)
    return check_array(arr, name=name, ndim=1)


# --------------------------------------------------------------------------------------------
# Prediction distribution
# --------------------------------------------------------------------------------------------

@dataclass
class PredictionDriftReport:
    """Model outputs of a current window compared with a baseline window.

    Attributes
    ----------
    baseline_positive_rate, current_positive_rate : float
        Share of scores at or above ``threshold``.
    rate_ratio : float
        ``current_positive_rate / baseline_positive_rate`` (inf if the baseline rate is 0).
    percentiles : pandas.DataFrame
        Index: percentile; columns ``baseline``, ``current``, ``difference``.
    ks_statistic, ks_p_value : float
        Two-sample KS test on the raw scores (:func:`mlserving_lab.drift.ks_test`).
    psi : float
        PSI of the scores on baseline-decile bins.
    alert : bool
    reasons : list of str
        Why the alert fired (empty when it did not).
    """

    baseline_positive_rate: float
    current_positive_rate: float
    rate_ratio: float
    percentiles: pd.DataFrame
    ks_statistic: float
    ks_p_value: float
    psi: float
    alert: bool
    reasons: list = field(default_factory=list)

    @property
    def reason(self) -> str:
        """The reasons as one sentence."""
        return "; ".join(self.reasons) if self.reasons else "prediction distribution is stable"


def prediction_drift(baseline_scores, current_scores, *, threshold=0.5, max_rate_ratio=3.0,
                     psi_alert=0.25, percentiles=(5, 25, 50, 75, 95)) -> PredictionDriftReport:
    """Compare the model's predicted scores in a current window with a baseline window.

    Lesson 07. Labels arrive late, but predictions are available at once: a sudden change in
    how often the model says "positive", or in the spread of its scores, is the earliest
    warning that inputs changed. Example from the lesson: a model that normally flags 5%
    positive should alert at 15% (``max_rate_ratio=3``). The alert also fires when the rate
    falls by the same factor, or when the PSI of the scores reaches ``psi_alert``.

    Parameters
    ----------
    baseline_scores, current_scores : array-like of shape (n,)
        Predicted probabilities (or any scores) of the positive class.
    threshold : float, default 0.5
        A score at or above it counts as a positive prediction.
    max_rate_ratio : float, default 3.0
        Alert when the positive rate grows or shrinks by at least this factor.
    psi_alert : float, default 0.25
        Alert when the PSI of the score distribution reaches this value.
    percentiles : sequence of float, default (5, 25, 50, 75, 95)

    Returns
    -------
    PredictionDriftReport

    Raises
    ------
    ValueError
        Empty or 2-D input, NaN, ``max_rate_ratio <= 1``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> base = rng.beta(1, 9, 5000)                   # about 5% of scores reach 0.25
    >>> rep = prediction_drift(base, rng.beta(1, 9, 2000), threshold=0.25)
    >>> rep.alert
    False
    >>> prediction_drift(base, rng.beta(2, 5, 2000), threshold=0.25).alert
    True
    """
    base = _scores_1d(baseline_scores, "baseline_scores")
    cur = _scores_1d(current_scores, "current_scores")
    threshold = _check_fraction(threshold, "threshold", low=-np.inf)
    max_rate_ratio = _check_fraction(max_rate_ratio, "max_rate_ratio", low=1.0, low_open=True)
    psi_alert = _check_fraction(psi_alert, "psi_alert", low=0.0, low_open=True)
    from mlserving_lab.drift import ks_test, psi

    b_rate = float(np.mean(base >= threshold))
    c_rate = float(np.mean(cur >= threshold))
    if b_rate > 0:
        ratio = c_rate / b_rate
    else:
        ratio = np.inf if c_rate > 0 else 1.0
    q = np.asarray(percentiles, dtype=float)
    if q.ndim != 1 or q.size == 0 or (q < 0).any() or (q > 100).any():
        raise ValueError(f"percentiles must be numbers between 0 and 100, got {percentiles!r}")
    table = pd.DataFrame({"baseline": np.percentile(base, q), "current": np.percentile(cur, q)},
                         index=pd.Index(q, name="percentile"))
    table["difference"] = table["current"] - table["baseline"]
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # small windows: the report states the sizes anyway
        ks_stat, ks_p = ks_test(base, cur)
    value = psi(base, cur, bins=10)
    reasons = []
    if ratio >= max_rate_ratio:
        reasons.append(f"positive rate rose from {b_rate:.1%} to {c_rate:.1%} "
                       f"({ratio:.1f}x, alert at {max_rate_ratio:g}x)")
    elif ratio <= 1 / max_rate_ratio:
        reasons.append(f"positive rate fell from {b_rate:.1%} to {c_rate:.1%} "
                       f"({ratio:.2f}x, alert at 1/{max_rate_ratio:g})")
    if value >= psi_alert:
        reasons.append(f"score distribution PSI {value:.3f} >= {psi_alert:g}")
    return PredictionDriftReport(b_rate, c_rate, float(ratio), table, float(ks_stat),
                                 float(ks_p), float(value), bool(reasons), reasons)


# --------------------------------------------------------------------------------------------
# Feature ranges
# --------------------------------------------------------------------------------------------

class FeatureRangeMonitor:
    """Check that serving inputs stay inside the training range, plus a margin.

    Lesson 07. Values far outside what the model saw in training usually mean a pipeline
    change (a unit switched from metres to centimetres, a default of -999) or a new
    population. Tree models extrapolate flat and linear models without limit; neither is
    trustworthy there.

    Parameters
    ----------
    margin : float, default 0.1
        Allowed overshoot as a fraction of the training range ``max - min`` on each side:
        the accepted interval is ``[min - margin * range, max + margin * range]``.
    max_out_share : float, default 0.0
        Alert for a feature when the share of rows outside its interval exceeds this (0.0:
        any out-of-range row alerts).

    Attributes
    ----------
    min_, max_ : numpy.ndarray
    feature_names_ : list of str

    Examples
    --------
    >>> import numpy as np
    >>> mon = FeatureRangeMonitor(margin=0.1).fit(np.array([[0.0, 10.0], [1.0, 20.0]]))
    >>> mon.check(np.array([[0.5, 15.0], [1.05, 40.0]]))["alert"].tolist()
    [False, True]
    """

    def __init__(self, margin=0.1, max_out_share=0.0):
        self.margin = margin
        self.max_out_share = max_out_share

    def fit(self, X_train) -> FeatureRangeMonitor:
        """Store the training minimum and maximum of every feature.

        Parameters
        ----------
        X_train : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        FeatureRangeMonitor

        Raises
        ------
        ValueError
            Empty data, NaN (naming the columns), a negative margin.
        """
        _check_fraction(self.margin, "margin")
        _check_fraction(self.max_out_share, "max_out_share", high=1.0)
        X = check_array(X_train, name="X_train")
        self.feature_names_ = feature_names(X_train, X.shape[1])
        self.min_ = X.min(axis=0)
        self.max_ = X.max(axis=0)
        return self

    def check(self, X) -> pd.DataFrame:
        """Count the rows of ``X`` outside each feature's accepted interval.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_rows, n_features)

        Returns
        -------
        pandas.DataFrame
            One row per feature: ``feature``, ``train_min``, ``train_max``, ``lower``,
            ``upper``, ``current_min``, ``current_max``, ``n_below``, ``n_above``,
            ``share_out``, ``alert``.

        Raises
        ------
        ValueError
            Not fitted, wrong number of columns, NaN, empty window.
        """
        if not hasattr(self, "min_"):
            raise ValueError("this FeatureRangeMonitor is not fitted yet; call "
                             "monitor.fit(X_train) first")
        Xc = check_array(X, name="X")
        if Xc.shape[1] != len(self.feature_names_):
            raise ValueError(f"X has {Xc.shape[1]} features, but the monitor was fitted on "
                             f"{len(self.feature_names_)}")
        if hasattr(X, "columns"):
            cols = [str(c) for c in X.columns]
            if cols != self.feature_names_:
                raise ValueError(f"X columns {cols} differ from the training columns "
                                 f"{self.feature_names_}")
        span = self.max_ - self.min_
        lower = self.min_ - self.margin * span
        upper = self.max_ + self.margin * span
        below = (Xc < lower).sum(axis=0)
        above = (Xc > upper).sum(axis=0)
        share = (below + above) / Xc.shape[0]
        return pd.DataFrame({
            "feature": self.feature_names_,
            "train_min": self.min_, "train_max": self.max_,
            "lower": lower, "upper": upper,
            "current_min": Xc.min(axis=0), "current_max": Xc.max(axis=0),
            "n_below": below, "n_above": above, "share_out": share,
            "alert": share > self.max_out_share,
        })


def check_feature_ranges(X_train, X, *, margin=0.1, max_out_share=0.0) -> pd.DataFrame:
    """One-shot :class:`FeatureRangeMonitor`: fit on ``X_train``, check ``X``.

    Lesson 07.

    Parameters
    ----------
    X_train, X : array-like or DataFrame
    margin : float, default 0.1
    max_out_share : float, default 0.0

    Returns
    -------
    pandas.DataFrame
        See :meth:`FeatureRangeMonitor.check`.

    Raises
    ------
    ValueError
        See :meth:`FeatureRangeMonitor.fit` and :meth:`FeatureRangeMonitor.check`.

    Examples
    --------
    >>> check_feature_ranges([[0.0], [1.0]], [[2.0]])["n_above"].tolist()
    [1]
    """
    return FeatureRangeMonitor(margin, max_out_share).fit(X_train).check(X)


# --------------------------------------------------------------------------------------------
# Latency
# --------------------------------------------------------------------------------------------

@dataclass
class LatencySummary:
    """Percentiles of logged request latencies (milliseconds) and the alert verdict.

    Attributes
    ----------
    n : int
    mean_ms, p50_ms, p95_ms, p99_ms, max_ms : float
    budget_ms : float or None
        The p99 budget that was checked.
    alert : bool
    reason : str
    """

    n: int
    mean_ms: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    budget_ms: float | None
    alert: bool
    reason: str

    def to_frame(self) -> pd.DataFrame:
        """The numbers as a one-row DataFrame."""
        return pd.DataFrame([{k: getattr(self, k) for k in
                              ("n", "mean_ms", "p50_ms", "p95_ms", "p99_ms", "max_ms",
                               "budget_ms", "alert")}])


def latency_summary(latencies_ms, *, budget_ms=None, baseline_p99_ms=None,
                    max_increase=1.5) -> LatencySummary:
    """p50 / p95 / p99 of request latencies, with an alert on the tail.

    Lesson 07. Averages hide the slow requests users notice; monitor the tail. The alert
    fires when p99 exceeds ``budget_ms``, or when it grew by ``max_increase`` times over a
    baseline p99 (a sudden increase points at input-data problems or resource contention).

    Parameters
    ----------
    latencies_ms : array-like of shape (n,)
        Non-negative latencies in milliseconds.
    budget_ms : float, optional
    baseline_p99_ms : float, optional
    max_increase : float, default 1.5

    Returns
    -------
    LatencySummary

    Raises
    ------
    ValueError
        Empty input, NaN or negative latencies.

    Examples
    --------
    >>> s = latency_summary([1.0] * 98 + [30.0, 40.0], budget_ms=20)
    >>> s.p50_ms, s.alert
    (1.0, True)
    """
    lat = _scores_1d(latencies_ms, "latencies_ms")
    if (lat < 0).any():
        raise ValueError(f"latencies_ms has {(lat < 0).sum()} negative value(s), e.g. "
                         f"{lat[lat < 0][0]!r}; latencies cannot be negative")
    p50, p95, p99 = np.percentile(lat, [50, 95, 99])
    reasons = []
    if budget_ms is not None:
        budget_ms = _check_fraction(budget_ms, "budget_ms", low=0.0, low_open=True)
        if p99 > budget_ms:
            reasons.append(f"p99 {p99:.1f} ms exceeds the {budget_ms:g} ms budget")
    if baseline_p99_ms is not None:
        baseline_p99_ms = _check_fraction(baseline_p99_ms, "baseline_p99_ms", low=0.0,
                                          low_open=True)
        max_increase = _check_fraction(max_increase, "max_increase", low=1.0)
        if p99 >= max_increase * baseline_p99_ms:
            reasons.append(f"p99 {p99:.1f} ms is {p99 / baseline_p99_ms:.1f}x the baseline "
                           f"{baseline_p99_ms:.1f} ms")
    reason = "; ".join(reasons) if reasons else "latency within limits"
    return LatencySummary(int(lat.size), float(lat.mean()), float(p50), float(p95), float(p99),
                          float(lat.max()), budget_ms, bool(reasons), reason)


# --------------------------------------------------------------------------------------------
# Retraining rule and schedule
# --------------------------------------------------------------------------------------------

RETRAIN_NOW = "retrain now"
RETRAIN_WITHIN_WEEK = "retrain within 1 week"
SCHEDULED_RETRAIN = "scheduled retrain"
CONTINUE = "continue monitoring"
#: Differences this close to a threshold count as equal to it (float error, not a change).
_FLOAT_SLACK = 1e-9


@dataclass
class RetrainDecision:
    """Outcome of :func:`retraining_decision`.

    Attributes
    ----------
    decision : str
        ``"retrain now"``, ``"retrain within 1 week"``, ``"scheduled retrain"`` or
        ``"continue monitoring"``.
    reason : str
        The rule that fired, with the numbers.
    """

    decision: str
    reason: str

    def __str__(self) -> str:
        return f"{self.decision}: {self.reason}"


def _max_psi(psi_values):
    """(value, feature or None) from a float, an array, a dict or a drift report."""
    if psi_values is None:
        return None, None
    if isinstance(psi_values, pd.DataFrame):
        if "psi" not in psi_values.columns:
            raise ValueError("the drift report needs a 'psi' column (DriftDetector.score)")
        i = int(np.argmax(psi_values["psi"].to_numpy()))
        name = psi_values["feature"].iloc[i] if "feature" in psi_values.columns else None
        return float(psi_values["psi"].iloc[i]), name
    if isinstance(psi_values, dict):
        if not psi_values:
            return None, None
        name = max(psi_values, key=psi_values.get)
        return float(psi_values[name]), name
    arr = np.asarray(psi_values, dtype=float).ravel()
    if arr.size == 0:
        return None, None
    if np.isnan(arr).any():
        raise ValueError("psi contains NaN")
    return float(arr.max()), None


def retraining_decision(*, baseline_accuracy=None, current_accuracy=None, psi=None,
                        days_since_training=None, last_trained=None, today=None,
                        max_accuracy_drop=0.02, psi_threshold=0.25,
                        max_age_days=90) -> RetrainDecision:
    """The lesson's retraining rule: accuracy first, then drift, then age.

    Lesson 07. Checked in this order, first match wins:

    1. accuracy dropped by more than ``max_accuracy_drop`` (absolute: 0.02 = 2 percentage
       points) from the baseline, i.e. ``baseline - current > max_accuracy_drop + 1e-9``
       (the slack absorbs float error: ``0.91 - 0.89`` is ``0.020000000000000018``) ->
       **retrain now**;
    2. the largest feature PSI is above ``psi_threshold`` (strictly: 0.25 itself does not
       trigger) -> **retrain within 1 week**;
    3. more than ``max_age_days`` (about 3 months; 90 days itself does not trigger) since
       the last training -> **scheduled retrain**;
    4. otherwise -> **continue monitoring**.

    Rules whose inputs are missing are skipped (labels often arrive weeks late) and the
    reason says so.

    Parameters
    ----------
    baseline_accuracy, current_accuracy : float, optional
        Accuracies in [0, 1]; give both or neither.
    psi : float, array-like, dict or DataFrame, optional
        PSI per feature (a :meth:`DriftDetector.score` report works); the maximum is used.
    days_since_training : float, optional
        Or give ``last_trained`` (and optionally ``today``) as dates.
    last_trained, today : datetime.date or str, optional
    max_accuracy_drop : float, default 0.02
    psi_threshold : float, default 0.25
    max_age_days : float, default 90

    Returns
    -------
    RetrainDecision

    Raises
    ------
    ValueError
        Accuracies outside [0, 1], only one accuracy given, negative age, or both
        ``days_since_training`` and ``last_trained``.

    Examples
    --------
    >>> retraining_decision(baseline_accuracy=0.91, current_accuracy=0.88).decision
    'retrain now'
    >>> retraining_decision(psi=[0.05, 0.31], days_since_training=10).decision
    'retrain within 1 week'
    >>> retraining_decision(psi=0.05, days_since_training=120).decision
    'scheduled retrain'
    """
    skipped = []
    if (baseline_accuracy is None) != (current_accuracy is None):
        raise ValueError("give both baseline_accuracy and current_accuracy, or neither")
    if baseline_accuracy is not None:
        base = _check_fraction(baseline_accuracy, "baseline_accuracy", high=1.0)
        cur = _check_fraction(current_accuracy, "current_accuracy", high=1.0)
        drop = base - cur
        if drop > max_accuracy_drop + _FLOAT_SLACK:  # 0.91 - 0.89 is 0.020000000000000018
            return RetrainDecision(
                RETRAIN_NOW, f"accuracy fell from {base:.3f} to {cur:.3f} ({drop * 100:.1f} "
                f"points, more than the allowed {max_accuracy_drop * 100:g})")
    else:
        skipped.append("no accuracy (labels not available yet)")

    value, feature = _max_psi(psi)
    if value is not None:
        if value > psi_threshold:
            where = f" on feature {feature!r}" if feature is not None else ""
            return RetrainDecision(
                RETRAIN_WITHIN_WEEK, f"PSI {value:.3f}{where} is above {psi_threshold:g} "
                "(major distribution shift)")
    else:
        skipped.append("no drift scores")

    if days_since_training is not None and last_trained is not None:
        raise ValueError("give days_since_training or last_trained, not both")
    if last_trained is not None:
        last = pd.Timestamp(last_trained).date()
        now = pd.Timestamp(today).date() if today is not None else _dt.date.today()
        days_since_training = (now - last).days
    if days_since_training is not None:
        age = _check_fraction(days_since_training, "days_since_training")
        if age > max_age_days:
            return RetrainDecision(
                SCHEDULED_RETRAIN, f"{age:g} days since the last training (more than "
                f"{max_age_days:g})")
    else:
        skipped.append("no training date")

    parts = []
    if baseline_accuracy is not None:
        parts.append(f"accuracy drop {drop * 100:.1f} points <= {max_accuracy_drop * 100:g}")
    if value is not None:
        parts.append(f"max PSI {value:.3f} <= {psi_threshold:g}")
    if days_since_training is not None:
        parts.append(f"model age {age:g} days <= {max_age_days:g}")
    reason = "; ".join(parts) if parts else "nothing to check"
    if skipped:
        reason += " (not checked: " + ", ".join(skipped) + ")"
    return RetrainDecision(CONTINUE, reason)


def monitoring_schedule() -> pd.DataFrame:
    """Which check runs how often, what it measures and which function computes it.

    Lesson 07. Cheap, fast-moving signals are checked often; expensive or slow ones (labels)
    less often.

    Returns
    -------
    pandas.DataFrame
        Columns ``cadence``, ``what``, ``metric``, ``alert_when``, ``function``.

    Examples
    --------
    >>> monitoring_schedule()["cadence"].tolist()
    ['real-time', 'real-time', 'hourly', 'hourly', 'daily', 'weekly']
    """
    rows = [
        ("real-time", "latency", "p50 / p95 / p99 ms", "p99 over budget or 1.5x baseline",
         "monitoring.latency_summary"),
        ("real-time", "errors", "error rate, rejected inputs", "rate above normal",
         "input validation (lesson 06) + counters"),
        ("hourly", "prediction distribution", "positive rate, score percentiles, PSI",
         "rate x3 or /3, or PSI >= 0.25", "monitoring.prediction_drift"),
        ("hourly", "feature ranges", "rows outside training min/max + margin",
         "any row out of range", "monitoring.FeatureRangeMonitor"),
        ("daily", "feature drift", "KS / chi-square p-values (corrected), PSI, JS",
         "corrected p < alpha and PSI >= 0.1", "drift.DriftDetector"),
        ("weekly", "accuracy (when labels arrive)", "accuracy vs baseline",
         "drop > 2 points -> retrain now", "monitoring.retraining_decision"),
    ]
    return pd.DataFrame(rows, columns=["cadence", "what", "metric", "alert_when", "function"])
