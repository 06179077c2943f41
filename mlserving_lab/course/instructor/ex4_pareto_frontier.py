"""Hidden (grading-only) checks of exercise 4.

* q1: a longer re-timing of the learner's models (more calls than the public check, so the
  order of models that are 3x apart is judged on a steadier median);
* q2, q3: the learner's ``pareto`` and ``choose`` on many small seeded tables drawn from a
  coarse grid, so that exact ties, duplicates and budgets exactly on a p99 are everywhere.
"""

from __future__ import annotations

import numpy as np

from mlserving_lab.course.exercises import ex4_pareto_frontier as ex4

#: Seeded grid tables per hidden check (each call is recorded once in the sandbox).
N_TABLES = 12


def grid_tables(seed: int = 4, n_tables: int = N_TABLES) -> list:
    """Small tables on a coarse grid of p99 / accuracy values: ties everywhere."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    tables = []
    for i in range(n_tables):
        n = int(rng.integers(2, 8))
        p99 = rng.choice([0.5, 1.0, 2.0, 4.0], size=n)
        p50 = p99 * rng.choice([0.3, 0.6, 0.9], size=n)
        acc = rng.choice([0.8, 0.85, 0.9], size=n)
        # names sort in a random order, not in row order: full ties test the name rule
        names = [f"{'abcdefgh'[int(k)]}_m{j}" for j, k in enumerate(rng.permutation(n))]
        tables.append((f"the checker's grid table #{i + 1}",
                       pd.DataFrame({"p50_ms": p50, ex4.LATENCY: p99, ex4.SCORE: acc},
                                    index=names)))
    return tables


def hidden_retime(models, table):
    """Re-time every model with more calls than the public check; judge order and magnitude."""
    if not isinstance(models, dict) or not models:
        return
    names = {str(n): n for n in table.index}
    claimed = {str(k): float(table.loc[names[str(k)], "p50_ms"]) for k in models
               if str(k) in names}
    ex4.judge_latencies(models, claimed, ex4.draw_data(ex4.DATA, ex4.N_UNSEEN)[1], n_runs=30)


def hidden_pareto_grid(pareto, table):
    ex4.check_frontier_function(pareto, grid_tables(), "pareto")


def hidden_choose_grid(choose, table, choice):
    cases = []
    for where, t in grid_tables(seed=5):
        for budget in sorted(set(t[ex4.LATENCY].astype(float)))[:2] + [0.25]:
            cases.append((where, t, float(budget)))
    ex4.check_choice_function(choose, cases, "choose")


HIDDEN = {
    "q1": (hidden_retime,),
    "q2": (hidden_pareto_grid,),
    "q3": (hidden_choose_grid,),
}
