"""Reference DC-OPF optima of the shipped PGLib-OPF cases, computed with pandapower.

    pip install pandapower==3.5.6 matpowercaseframes
    python3 ml-worker/dispatch/tools/pandapower_reference.py > ml-worker/dispatch/tests/fixtures/pglib_dcopf_reference.json

For each case and load scaling (every bus demand Pd times the factor, bus shunts unchanged) it runs
`pandapower.rundcopp` and records the optimal cost and the number of branches (lines and
transformers) at their rating (loading >= 99.99 %). Because pandapower's interior-point solver
(PIPS) stops a hair inside some limits, the same LP is also solved independently as a vertex
solution (scipy's HiGHS on MATPOWER's `makeBdc` formulation, `highs_dcopf` below), whose cost and
count of branches at their rating (|flow| >= 99.99 % of rateA) are recorded too. pandapower is
used only here, to produce the
fixture that `tests/reference.rs` checks gridbrain-dispatch's own LP against; it is never a
runtime dependency.
"""
import json
import os
import sys
import warnings

import numpy as np
import pandapower as pp
import scipy.sparse as sp
from matpowercaseframes import CaseFrames
from pandapower.converter.matpower.from_mpc import from_mpc
from scipy.optimize import linprog

warnings.filterwarnings("ignore")
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data", "pglib")
CASES = {
    "case118": ("pglib_opf_case118_ieee.m", [0.8, 1.0, 1.1]),
    "case118_api": ("pglib_opf_case118_ieee__api.m", [0.8, 0.9, 1.0]),
    "case300": ("pglib_opf_case300_ieee.m", [0.8, 1.0, 1.05]),
    "case1354": ("pglib_opf_case1354_pegase.m", [0.8, 1.0, 1.05]),
}


def highs_dcopf(path, scale):
    """DC-OPF of a MATPOWER case with linear costs (makeBdc conventions), by HiGHS."""
    cf = CaseFrames(path)
    bus = cf.bus.values.astype(float)
    gen = cf.gen.values.astype(float)
    br = cf.branch.values.astype(float)
    gc = cf.gencost.values.astype(float)[: gen.shape[0]]
    base = float(cf.baseMVA)
    nb = bus.shape[0]
    idx = {int(b): i for i, b in enumerate(bus[:, 0])}
    br = br[br[:, 10] > 0]
    on = gen[:, 7] > 0
    gen, gc = gen[on], gc[on]
    assert (gc[:, 3] == 3).all() and (gc[:, 4] == 0).all(), "linear costs only"
    f = np.array([idx[int(x)] for x in br[:, 0]])
    t = np.array([idx[int(x)] for x in br[:, 1]])
    tap = np.where(br[:, 8] == 0, 1.0, br[:, 8])
    b = 1 / (br[:, 3] * tap)
    pfinj = b * (-br[:, 9] * np.pi / 180)
    nl = len(b)
    cft = sp.csr_matrix(
        (np.r_[np.ones(nl), -np.ones(nl)], (np.r_[np.arange(nl), np.arange(nl)], np.r_[f, t])), shape=(nl, nb)
    )
    bf = sp.diags(b) @ cft
    bbus = cft.T @ bf
    pbusinj = cft.T @ pfinj
    ref = int(np.where(bus[:, 1] == 3)[0][0])
    nr = [i for i in range(nb) if i != ref]
    x = np.zeros((nb, nb))
    x[np.ix_(nr, nr)] = np.linalg.inv(bbus[nr][:, nr].toarray())
    ptdf = bf @ x
    pd = bus[:, 2] * scale / base
    gs = bus[:, 4] / base
    ng = gen.shape[0]
    cg = np.zeros((nb, ng))
    cg[[idx[int(g)] for g in gen[:, 0]], np.arange(ng)] = 1
    c0 = ptdf @ (-pd - gs - pbusinj) + pfinj
    a = ptdf @ cg
    rate = br[:, 5] / base
    r = linprog(
        gc[:, 5] * base,
        A_ub=np.vstack([a, -a]),
        b_ub=np.r_[rate - c0, rate + c0],
        A_eq=np.ones((1, ng)),
        b_eq=[pd.sum() + gs.sum()],
        bounds=list(zip(gen[:, 9] / base, gen[:, 8] / base)),
        method="highs",
    )
    assert r.status == 0, r.message
    flows = a @ r.x + c0
    return float(r.fun + gc[:, 6].sum()), int((np.abs(flows) >= rate * 0.9999).sum())


def at_limit(res):
    return int((res.loading_percent.abs() >= 99.99).sum())


out = {"pandapower": pp.__version__, "scipy_highs": __import__("scipy").__version__, "cases": {}}
for name, (file, scales) in CASES.items():
    rows = []
    for scale in scales:
        net = from_mpc(os.path.join(DATA, file), f_hz=60)
        # from_mpc turns negative bus demand into (uncontrollable) static generators: scale
        # those too, so that the scaled case is MATPOWER's Pd x factor.
        net.load["p_mw"] *= scale
        net.sgen["p_mw"] *= scale
        try:
            pp.rundcopp(net)
        except Exception as e:  # infeasible: recorded as such
            print(f"{name} x{scale}: {e}", file=sys.stderr)
            rows.append({"scale": scale, "cost": None})
            continue
        binding = at_limit(net.res_line) + at_limit(net.res_trafo)
        h_cost, h_binding = highs_dcopf(os.path.join(DATA, file), scale)
        rows.append(
            {
                "scale": scale,
                "cost": float(net.res_cost),
                "branches_at_limit": binding,
                "highs_cost": h_cost,
                "highs_branches_at_limit": h_binding,
            }
        )
        print(
            f"{name} x{scale}: cost {net.res_cost:.4f}, {binding} branches at limit; "
            f"HiGHS {h_cost:.4f}, {h_binding} at limit",
            file=sys.stderr,
        )
    out["cases"][name] = rows
json.dump(out, sys.stdout, indent=1)
print()
