"""mlserving_lab: the helper library behind the mlserving-lab course workbook.

Import the submodule you need; importing the package itself stays cheap (torch, onnx and dask
load only when a function that uses them runs).

Modules
-------
datasets     seeded synthetic data for the lessons
quantize     teaching quantizer, ONNX Runtime / torch quantization (lesson 02)
prune        tree pruning sweeps, torch magnitude pruning (lesson 02)
distill      distillation with real soft targets (lesson 02)
export       ONNX / TorchScript / torch.export export and the parity check (lesson 02)
serving      batch, streaming and real-time predictors; benchmark_latency (lesson 03)
skew         InputSchema and the training-serving skew check (lesson 04)
checklist    the pre-deployment checklist audit (lesson 04)
tradeoffs    latency-accuracy tables and the Pareto frontier (lesson 05)
packaging    model artifacts with metadata and integrity checks (lesson 06)
drift        KS, PSI, JS and chi-square drift detection (lesson 07)
monitoring   prediction, range and latency monitors; the retraining rule (lesson 07)
exercises    the check / hint / solution framework and every notebook's questions
release      generate learner notebooks from solutions/
grading      grade a folder of submitted notebooks
"""

__version__ = "0.1.0"

from mlserving_lab._env import check_environment  # noqa: E402

__all__ = ["__version__", "check_environment"]
