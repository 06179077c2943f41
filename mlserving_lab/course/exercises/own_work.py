"""Is a learner's function their own work, or a call to the library's version of the answer?

Each graded question that asks for a function teaches a mechanism (the dominance test, the PSI
bins, the fallback), and the cell after the question shows the library's version of it. A
function whose body just calls that version gives the checker the right numbers without the
learner having written anything, so the check does not credit it.

The test is static: it reads the names the function's code refers to (its globals, attribute
names, imports inside the body, closures and defaults, and the learner's own helper functions
it calls, recursively) and resolves them to objects. It never runs learner code, adds nothing
to a learner's timing loop, and, like every look at learner objects, runs on the learner's
side (:func:`~mlserving_lab.course.exercises.core.on_learner_side`) so that grading replays it
as data.

It only looks for the *answer*: a function that uses other library helpers (a data loader,
``LatencyReport`` to print a result) is its own work.
"""

from __future__ import annotations

import importlib
import sys
import types

__all__ = ["LIBRARY_VERSIONS", "library_versions_used", "reference_names"]

#: ``(exercise, question) -> dotted names``: the library's version of what a question asks the
#: learner to write (the cell after the question shows it). A learner function that calls one
#: of them is not credited.
LIBRARY_VERSIONS: dict[tuple[str, str], tuple[str, ...]] = {
    ("l01_training_vs_inference", "q2"): ("mlserving_lab.measure.benchmark_latency",
                                          "mlserving_lab.measure.round_robin_latency"),
    ("l02_model_optimization", "q1"): ("mlserving_lab.quantize.quantize_array",),
    ("l02_model_optimization", "q3"): ("mlserving_lab.distill.duplicate_rows",
                                       "mlserving_lab.distill.sklearn_distillation"),
    ("l03_serving_patterns", "q3"): ("mlserving_lab.serving.RealTimePredictor",),
    ("l04_training_serving_skew", "q2"): ("mlserving_lab.schema.InputSchema.from_training",),
    ("l05_latency_accuracy_tradeoffs", "q2"): ("mlserving_lab.tradeoffs.pareto_mask",
                                               "mlserving_lab.tradeoffs.pareto_frontier"),
    ("l06_model_packaging", "q2"): ("mlserving_lab.packaging.load_artifact",),
    ("l06_model_packaging", "q3"): ("mlserving_lab.packaging.version_differences",),
    ("l07_monitoring_drift", "q3"): ("mlserving_lab.drift.DriftDetector",),
    ("l07_monitoring_drift", "q4"): ("mlserving_lab.drift.adjust_pvalues",),
    ("l07_monitoring_drift", "q5"): ("mlserving_lab.monitoring.retraining_decision",),
    ("ex1_optimization_benchmark", "q2"): ("mlserving_lab.distill.duplicate_rows",
                                           "mlserving_lab.distill.sklearn_distillation",
                                           "mlserving_lab.distill.distill_torch"),
    ("ex1_optimization_benchmark", "q4"): ("mlserving_lab.measure.round_robin_latency",
                                           "mlserving_lab.measure.benchmark_latency",
                                           "mlserving_lab.measure.measure_models"),
    ("ex1_optimization_benchmark", "q6"): ("mlserving_lab.tradeoffs.choose_within_budget",),
    ("ex2_skew_prevention", "q2"): ("mlserving_lab.packaging.predict_in_subprocess",
                                    "mlserving_lab.packaging.load_artifact"),
    ("ex3_drift_detection", "q1"): ("mlserving_lab.drift.ks_test",
                                    "mlserving_lab.drift.adjust_pvalues",
                                    "mlserving_lab.drift.DriftDetector"),
    ("ex3_drift_detection", "q2"): ("mlserving_lab.drift.psi", "mlserving_lab.drift.psi_band",
                                    "mlserving_lab.drift.DriftDetector"),
    # q3 and q4 grade the same two functions again, on new data.
    ("ex3_drift_detection", "q3"): ("mlserving_lab.drift.ks_test", "mlserving_lab.drift.psi",
                                    "mlserving_lab.drift.adjust_pvalues",
                                    "mlserving_lab.drift.DriftDetector"),
    ("ex3_drift_detection", "q4"): ("mlserving_lab.drift.ks_test", "mlserving_lab.drift.psi",
                                    "mlserving_lab.drift.adjust_pvalues",
                                    "mlserving_lab.drift.DriftDetector"),
    ("ex4_pareto_frontier", "q2"): ("mlserving_lab.tradeoffs.pareto_mask",
                                    "mlserving_lab.tradeoffs.pareto_frontier"),
    ("ex4_pareto_frontier", "q3"): ("mlserving_lab.tradeoffs.choose_within_budget",),
}

_MAX_FUNCTIONS = 64  # learner helpers followed from one answer


def reference_names(exercise: str | None, question: str) -> tuple[str, ...]:
    """The dotted names :data:`LIBRARY_VERSIONS` lists for one question (may be empty)."""
    return LIBRARY_VERSIONS.get((exercise or "", question), ())


def _resolve(dotted: str):
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for part in parts[cut:]:
            found = getattr(found, part)
        return found
    raise ImportError(dotted)


def _targets(names) -> dict[int, tuple[str, object]]:
    """id(object) -> (dotted name, object) for every form a reference can take in code."""
    out: dict[int, tuple[str, object]] = {}
    for name in names:
        obj = _resolve(name)
        for form in (obj, getattr(obj, "__func__", None), getattr(obj, "__wrapped__", None)):
            if form is not None:
                out[id(form)] = (name, form)
        code = getattr(getattr(obj, "__func__", obj), "__code__", None)
        if code is not None:
            out[id(code)] = (name, code)
    return out


def _is_library_function(fn) -> bool:
    module = getattr(fn, "__module__", None) or ""
    root = module.split(".")[0]
    return root in sys.stdlib_module_names or root in ("mlserving_lab", "numpy", "pandas",
                                                       "sklearn", "scipy", "torch")


def _codes(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _codes(const)


def library_versions_used(fn, names) -> list[str]:
    """The names in ``names`` that the learner's function ``fn`` is or refers to, sorted.

    Parameters
    ----------
    fn : callable
        A function the learner wrote (methods, ``functools.partial`` and callable objects of
        the learner's classes are followed to their functions).
    names : sequence of str
        Dotted names of library callables, e.g. ``"mlserving_lab.tradeoffs.pareto_mask"``.

    Returns
    -------
    list of str
        Empty when the function only uses other things.

    Examples
    --------
    >>> from mlserving_lab.tradeoffs import pareto_mask
    >>> def mine(table):
    ...     return list(table.index[pareto_mask(table)])
    >>> library_versions_used(mine, ["mlserving_lab.tradeoffs.pareto_mask"])
    ['mlserving_lab.tradeoffs.pareto_mask']
    >>> def own(table):
    ...     return [n for n in table.index if not (table.p99_ms < table.p99_ms[n]).all()]
    >>> library_versions_used(own, ["mlserving_lab.tradeoffs.pareto_mask"])
    []
    """
    import functools

    targets = _targets(names)
    found: set[str] = set()
    seen: set[int] = set()
    todo = [fn]

    def hit(value) -> bool:
        """Note ``value`` when it is a reference (or a classmethod/staticmethod of one)."""
        target = targets.get(id(value)) or targets.get(id(getattr(value, "__func__", None)))
        if target is not None:
            found.add(target[0])
        return target is not None

    def look(value, queue) -> None:
        if hit(value):
            return
        if isinstance(value, (types.FunctionType, types.MethodType, functools.partial)) or (
                callable(value) and not isinstance(value, type)
                and not _is_library_function(type(value))):
            queue.append(value)

    hit(fn)  # the answer may be the library's version itself
    while todo and len(seen) < _MAX_FUNCTIONS:
        item = todo.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, functools.partial):
            todo.append(item.func)
            for value in (*item.args, *item.keywords.values()):
                look(value, todo)
            continue
        if isinstance(item, types.MethodType):
            look(item.__func__, todo)
            continue
        if not isinstance(item, types.FunctionType):
            call = type(item).__dict__.get("__call__")
            if isinstance(call, types.FunctionType):
                todo.append(call)
            continue
        if item is not fn and _is_library_function(item):  # the answer itself is theirs
            continue
        scope = dict(item.__globals__)
        for name, cell in zip(item.__code__.co_freevars, item.__closure__ or (), strict=False):
            try:
                scope[name] = cell.cell_contents  # closed-over names shadow the globals
            except ValueError:  # an empty cell
                pass
        for value in (*(item.__defaults__ or ()), *(item.__kwdefaults__ or {}).values()):
            look(value, todo)
        modules = []
        attributes = set()
        for code in _codes(item.__code__):
            if id(code) in targets:
                found.add(targets[id(code)][0])
            for name in (*code.co_names, *code.co_freevars):
                attributes.add(name)
                value = scope.get(name, None)
                if value is None and name in sys.modules:  # `import a.b` inside the body
                    value = sys.modules[name]
                if isinstance(value, types.ModuleType):
                    modules.append(value)
                elif value is not None:
                    look(value, todo)
        # Attribute chains: `tradeoffs.pareto_mask`, `mlserving_lab.drift.psi`,
        # `InputSchema.from_training`, and `from a.b import c` inside the body.
        owners = [*modules, *(v for n in attributes if isinstance(v := scope.get(n), type))]
        checked: set[int] = set()
        while owners:
            owner = owners.pop()
            if id(owner) in checked:
                continue
            checked.add(id(owner))
            for name in attributes:
                value = getattr(owner, name, None) if isinstance(owner, types.ModuleType) \
                    else owner.__dict__.get(name)
                if value is None:
                    continue
                if not hit(value) and isinstance(value, (types.ModuleType, type)):
                    owners.append(value)
    return sorted(found)
