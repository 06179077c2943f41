"""mlserving_lab: the helper library behind the mlserving-lab course workbook.

Import the submodule you need; importing the package itself stays cheap (torch, onnx and dask
load only when a function that uses them runs).

Two layers
----------
The library, one concern per module; it never imports the course:

datasets     seeded synthetic data for the lessons
measure      one-row latency percentiles, size on disk, one table for a set of models
quantize     teaching quantizer, ONNX Runtime / torch quantization (lesson 02)
prune        tree pruning sweeps, torch magnitude pruning (lesson 02)
distill      distillation with real soft targets (lesson 02)
export       ONNX / TorchScript / torch.export export and the parity check (lesson 02)
serving      batch, streaming and real-time predictors; the pattern decision (lesson 03)
schema       InputSchema: learn, validate and emit the serving input (lesson 04)
skew         the training-serving skew check (lesson 04)
checklist    the pre-deployment checklist audit (lesson 04)
tradeoffs    latency-accuracy tables and the Pareto frontier (lesson 05)
packaging    model artifacts with metadata and integrity checks (lesson 06)
drift        KS, PSI, JS and chi-square drift detection (lesson 07)
monitoring   prediction, range and latency monitors; the retraining rule (lesson 07)
errors       every exception and warning, under MLServingError / MLServingWarning
atomic       safe file writes (temporary file, then rename)
environment  installed versions against the tested ones

The course, built on the library's public names (``mlserving_lab.course``):

course.exercises   the check / hint / solution framework and every notebook's questions
course.release     generate learner notebooks from solutions/
course.grading     grade a folder of submitted notebooks
course.cli         the ``mlserving-lab`` command
"""

__version__ = "0.1.0"

from mlserving_lab.environment import check_environment  # noqa: E402

__all__ = ["__version__", "check_environment"]
