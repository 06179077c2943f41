"""Hidden (grading-only) checks of exercise 2: the re-measurements too slow for ``check()``.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from mlserving_lab.course.exercises import ex2_skew_prevention as ex2
from mlserving_lab.course.exercises.core import Incorrect, call, on_learner_side
from mlserving_lab.course.exercises.remeasure import num


def q1_generalises(pipeline, test_accuracy):
    """On rows it never saw, some with categories training never had, the pipeline still
    beats always predicting the majority class."""
    X_new, y_new = ex2._unseen()
    X_new = X_new.copy()
    X_new.iloc[:6, X_new.columns.get_loc("region")] = "atlantis"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        acc = float(np.mean(pipeline.predict(X_new) == y_new.to_numpy()))
    base = float(max(y_new.mean(), 1 - y_new.mean()))
    if acc < base - 0.03:
        raise Incorrect(f"on {len(y_new)} fresh rows your pipeline is {num(acc)} accurate, below "
                        f"the {num(base)} of always predicting the majority class")


def q2_fresh_process_on_your_artifact(pipeline, artifact_dir, predict_fresh):
    """`predict_fresh` on the learner's own folder, on other checker rows: the child loaded
    that file (same hash) and predicts what the file's pipeline predicts, in another process
    that this one started (the watch of the public check, on the learner's own file)."""
    rows = ex2._checker_rows(100, 30, unseen_categories=True)
    facts = on_learner_side(ex2._artifact_facts, artifact_dir, rows)
    here = on_learner_side(ex2._process_id)
    try:  # the same watch as the public check's (see ex2._WATCH), on the learner's own file
        on_learner_side(ex2._watch_start, Path(artifact_dir) / facts["file"])
        report = call(predict_fresh, artifact_dir, rows)
    finally:
        watch = on_learner_side(ex2._watch_stop)
    pid, sha, proba = ex2._report_parts(report, len(rows))
    expected = np.asarray(facts["proba_rows"], dtype=float)
    if not np.allclose(proba, expected, rtol=0, atol=1e-9):
        diff = float(np.max(np.abs(proba - expected)))
        raise Incorrect(f"`predict_fresh(artifact_dir, X)` on the checker's rows returned "
                        f"probabilities up to {num(diff)} away from those of the pipeline in "
                        f"your {facts['file']}: does the child load that file?")
    if sha != facts["sha256"]:
        raise Incorrect(f"`predict_fresh(artifact_dir, X)` reports model_sha256 "
                        f"{sha[:12]}..., but your {facts['file']} hashes to "
                        f"{facts['sha256'][:12]}...: report the hash of the bytes the child "
                        "loaded")
    if pid == here:
        raise Incorrect(f"`predict_fresh(artifact_dir, X)` reports pid {pid}, this very "
                        "process: load the artifact in a new interpreter")
    # skops: the model must not be built here at all; joblib (no probe note on the learner's
    # own file): an extra load here is fine once a new interpreter was started
    ex2._check_watch(watch, strict=facts["format"] == "skops", pid=pid, here=here,
                     model_class=facts["class"], file=facts["file"],
                     what="`predict_fresh(artifact_dir, X)`")


HIDDEN = {"q1": (q1_generalises,), "q2": (q2_fresh_process_on_your_artifact,)}
