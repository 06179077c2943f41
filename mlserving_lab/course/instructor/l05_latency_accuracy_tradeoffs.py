"""Hidden (grading-only) checks of lesson 05.

* q1: a longer re-timing of the learner's candidates (order and magnitude);
* q2: the learner's ``dominates`` on rows of seeded grid tables (ties everywhere), compared
  with the rule, and the frontier that their own ``dominates`` gives on their table.
"""

from __future__ import annotations

from mlserving_lab.course.exercises import ex4_pareto_frontier as ex4
from mlserving_lab.course.exercises import l05_latency_accuracy_tradeoffs as l05
from mlserving_lab.course.exercises.core import Incorrect, call
from mlserving_lab.course.instructor.ex4_pareto_frontier import grid_tables


def hidden_retime(candidates, table):
    if not isinstance(candidates, dict) or not candidates:
        return
    names = {str(n): n for n in table.index}
    claimed = {str(k): float(table.loc[names[str(k)], "p50_ms"]) for k in candidates
               if str(k) in names}
    ex4.judge_latencies(candidates, claimed, ex4.draw_data(l05.DATA, l05.N_UNSEEN)[1],
                        n_runs=30)


def hidden_dominates_grid(dominates, table, frontier):
    for where, t in grid_tables(seed=7, n_tables=4):
        for a in t.index:
            for b in t.index:
                if a == b:
                    continue
                ra, rb = t.loc[a], t.loc[b]
                want = bool(ra["p99_ms"] <= rb["p99_ms"] and ra["accuracy"] >= rb["accuracy"]
                            and (ra["p99_ms"] < rb["p99_ms"] or ra["accuracy"] > rb["accuracy"]))
                out = call(dominates, ra.copy(), rb.copy())
                if bool(out) != want:
                    raise Incorrect(f"on rows of {where}, `dominates(a, b)` returns {bool(out)} "
                                    f"for a: {l05._show_row(ra)} and b: {l05._show_row(rb)}; "
                                    f"the answer is {want}")
    # the frontier the learner's own test gives on their table is the one they stored
    mine = {str(n) for n in table.index if not any(
        bool(call(dominates, table.loc[m].copy(), table.loc[n].copy()))
        for m in table.index if m != n)}
    ex4.check_frontier(table, sorted(mine), "the frontier your `dominates` gives")


HIDDEN = {
    "q1": (hidden_retime,),
    "q2": (hidden_dominates_grid,),
}
