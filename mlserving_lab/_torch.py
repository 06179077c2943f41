"""Internal torch helpers shared by export, quantize, prune and distill (not public API).

torch is imported inside each function, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
import copy
import io
import logging
import warnings


@contextlib.contextmanager
def quiet_torch():
    """Silence the warnings and log lines torch prints for things we know are expected.

    TorchScript (``torch.jit``) and ``torch.ao.quantization`` raise DeprecationWarnings in
    torch 2.13 (the notebooks say so in words), and the dynamo ONNX exporter logs one line per
    missing optional package.
    """
    loggers = [logging.getLogger(n) for n in ("torch.onnx", "torch.export", "torch._dynamo",
                                              "torch.fx", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            warnings.simplefilter("ignore", UserWarning)
            with contextlib.redirect_stdout(io.StringIO()):
                yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def check_torch_module(module, name: str = "module"):
    import torch

    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"{name} must be a torch.nn.Module, got {type(module).__name__}")
    return torch


def copy_module(module):
    """Deep copy of a torch module (pruning and quantization must not touch the original)."""
    return copy.deepcopy(module)
