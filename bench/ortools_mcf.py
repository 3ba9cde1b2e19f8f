#!/usr/bin/env python3
"""Solve a DIMACS min-cost-flow file with Google OR-Tools' SimpleMinCostFlow.

The reference side of caretime's side-by-side benchmark (bench/README.md): it reads the same
file as `caretime flow solve`, transforms lower bounds away the same way (capacity - low, the
supplies of both ends shifted, low * cost added to the cost), solves, and prints the optimal cost
in the file's terms and the solve time, separately from the parse time.

Usage: python3 bench/ortools_mcf.py FILE.dimacs [--json]
"""

import json
import sys
import time

import numpy as np
import pandas as pd
from ortools.graph.python import min_cost_flow


def read_dimacs(path):
    """Returns (n_nodes, supplies, tails, heads, capacities, costs, cost_offset), 0-based."""
    # Every line has at most 6 fields; the C parser pads shorter lines with NaN.
    table = pd.read_csv(
        path,
        sep=" ",
        header=None,
        names=["kind", "f1", "f2", "f3", "f4", "f5"],
        dtype={"kind": "category"},
        comment=None,
        engine="c",
        low_memory=False,
        skipinitialspace=True,
    )
    kinds = table["kind"]
    problem = table[kinds == "p"]
    if len(problem) != 1 or problem.iloc[0]["f1"] != "min":
        sys.exit("error: expected exactly one `p min NODES ARCS` line")
    n_nodes = int(problem.iloc[0]["f2"])
    arcs = table[kinds == "a"]
    tails = arcs["f1"].astype(np.int64).to_numpy() - 1
    heads = arcs["f2"].astype(np.int64).to_numpy() - 1
    lows = arcs["f3"].astype(np.int64).to_numpy()
    caps = arcs["f4"].astype(np.int64).to_numpy()
    costs = arcs["f5"].astype(np.int64).to_numpy()
    supplies = np.zeros(n_nodes, dtype=np.int64)
    nodes = table[kinds == "n"]
    if len(nodes):
        ids = nodes["f1"].astype(np.int64).to_numpy() - 1
        np.add.at(supplies, ids, nodes["f2"].astype(np.int64).to_numpy())
    cost_offset = 0
    if np.any(lows != 0):
        np.subtract.at(supplies, tails, lows)
        np.add.at(supplies, heads, lows)
        cost_offset = int(np.dot(lows.astype(object), costs.astype(object)))
        caps = caps - lows
    return n_nodes, supplies, tails, heads, caps, costs, cost_offset


def main():
    args = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    as_json = "--json" in sys.argv[1:]
    if len(args) != 1:
        sys.exit(__doc__.strip().splitlines()[-1])
    path = args[0]

    started = time.perf_counter()
    n_nodes, supplies, tails, heads, caps, costs, cost_offset = read_dimacs(path)
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    solver.set_nodes_supplies(np.arange(n_nodes, dtype=np.int64), supplies)
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    status = solver.solve()
    solve_seconds = time.perf_counter() - started
    if status != solver.OPTIMAL:
        sys.exit(f"error: OR-Tools status {status}")
    cost = solver.optimal_cost() + cost_offset

    import ortools

    report = {
        "file": path,
        "solver": f"ortools {ortools.__version__} SimpleMinCostFlow",
        "cost": cost,
        "nodes": n_nodes,
        "arcs": int(len(tails)),
        "read_seconds": round(read_seconds, 3),
        "solve_seconds": round(solve_seconds, 3),
    }
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        print(f"cost {cost}")
        print(f"nodes {n_nodes}")
        print(f"arcs {len(tails)}")
        print(f"solver {report['solver']}")
        print(f"read_seconds {read_seconds:.3f}")
        print(f"solve_seconds {solve_seconds:.3f}")


if __name__ == "__main__":
    main()
