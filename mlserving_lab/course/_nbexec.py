"""Run notebooks in a fresh kernel of the current Python environment (tests and grading)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlserving_lab.course.exercises.core import RESULT_MIMETYPE

__all__ = ["CURRENT_ENV_KERNEL", "collect_results", "execute_notebook", "kernel_manager"]

CURRENT_ENV_KERNEL = "mlserving-lab-current-env"


def _spec_manager(extra_args=()):
    import ipykernel.kernelspec
    from jupyter_client.kernelspec import KernelSpecManager

    class _CurrentEnvSpecs(KernelSpecManager):
        """Kernel specs where our name always means 'this interpreter', whatever is installed."""

        def get_kernel_spec(self, kernel_name):
            if kernel_name == CURRENT_ENV_KERNEL:
                spec = ipykernel.kernelspec.get_kernel_dict()
                spec["argv"][0] = sys.executable
                spec["argv"] += list(extra_args)
                return self.kernel_spec_class(resource_dir=ipykernel.kernelspec.RESOURCES,
                                              **spec)
            return super().get_kernel_spec(kernel_name)

    return _CurrentEnvSpecs()


def kernel_manager():
    """A :class:`jupyter_client.KernelManager` whose kernel is ``sys.executable``."""
    from jupyter_client import KernelManager

    return KernelManager(kernel_name=CURRENT_ENV_KERNEL, kernel_spec_manager=_spec_manager())


def execute_notebook(nb, *, cwd, timeout: float = 120, allow_errors: bool = False,
                     env: dict | None = None):
    """Execute ``nb`` in place in a fresh kernel started in ``cwd`` and return it.

    Parameters
    ----------
    nb : nbformat.NotebookNode
    cwd : path
        Working directory of the kernel.
    timeout : float, default 120
        Seconds allowed per cell.
    allow_errors : bool, default False
        Keep going after a cell raises (otherwise :class:`nbclient.exceptions.CellExecutionError`).
    env : dict, optional
        Extra environment variables for the kernel.
    """
    from nbclient import NotebookClient

    km = kernel_manager()
    kernel_env = dict(os.environ)
    kernel_env.setdefault("PYTHONHASHSEED", "0")
    if env:
        kernel_env.update(env)
    client = NotebookClient(nb, km=km, timeout=timeout, allow_errors=allow_errors,
                            resources={"metadata": {"path": str(Path(cwd))}})
    try:
        client.execute(env=kernel_env, cwd=str(cwd))
    finally:
        # nbclient leaves a kernel it did not create running; ask it to exit normally so its
        # atexit handlers (scratch folders, caches) run, and kill it only if it does not.
        if km.has_kernel:
            km.shutdown_kernel(now=False)
    return nb


def collect_results(nb) -> list[dict]:
    """Every check result displayed in an executed notebook, in order."""
    found = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if RESULT_MIMETYPE in data:
                found.append(dict(data[RESULT_MIMETYPE]))
    return found
