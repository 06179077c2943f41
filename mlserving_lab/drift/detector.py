"""The fitted :class:`DriftDetector`: fit on a reference window once, score many windows fast.

Lesson 07. Everything that depends only on the reference -- its sorted columns, its PSI bin
edges and shares, its category counts -- is computed once in :meth:`DriftDetector.fit`;
:meth:`DriftDetector.score` then touches only the new window.
"""

from __future__ import annotations

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlserving_lab._validation import as_frame, check_array, check_positive_int
from mlserving_lab.drift._common import (
    DEFAULT_EPS,
    LOW_POWER_N,
    category_table_from_counts,
    check_psi_args,
    chi2_from_table,
    counts_sorted,
    is_categorical_dtype,
    is_frame,
    js_from_shares,
    psi_1d,
    psi_from_shares,
    quantile_edges,
    warn_low_power,
)
from mlserving_lab.drift._ks import (
    GRID_MIN_N,
    MAX_EXACT_N,
    bin_index,
    grid_params,
    ks_binned,
    ks_exact,
    ks_pvalues_asymp,
    ks_statistic_sorted,
)
from mlserving_lab.drift.plots import plot_feature_drift
from mlserving_lab.drift.stats import CORRECTIONS, adjust_pvalues, psi_band
from mlserving_lab.errors import InputShapeError

__all__ = ["DriftDetector"]


def _frame_from(X, name: str) -> pd.DataFrame:
    """``as_frame`` (Series allowed, object columns inferred), with the drift hint for 1-D
    input: a 1-D sample is one feature here, not one row."""
    one_d = (isinstance(X, np.ndarray) and X.ndim == 1) or (
        isinstance(X, (list, tuple)) and len(X) > 0
        and not any(isinstance(v, (list, tuple, dict, np.ndarray)) for v in X))
    if one_d:
        shape = np.shape(X)
        raise InputShapeError(f"{name} must be 2-D (rows x features), got a 1-D array of shape "
                              f"{shape}; use .reshape(-1, 1) for a single feature")
    return as_frame(X, name=name, infer_objects=True, allow_series=True)


def _has_text(col: pd.Series) -> object | None:
    """First non-numeric value of an object/text column (None if all values are numbers)."""
    for v in col.dropna().to_numpy():
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            return v
    return None


@dataclass
class _NumericState:
    names: list[str]
    sorted_cols: np.ndarray  # (p, n_ref), each row sorted
    edges: list  # quantile edges per column
    ref_shares: list  # shares per bin per column
    grids: list  # (lo, scale, K) or None per column
    ref_cums: list  # reference counts in fine bins, cumulated, per column


class DriftDetector:
    """Fit on a reference window once, then score many current windows quickly.

    Lesson 07. ``fit`` stores everything that depends only on the reference: sorted numeric
    columns (for KS), reference-quantile bin edges and shares (for PSI and JS) and category
    counts (for chi-square). ``score`` returns one row per feature.

    Test per column: numeric columns get the two-sample KS test (identical to
    ``scipy.stats.ks_2samp``); categorical columns (text, booleans, pandas categories) get the
    chi-square test of homogeneity. Override with ``tests={"column": "chi2"}`` (e.g. integer
    codes that are really categories) or ``"ks"``.

    Parameters
    ----------
    alpha : float, default 0.05
        Significance level applied to the corrected p-values.
    correction : {"bonferroni", "holm", "bh", "none"}, default "bonferroni"
        Multiple-testing correction across features (:func:`adjust_pvalues`).
    bins : int, default 10
        PSI / JS bins for numeric columns.
    strategy : {"quantile", "sturges"}, default "quantile"
        PSI binning (see :func:`psi`). Sturges bins depend on the current window, so they are
        recomputed at every score.
    eps : float or None, default None
        Share given to empty bins (see :func:`psi`).
    tests : dict, optional
        ``{column: "ks" | "chi2"}`` overrides of the automatic choice.
    min_psi : float, optional
        Effect-size floor: with large windows tiny, harmless shifts become "significant";
        when set, a feature is flagged only if its corrected p-value is below ``alpha`` AND
        its PSI is at least ``min_psi`` (0.1 is a common choice).
    low_power_n : int, default 30
        Warn (:class:`LowPowerWarning`) when a window has fewer rows than this.

    Attributes
    ----------
    feature_names_ : list of str
    kinds_ : dict
        ``{feature: "numeric" | "categorical"}``.
    tests_ : dict
        ``{feature: "ks" | "chi2"}``.
    n_reference_ : int

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> det = DriftDetector(correction="holm").fit(rng.normal(size=(1000, 4)))
    >>> report = det.score(rng.normal(size=(800, 4)) * [1, 1, 1, 2])
    >>> report.loc[report.drifted, "feature"].tolist()
    ['x3']
    """

    def __init__(self, *, alpha=0.05, correction="bonferroni", bins=10, strategy="quantile",
                 eps=None, tests=None, min_psi=None, low_power_n=LOW_POWER_N):
        self.alpha = alpha
        self.correction = correction
        self.bins = bins
        self.strategy = strategy
        self.eps = eps
        self.tests = tests
        self.min_psi = min_psi
        self.low_power_n = low_power_n

    def __repr__(self) -> str:
        return (f"DriftDetector(alpha={self.alpha}, correction={self.correction!r}, "
                f"bins={self.bins}, strategy={self.strategy!r})")

    # -- validation --------------------------------------------------------------------------
    def _check_params(self) -> None:
        if isinstance(self.alpha, bool) or not isinstance(self.alpha, numbers.Real) \
                or not 0 < self.alpha < 1:
            raise ValueError(f"alpha must be between 0 and 1, got {self.alpha!r}")
        if self.correction not in CORRECTIONS:
            raise ValueError(f"correction must be one of {CORRECTIONS}, got "
                             f"{self.correction!r}")
        check_psi_args(self.bins, self.eps, self.strategy)
        if self.min_psi is not None and (not isinstance(self.min_psi, numbers.Real)
                                         or self.min_psi < 0):
            raise ValueError(f"min_psi must be a non-negative number or None, got "
                             f"{self.min_psi!r}")
        check_positive_int(self.low_power_n, "low_power_n")
        if self.tests is not None and not isinstance(self.tests, dict):
            raise TypeError(f"tests must be a dict {{column: 'ks' | 'chi2'}}, got "
                            f"{type(self.tests).__name__}")

    def _check_fitted(self) -> None:
        if not hasattr(self, "feature_names_"):
            raise ValueError("this DriftDetector is not fitted yet; call "
                             "detector.fit(reference) first")

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, reference) -> DriftDetector:
        """Store the reference window's sorted columns, bin edges, shares and categories.

        Parameters
        ----------
        reference : array-like or DataFrame of shape (n_rows, n_features)
            Numeric arrays, or DataFrames mixing numeric and categorical columns.

        Returns
        -------
        DriftDetector
            ``self``.

        Raises
        ------
        ValueError
            Empty reference, NaN/None (naming the columns), a ``tests`` override for an unknown
            column or an unknown test.
        TypeError
            A column mixing numbers and text, or ``"ks"`` requested for a text column.

        Warns
        -----
        UserWarning
            For constant numeric columns (their PSI has only two bins).
        """
        self._check_params()
        frame = _frame_from(reference, "reference")
        names = [str(c) for c in frame.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"reference has duplicate column names: {names}")
        frame.columns = names
        tests = dict(self.tests or {})
        unknown = sorted(set(map(str, tests)) - set(names))
        if unknown:
            raise ValueError(f"tests= names column(s) {unknown} that the reference does not "
                             f"have; columns are {names}")
        kinds, chosen = {}, {}
        for name in names:
            col = frame[name]
            categorical = is_categorical_dtype(col.dtype)
            if categorical and col.dtype.kind == "O":
                text = _has_text(col)
                has_number = any(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                 for v in col.dropna().to_numpy()[:1000])
                if text is None and len(col.dropna()):
                    categorical = False  # an object column holding only numbers
                elif has_number:
                    raise TypeError(f"reference column {name!r} mixes numbers and text (e.g. "
                                    f"{text!r}); clean it, or convert it to str to treat it "
                                    "as categorical")
            test = tests.get(name, "chi2" if categorical else "ks")
            if test not in ("ks", "chi2"):
                raise ValueError(f"tests[{name!r}] must be 'ks' or 'chi2', got {test!r}")
            if test == "ks" and categorical:
                raise TypeError(f"column {name!r} holds categories (dtype {col.dtype}); the KS "
                                "test needs numbers -- use 'chi2'")
            kinds[name] = "numeric" if test == "ks" else "categorical"
            chosen[name] = test
        self._check_missing(frame, names, "reference")

        num = [n for n in names if chosen[n] == "ks"]
        cat = [n for n in names if chosen[n] == "chi2"]
        bins = int(self.bins)
        if num:
            X = check_array(frame[num], name="reference")
            sorted_cols = np.sort(np.ascontiguousarray(X.T), axis=1)
            edges, shares, grids, ref_cums = [], [], [], []
            for j, name in enumerate(num):
                col = sorted_cols[j]
                if col[0] == col[-1]:
                    warnings.warn(f"reference column {name!r} is constant ({col[0]:g}); its "
                                  "PSI uses two bins (<= value, > value)", UserWarning,
                                  stacklevel=2)
                e = quantile_edges(col, bins)
                edges.append(e)
                shares.append(counts_sorted(col, e) / col.size)
                grid = grid_params(col)
                grids.append(grid)
                ref_cums.append(None if grid is None else np.cumsum(
                    np.bincount(bin_index(col, *grid), minlength=grid[2] + 2)))
            self._numeric = _NumericState(num, sorted_cols, edges, shares, grids, ref_cums)
        else:
            self._numeric = None
        self._categories = {n: frame[n].astype(object).value_counts(sort=False) for n in cat}
        self.feature_names_ = names
        self.kinds_ = kinds
        self.tests_ = chosen
        self.n_reference_ = int(frame.shape[0])
        self._fitted_from_frame = is_frame(reference)
        if self.n_reference_ < self.low_power_n:
            warn_low_power(self.n_reference_, self.n_reference_, self.low_power_n)
        return self

    @staticmethod
    def _check_missing(frame: pd.DataFrame, names: list[str], what: str) -> None:
        missing = frame[names].isna().sum()
        missing = missing[missing > 0]
        if len(missing):
            detail = ", ".join(f"{k!r} ({v} row{'s' if v != 1 else ''})"
                               for k, v in missing.items())
            raise ValueError(f"{what} has missing values (NaN/None) in column(s) {detail}. "
                             "Drift scores need complete data: drop those rows (and count "
                             "them) or impute them before scoring.")

    # -- score -------------------------------------------------------------------------------
    def _current_frame(self, current) -> pd.DataFrame:
        self._check_fitted()
        if is_frame(current) or isinstance(current, pd.Series):
            frame = _frame_from(current, "current")
            cols = [str(c) for c in frame.columns]
            if cols != self.feature_names_ and (self._fitted_from_frame
                                                or set(cols) != set(self.feature_names_)):
                missing = [c for c in self.feature_names_ if c not in cols]
                extra = [c for c in cols if c not in self.feature_names_]
                if missing or extra:
                    raise ValueError(
                        f"current columns do not match the reference: missing {missing}, "
                        f"unexpected {extra}. Select the reference columns with "
                        "current[detector.feature_names_]")
            frame = frame.copy(deep=False)
            frame.columns = cols
            if len(cols) != len(self.feature_names_) or set(cols) != set(self.feature_names_):
                if len(cols) != len(self.feature_names_):
                    raise ValueError(f"current has {len(cols)} columns but the detector was "
                                     f"fitted on {len(self.feature_names_)}")
                frame.columns = self.feature_names_  # positional (fitted on an array)
            return frame[self.feature_names_]
        frame = _frame_from(current, "current")
        if frame.shape[1] != len(self.feature_names_):
            raise ValueError(f"current has {frame.shape[1]} columns but the detector was "
                             f"fitted on {len(self.feature_names_)} ({self.feature_names_})")
        frame.columns = self.feature_names_
        return frame

    def score(self, current) -> pd.DataFrame:
        """Compare a current window with the fitted reference, one row per feature.

        Parameters
        ----------
        current : array-like or DataFrame
            Same columns as the reference (by name for DataFrames, by position for arrays).

        Returns
        -------
        pandas.DataFrame
            Columns: ``feature``, ``kind``, ``test`` ("ks" or "chi2"), ``statistic`` (KS D or
            chi-square), ``p_value`` (raw), ``p_adjusted`` (after ``correction``), ``psi``,
            ``psi_band``, ``js_distance``, ``n_unseen`` (current rows whose category the
            reference never had; 0 for numeric columns), ``drifted``.

        Raises
        ------
        ValueError
            Not fitted, empty window, missing/unexpected columns, NaN (naming the columns).
        TypeError
            Text in a column that was numeric in the reference.

        Warns
        -----
        LowPowerWarning
            When the window has fewer than ``low_power_n`` rows.
        """
        self._check_fitted()
        names = self.feature_names_
        num_state = self._numeric
        if (not self._categories and not is_frame(current)
                and not isinstance(current, pd.Series)
                and getattr(current, "dtype", np.dtype(object)).kind in "iuf"):
            # Fast path: an all-numeric array needs no DataFrame round trip.
            X = check_array(current, name="current", min_rows=0)
            if X.shape[0] == 0:
                raise ValueError("current is empty (0 rows): there is nothing to compare")
            if X.shape[1] != len(names):
                raise ValueError(f"current has {X.shape[1]} columns but the detector was "
                                 f"fitted on {len(names)} ({names})")
            if X.shape[0] < self.low_power_n or self.n_reference_ < self.low_power_n:
                warn_low_power(self.n_reference_, X.shape[0], self.low_power_n)
            stats, pvals, psis, jss = self._score_numeric(X)
            rows = {name: (stats[j], pvals[j], psis[j], jss[j], 0)
                    for j, name in enumerate(names)}
            return self._report(rows)
        frame = self._current_frame(current)
        for name in names:  # text in numeric columns: say which column and which value
            if self.tests_[name] == "ks" and not pd.api.types.is_numeric_dtype(frame[name]):
                text = _has_text(frame[name])
                if text is not None or pd.api.types.is_bool_dtype(frame[name]):
                    raise TypeError(f"current column {name!r} holds non-numeric value "
                                    f"{text!r}, but it was numeric in the reference")
        self._check_missing(frame, names, "current")
        n_cur = int(frame.shape[0])
        if n_cur < self.low_power_n or self.n_reference_ < self.low_power_n:
            warn_low_power(self.n_reference_, n_cur, self.low_power_n)

        rows = {}
        if num_state is not None:
            X = check_array(frame[num_state.names], name="current")
            stats, pvals, psis, jss = self._score_numeric(X)
            for j, name in enumerate(num_state.names):
                rows[name] = (stats[j], pvals[j], psis[j], jss[j], 0)
        for name, ref_counts in self._categories.items():
            table = category_table_from_counts(ref_counts, frame[name].astype(object))
            stat, p = chi2_from_table(table)
            value = psi_from_shares(table["ref_share"], table["cur_share"],
                                     DEFAULT_EPS if self.eps is None else self.eps)
            js = js_from_shares(table["ref_share"], table["cur_share"])
            n_unseen = int(table.loc[table["unseen"], "cur_count"].sum())
            rows[name] = (stat, p, value, js, n_unseen)
        return self._report(rows)

    def _report(self, rows: dict) -> pd.DataFrame:
        names = self.feature_names_
        out = pd.DataFrame({
            "feature": names,
            "kind": [self.kinds_[n] for n in names],
            "test": [self.tests_[n] for n in names],
            "statistic": [float(rows[n][0]) for n in names],
            "p_value": [float(rows[n][1]) for n in names],
        })
        out["p_adjusted"] = adjust_pvalues(out["p_value"].to_numpy(), self.correction)
        out["psi"] = [float(rows[n][2]) for n in names]
        out["psi_band"] = psi_band(out["psi"].to_numpy())
        out["js_distance"] = [float(rows[n][3]) for n in names]
        out["n_unseen"] = [int(rows[n][4]) for n in names]
        drifted = out["p_adjusted"].to_numpy() < self.alpha
        if self.min_psi is not None:
            drifted &= out["psi"].to_numpy() >= self.min_psi
        out["drifted"] = drifted
        return out

    def _score_numeric(self, X: np.ndarray):
        st = self._numeric
        n1 = st.sorted_cols.shape[1]
        n2 = X.shape[0]
        p = X.shape[1]
        cur_t = np.ascontiguousarray(X.T)
        stats = np.empty(p)
        psis = np.empty(p)
        jss = np.empty(p)
        eps = DEFAULT_EPS if self.eps is None else self.eps
        for j in range(p):
            ref_col, cur_col, edges = st.sorted_cols[j], cur_t[j], st.edges[j]
            if st.grids[j] is not None and n2 >= GRID_MIN_N:
                stats[j], le = ks_binned(ref_col, st.grids[j], st.ref_cums[j], cur_col, edges)
            else:
                cur_col = np.sort(cur_col)
                stats[j] = ks_statistic_sorted(ref_col, cur_col)
                le = np.searchsorted(cur_col, edges, side="right")
            c = np.diff(np.concatenate(([0], le, [n2]))) / n2
            if self.strategy == "quantile":
                psis[j] = psi_from_shares(st.ref_shares[j], c, eps)
            else:
                psis[j] = psi_1d(ref_col, cur_t[j], int(self.bins), self.eps, "sturges")
            jss[j] = js_from_shares(st.ref_shares[j], c)
        if max(n1, n2) > MAX_EXACT_N:
            pvals = ks_pvalues_asymp(stats, n1, n2)
        else:
            pvals = np.empty(p)
            for j in range(p):
                stats[j], pvals[j] = ks_exact(st.sorted_cols[j], cur_t[j])
        return stats, pvals, psis, jss

    # -- plots -------------------------------------------------------------------------------
    def _reference_values(self, feature: str):
        if self.tests_[feature] == "ks":
            j = self._numeric.names.index(feature)
            return self._numeric.sorted_cols[j]
        counts = self._categories[feature]
        return np.repeat(np.asarray(counts.index, dtype=object), counts.to_numpy())

    def plot_feature(self, current, feature, *, kind="ecdf", ax=None):
        """Overlay the reference and current distributions of one feature.

        Parameters
        ----------
        current : array-like or DataFrame
            The window that was scored.
        feature : str or int
            Column name, or position.
        kind : {"ecdf", "hist"}, default "ecdf"
            For numeric features. Categorical features are always drawn as share bars.
        ax : matplotlib Axes, optional

        Returns
        -------
        matplotlib.axes.Axes

        Raises
        ------
        ValueError
            Unknown feature or kind.
        """
        self._check_fitted()
        if isinstance(feature, numbers.Integral) and not isinstance(feature, bool):
            feature = self.feature_names_[int(feature)]
        feature = str(feature)
        if feature not in self.feature_names_:
            raise ValueError(f"unknown feature {feature!r}; features are {self.feature_names_}")
        frame = self._current_frame(current)
        return plot_feature_drift(self._reference_values(feature), frame[feature].to_numpy(),
                                  kind=kind, ax=ax, title=feature,
                                  categorical=self.tests_[feature] == "chi2")

