"""Hidden (grading-only) checks of lesson 06.

Each check has its question's checker signature and runs only in ``q.grade(...)``.
"""

from __future__ import annotations

from mlserving_lab.course.exercises.core import Incorrect, call, on_learner_side
from mlserving_lab.course.exercises.l06_model_packaging import (
    artifact_facts,
    judge_integrity,
    load_churn_data,
    true_mismatches,
)
from mlserving_lab.course.exercises.remeasure import num


def fresh_process_predictions(artifact_dir):
    """Load the learner's model file in a NEW Python process and return its test accuracy.

    A pipeline that needs a class defined in the notebook loads in the notebook's kernel but
    not in a service: only a fresh process shows that the file is self-contained.
    """
    import json
    import subprocess
    import sys
    from pathlib import Path

    folder = Path(str(artifact_dir))
    meta = json.loads((folder / "metadata.json").read_text(encoding="utf-8"))
    code = (
        "import sys, json\n"
        "from pathlib import Path\n"
        "from mlserving_lab.datasets import make_mixed_split\n"
        "path = Path(sys.argv[1])\n"
        "if path.suffix == '.skops':\n"
        "    import skops.io as sio\n"
        "    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))\n"
        "else:\n"
        "    import joblib\n"
        "    model = joblib.load(path)\n"
        "_, X_test, _, y_test = make_mixed_split(2000, random_state=0)\n"
        "print(json.dumps(float((model.predict(X_test) == y_test.to_numpy()).mean())))\n")
    proc = subprocess.run([sys.executable, "-c", code, str(folder / meta["model_file"])],
                          capture_output=True, text=True, timeout=120, check=False)
    if proc.returncode != 0:
        return {"ok": False, "error": proc.stderr.strip().splitlines()[-1:] or ["(no output)"]}
    return {"ok": True, "accuracy": json.loads(proc.stdout.strip().splitlines()[-1])}


def q1_fresh_process(artifact_dir):
    out = on_learner_side(fresh_process_predictions, artifact_dir)
    if not out["ok"]:
        raise Incorrect("your model file does not load in a fresh Python process (it does in "
                        f"the notebook): {out['error'][0]}. Does the pipeline use a class or "
                        "function defined in the notebook? Put it in a module, or use a "
                        "scikit-learn transformer.")
    import numpy as np

    facts = on_learner_side(artifact_facts, artifact_dir)
    y_test = load_churn_data()[3]
    here = float(np.mean(np.asarray(facts["model"]["test_pred"]) == y_test.to_numpy()))
    if abs(out["accuracy"] - here) > 1e-9:
        raise Incorrect(f"loaded in a fresh process, your model file scores "
                        f"{num(out['accuracy'])} on X_test, but {num(here)} when loaded in "
                        "the notebook: the file depends on the notebook's state")


def q2_more_tampering(verify_artifact):
    """The metadata's hash edited (model intact), and a skops artifact intact and changed."""
    for case, must_raise in (("edited_hash", True), ("skops_intact", False),
                             ("skops_flipped_byte", True)):
        judge_integrity(verify_artifact, case, must_raise)


def q3_empty_and_equal(mismatched_libraries):
    """An empty record and a record that only differs in how the version is written."""
    from mlserving_lab.course.exercises.l06_model_packaging import installed_version

    numpy_version = installed_version("numpy")
    for saved in ({}, {"numpy": numpy_version, "scikit-learn": installed_version("scikit-learn")},
                  {"numpy": f"{numpy_version}.0.0"}):
        out = call(mismatched_libraries, dict(saved))
        got = sorted(str(x) for x in out) if hasattr(out, "__iter__") and not isinstance(
            out, (str, bytes, dict)) else out
        if got != true_mismatches(saved):
            raise Incorrect(f"for the recorded versions {saved} your `mismatched_libraries` "
                            f"returned {got!r}, but nothing differs: expected "
                            f"{true_mismatches(saved)}")


HIDDEN = {
    "q1": (q1_fresh_process,),
    "q2": (q2_more_tampering,),
    "q3": (q3_empty_and_equal,),
}
