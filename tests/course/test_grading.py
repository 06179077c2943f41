"""Instructor grading: one batch of fixture submissions, asserted row by row.

The fixtures are built at test time from the committed notebooks (see grading_fixtures.py).
"""

from __future__ import annotations

import io
import math
import re
import subprocess
import sys
import time
from pathlib import Path

import grading_fixtures as fx
import nbformat
import numpy as np
import pandas as pd
import pytest

import mlserving_lab.course.grading as grading
from mlserving_lab.course.grading import STATUSES, grade_submissions, main

pytestmark = pytest.mark.slow


def _feedback_sections(path: Path) -> dict[str, tuple[str, str]]:
    """``{question: (outcome label, message)}`` parsed from a student's feedback file."""
    out = {}
    for block in path.read_text(encoding="utf-8").split("\n## ")[1:]:
        head, _, body = block.partition("\n")
        m = re.match(r"(q\w+): (.+)$", head.strip())
        if m:
            out[m.group(1)] = (m.group(2), body.strip())
    return out


def _assert_row(row, exp: fx.Expected, feedback: Path | None, label: str) -> None:
    row = row.copy()
    row["reason"] = row["reason"] if isinstance(row["reason"], str) else ""
    assert row["status"] == exp.status, f"{label}: status {row['status']!r} ({row['reason']})"
    assert row["score"] == pytest.approx(exp.score), f"{label}: score {row['score']} " \
                                                     f"({row['reason']})"
    if exp.reason:
        assert re.search(exp.reason, row["reason"]), f"{label}: reason {row['reason']!r}"
    if not exp.outcomes:
        return
    sections = _feedback_sections(feedback / f"{label}.md")
    for q, outcome in exp.outcomes.items():
        got = sections[q][0].replace(" ", "_")
        assert got == outcome, f"{label}: {q} was {got}: {sections[q][1]}"
        assert not math.isnan(row[q])
    for q, pattern in exp.messages.items():
        assert re.search(pattern, sections[q][1]), f"{label}: {q} message {sections[q][1]!r}"


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """The whole start-here fixture set graded once, in parallel."""
    root = tmp_path_factory.mktemp("grading")
    subs = root / "submissions"
    expected = fx.build_start_here_set(subs)
    feedback = root / "feedback"
    out = root / "grades.csv"
    paths = sorted(subs.glob("*.ipynb"), key=lambda p: (p.stem not in fx.SLOW, p.stem))
    df = grade_submissions(paths, timeout=fx.TIMEOUT, check_timeout=fx.CHECK_TIMEOUT,
                           max_memory_mb=fx.MAX_MEMORY_MB, jobs=2, feedback_dir=feedback,
                           out=out, progress=False)
    batch_id = grading._last_batch_id
    return df, expected, feedback, out, batch_id


def test_every_fixture_gets_its_expected_grade(batch):
    df, expected, feedback, _, _ = batch
    assert sorted(df["student"]) == sorted(expected)
    rows = df.set_index("student")
    failures = []
    for name, exp in expected.items():
        try:
            _assert_row(rows.loc[name], exp, feedback, name)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_gradebook_csv_columns_and_types(batch):
    df, expected, _, out, _ = batch
    csv = pd.read_csv(out)
    assert list(csv.columns) == ["student", "exercise", "score", "max_score", "status",
                                 "reason", "q1", "q2", "q3", "seconds"]
    assert len(csv) == len(expected)
    assert set(csv["status"]) <= set(STATUSES)
    assert set(csv["status"]) == set(STATUSES)  # the fixture set exercises every status
    graded = csv[csv["exercise"] == "l00_start_here"]
    assert (graded["max_score"] == 4).all()
    assert (graded["score"] == graded[["q1", "q2", "q3"]].sum(axis=1)).all()
    invalid = csv[csv["status"] == "invalid notebook"]
    assert invalid[["q1", "q2", "q3"]].isna().all().all()
    assert (csv["seconds"] >= 0).all()
    assert not list(out.parent.glob(".grades.csv*")), "a temporary file was left behind"


def test_repeatable_and_independent_of_jobs(batch, tmp_path):
    df, _, _, _, _ = batch
    rows = df.set_index("student")
    assert rows.loc["correct", "score"] == rows.loc["correct_again", "score"] == 4
    subs = tmp_path / "subs"
    fx.build_start_here_set(subs)
    again = grade_submissions([subs / "wrong_known.ipynb", subs / "partly_right.ipynb",
                               subs / "empty.ipynb"],
                              timeout=60, jobs=1, progress=False).set_index("student")
    cols = ["exercise", "score", "status", "q1", "q2", "q3"]
    pd.testing.assert_frame_equal(again[cols], rows.loc[again.index, cols])


def test_feedback_files_and_class_summary(batch):
    df, expected, feedback, _, _ = batch
    for name in expected:
        assert (feedback / f"{name}.md").exists()
    text = (feedback / "correct.md").read_text()
    assert "Score: **4 / 4**" in text and "## q3: correct" in text
    summary = (feedback / "summary.md").read_text()
    assert "| q1 | " in summary and "pass rate" in summary
    n_graded = (df["exercise"] == "l00_start_here").sum()
    n_q1 = int(re.search(r"\| q1 \| \d+% \| (\d+) \|", summary).group(1))
    assert n_q1 == sum(1 for name, e in expected.items() if e.outcomes.get("q1") == "correct")
    assert f"`l00_start_here` ({n_graded} submissions, max 4 points)" in summary
    png = feedback / "score_histogram.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_process_is_left_running(batch):
    # Every process of the batch (sandbox, driver, kernel, recorder) carries the batch id.
    assert fx.processes_of_batch(batch[-1]) == []


def test_console_command_with_exercise_flag(tmp_path):
    expected = fx.build_exercise_flag_set(tmp_path / "subs")
    out = tmp_path / "grades.csv"
    exe = Path(sys.executable).with_name("mlserving-lab")
    proc = subprocess.run([str(exe), "grade", *sorted(str(p) for p in (tmp_path / "subs")
                                                        .glob("*.ipynb")),
                           "--exercise", "l00_start_here", "--out", str(out),
                           "--feedback", str(tmp_path / "fb"), "--timeout", "60",
                           "--jobs", "2"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "graded 2 submissions" in proc.stdout
    assert "grading" in proc.stderr  # the progress bar
    rows = pd.read_csv(out).set_index("student")
    for name, exp in expected.items():
        _assert_row(rows.loc[name], exp, tmp_path / "fb", name)


@pytest.mark.parametrize("argv, message", [
    ([], "no submissions given"),
    (["missing.ipynb"], "does not exist"),
    (["{nb}", "--jobs", "0"], "jobs must be a positive integer"),
    (["{nb}", "--timeout", "-1"], "timeout must be a positive number"),
    (["{nb}", "--exercise", "ex9_nope"], "unknown exercise 'ex9_nope'; available: "),
    (["{nb}", "--timeout", "soon"], "invalid float value"),
])
def test_usage_errors_exit_2(argv, message, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nb = tmp_path / "a.ipynb"
    nb.write_text("")
    code = main([a.replace("{nb}", str(nb)) for a in argv])
    assert code == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "grades.csv").exists()


def test_api_bad_arguments_raise_clear_errors(tmp_path):
    nb = tmp_path / "a.ipynb"
    nb.write_text("")
    (tmp_path / "empty_folder").mkdir()
    with pytest.raises(ValueError, match="no submissions to grade"):
        grade_submissions([tmp_path / "empty_folder"], progress=False)
    with pytest.raises(ValueError, match="max_memory_mb must be 0"):
        grade_submissions([nb], max_memory_mb=10, progress=False)
    with pytest.raises(ValueError, match="check_timeout must be a positive number"):
        grade_submissions([nb], check_timeout=math.inf, progress=False)


def test_folder_argument_and_invalid_only_batch(tmp_path):
    (tmp_path / "x.ipynb").write_text("{")
    (tmp_path / "notes.txt").write_text("not a submission")
    df = grade_submissions(tmp_path, progress=False, out=tmp_path / "g.csv")
    assert df["student"].tolist() == ["x"]
    assert df.loc[0, "status"] == "invalid notebook"
    assert df.loc[0, "score"] == 0


def test_correct_and_blank_of_every_exercise(tmp_path):
    pairs = fx.build_exercise_pairs(tmp_path)
    if not pairs:
        pytest.skip("no exercise notebooks yet")
    df = grade_submissions(sorted(tmp_path.glob("*.ipynb")), timeout=240, jobs=2,
                           feedback_dir=tmp_path / "fb", progress=False)
    rows = df.set_index("student")
    failures = []
    for name, (exercise, exp) in pairs.items():
        assert rows.loc[name, "exercise"] == exercise
        try:
            _assert_row(rows.loc[name], exp, tmp_path / "fb", name)
        except AssertionError as exc:
            failures.append(str(exc))
    assert not failures, "\n".join(failures)


def test_an_unexpected_grader_error_becomes_an_error_row(tmp_path, monkeypatch):
    import mlserving_lab.course.grading as grading

    real = grading._read_notebook

    def flaky(path):
        if path.stem == "boom":
            raise RuntimeError("disk on fire")
        return real(path)

    monkeypatch.setattr(grading, "_read_notebook", flaky)
    (tmp_path / "boom.ipynb").write_text("{}")
    (tmp_path / "fine.ipynb").write_text("")
    df = grade_submissions(tmp_path, jobs=2, progress=False).set_index("student")
    assert df.loc["boom", "status"] == "error"
    assert df.loc["boom", "reason"] == "grader error: RuntimeError: disk on fire"
    assert df.loc["fine", "status"] == "invalid notebook"


def test_a_wedged_runner_is_killed_and_reported(tmp_path, monkeypatch):
    import mlserving_lab.course.grading as grading

    nbformat.write(fx.correct_notebook(fx.START_HERE), tmp_path / "stuck.ipynb")
    monkeypatch.setattr(grading, "_EXTRACT_TIMEOUT", 0)
    monkeypatch.setattr(grading, "_STARTUP_TIMEOUT", 0)
    monkeypatch.setattr(grading, "_HARD_LIMIT_SLACK", 0)
    monkeypatch.setattr(grading, "_RECORD_SLACK", 0)
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    monkeypatch.setattr(grading, "_driver_cmd", lambda job: sleeper)
    started = time.perf_counter()
    df = grade_submissions([tmp_path / "stuck.ipynb"], timeout=1, check_timeout=1,
                           progress=False)
    assert time.perf_counter() - started < 30
    row = df.iloc[0]
    assert row["status"] == "timeout"
    assert re.search(r"did not finish in \d+ s and was stopped", row["reason"])
    assert row["score"] == 0 and row["q1"] == 0


def test_onnxruntime_sessions_survive_the_trip_to_the_grading_process():
    import pickle

    from sklearn.linear_model import LogisticRegression

    from mlserving_lab.course._grade_worker import _answer_pickler
    from mlserving_lab.datasets import make_classification_split
    from mlserving_lab.export import to_onnx

    X_train, X_test, y_train, _ = make_classification_split(n_samples=300)
    onx = to_onnx(LogisticRegression().fit(X_train, y_train), X_train)
    # A learner may hold a raw onnxruntime session (OnnxPredictor itself pickles fine).
    session = onx.session
    with pytest.raises(TypeError, match="cannot pickle"):
        pickle.dumps(session)
    buffer = io.BytesIO()
    _answer_pickler(buffer).dump({"model": onx, "session": session})
    back = pickle.loads(buffer.getvalue())
    assert (back["model"].predict(X_test) == onx.predict(X_test)).all()
    feed = {session.get_inputs()[0].name: X_test.astype("float32")}
    np.testing.assert_array_equal(back["session"].run(None, feed)[0], session.run(None, feed)[0])


def test_mixed_exercises_get_the_union_of_question_columns():
    from mlserving_lab.course.grading import _gradebook, _Submission

    a = _Submission(Path("a.ipynb"), "a", "ex_a", questions=["q1", "q2"], max_score=3,
                    results={"q1": {"points": 1.0}, "q2": {"points": 2.0}})
    b = _Submission(Path("b.ipynb"), "b", "ex_b", questions=["q1", "q2", "q3", "q4"],
                    max_score=4, results={"q4": {"points": 1.0}})
    c = _Submission(Path("c.ipynb"), "c", status="invalid notebook", reason="the file is empty")
    df = _gradebook([a, b, c])
    assert list(df.columns) == ["student", "exercise", "score", "max_score", "status", "reason",
                                "q1", "q2", "q3", "q4", "seconds"]
    assert df["score"].tolist() == [3.0, 1.0, 0.0]
    assert math.isnan(df.loc[0, "q3"]) and df.loc[1, "q3"] == 0.0
    assert df.loc[2, ["q1", "q2", "q3", "q4", "max_score"]].isna().all()
