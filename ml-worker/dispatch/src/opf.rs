//! The ground truth: DC optimal power flow, solved with Clarabel.
//!
//! ```text
//! minimize    Σ_g c2_g·P_g² + c1_g·P_g + c0_g
//! subject to  Σ_g P_g = Σ_b D_b + Σ_b Gs_b                        (power balance)
//!             Pmin_g ≤ P_g ≤ Pmax_g                               (generator limits)
//!             −F_l ≤ F_l(P) ≤ F_l                                  (rated branches)
//! ```
//!
//! When every cost is linear (the PGLib cases) `P = 0` and Clarabel solves an LP. Branch
//! limits are generated lazily: the problem is solved with the limits of a small set of
//! branches (a [`WarmStart`]: those that bound in the previous scenario), every flow is then
//! checked with one sparse power flow, and the violated branches join the set until none is
//! violated. A relaxation whose optimum satisfies every omitted constraint is optimal for the
//! full problem, so the result is exact; on real grids a handful of the thousands of branches
//! bind, which keeps the solved problems small.

use crate::{matpower::Case, network::DcNetwork, Error};
use clarabel::{algebra::CscMatrix, solver::*};
use std::collections::BTreeSet;

/// A dispatch problem over one case: the case's generators, costs and DC network.
#[derive(Clone, Debug)]
pub struct DispatchProblem {
	/// The case.
	pub case: Case,
	/// Its DC network.
	pub network: DcNetwork,
	/// Bus index of each in-service generator.
	pub gen_bus: Vec<usize>,
	/// Positions in `case.gens` of the in-service generators (the dispatch's order).
	pub gen_index: Vec<usize>,
	/// `gen_ptdf[g][l]`: flow on branch `l` per MW of generator `g` (taken at the reference
	/// bus).
	pub gen_ptdf: Vec<Vec<f64>>,
	/// Lower limit of each in-service generator, MW (the case's, cached).
	pmin: Vec<f64>,
	/// `gen_ptdf` transposed, one branch after another (`[l · gens + g]`): a branch's row over
	/// the generators is contiguous.
	ptdf_rows: Vec<f64>,
}

/// An optimal dispatch.
#[derive(Clone, Debug, PartialEq)]
pub struct Dispatch {
	/// Set-points of the in-service generators, MW.
	pub pg_mw: Vec<f64>,
	/// Generation cost, $/h.
	pub cost: f64,
	/// Branch flows, MW.
	pub flows_mw: Vec<f64>,
}

/// How far a dispatch is from feasible.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Violation {
	/// |Σ P_g − Σ D_b − Σ Gs_b|, MW.
	pub balance_mw: f64,
	/// Largest generator limit excess, MW.
	pub gen_mw: f64,
	/// Largest branch rating excess, MW.
	pub line_mw: f64,
}

impl Violation {
	/// Whether every violation is within `tol_mw`.
	pub fn within(&self, tol_mw: f64) -> bool {
		self.balance_mw <= tol_mw && self.gen_mw <= tol_mw && self.line_mw <= tol_mw
	}
}

/// The branch limits to start from, carried from one solve to the next (see the module docs).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WarmStart {
	/// Branches whose limits are included from the start.
	pub lines: BTreeSet<usize>,
	/// Problems solved by the last call (1 when the warm set was right).
	pub last_solves: usize,
}

/// Most rounds of constraint generation before giving up.
const MAX_ROUNDS: usize = 64;

/// A branch limit counts as violated beyond this, MW (relative to ratings above 1 MW).
pub fn line_tolerance(limit_mw: f64) -> f64 {
	1e-6 * limit_mw.max(1.0)
}

impl DispatchProblem {
	/// The problem of `case`.
	pub fn new(case: Case) -> Result<DispatchProblem, Error> {
		let network = DcNetwork::new(&case)?;
		let mut gen_bus = Vec::new();
		let mut gen_index = Vec::new();
		for (i, g) in case.gens.iter().enumerate().filter(|(_, g)| g.in_service) {
			let b = network
				.bus_ids
				.iter()
				.position(|&id| id == g.bus)
				.ok_or_else(|| Error::Parse(format!("generator at unknown bus {}", g.bus)))?;
			gen_bus.push(b);
			gen_index.push(i);
		}
		if case.costs.len() < case.gens.len() {
			return Err(Error::Parse("a generator has no cost".into()));
		}
		let mut by_bus = std::collections::BTreeMap::<usize, Vec<f64>>::new();
		let gen_ptdf: Vec<Vec<f64>> =
			gen_bus.iter().map(|&b| by_bus.entry(b).or_insert_with(|| network.ptdf_column(b)).clone()).collect();
		let pmin = gen_index.iter().filter_map(|&i| case.gens.get(i)).map(|g| g.pmin_mw).collect();
		let ptdf_rows = (0..network.branches.len())
			.flat_map(|l| gen_ptdf.iter().map(move |c| c.get(l).copied().unwrap_or(0.0)))
			.collect();
		Ok(DispatchProblem { case, network, gen_bus, gen_index, gen_ptdf, pmin, ptdf_rows })
	}

	/// Number of in-service generators.
	pub fn gen_count(&self) -> usize {
		self.gen_index.len()
	}

	/// Number of buses.
	pub fn bus_count(&self) -> usize {
		self.network.bus_ids.len()
	}

	/// Number of branches with a rating.
	pub fn rated_branches(&self) -> usize {
		self.network.branches.iter().filter(|b| b.limit_mw.is_some()).count()
	}

	/// The case's demand per bus, MW.
	pub fn base_loads(&self) -> Vec<f64> {
		self.case.buses.iter().map(|b| b.pd_mw).collect()
	}

	/// The case's generator limits `(pmin, pmax)`, MW.
	pub fn base_limits(&self) -> (Vec<f64>, Vec<f64>) {
		self.gen_index
			.iter()
			.filter_map(|&i| self.case.gens.get(i))
			.map(|g| (g.pmin_mw, g.pmax_mw))
			.unzip()
	}

	/// The generators' lower limits, MW (as [`DispatchProblem::base_limits`], without a copy).
	pub fn pmin(&self) -> &[f64] {
		&self.pmin
	}

	/// Branch `l`'s PTDF over the generators: the flow change per MW of each (empty for an
	/// unknown branch).
	pub fn ptdf_row(&self, l: usize) -> &[f64] {
		let n = self.gen_count();
		self.ptdf_rows.get(l.saturating_mul(n)..l.saturating_add(1).saturating_mul(n)).unwrap_or(&[])
	}

	/// Generation cost of `pg_mw`.
	pub fn cost(&self, pg_mw: &[f64]) -> f64 {
		self.gen_index
			.iter()
			.zip(pg_mw)
			.map(|(&i, &p)| self.case.costs.get(i).map_or(0.0, |c| c.at(p)))
			.sum()
	}

	/// What generation must supply under `loads_mw`: demand plus shunts, MW.
	pub fn demand(&self, loads_mw: &[f64]) -> f64 {
		loads_mw.iter().sum::<f64>() + self.network.shunt_mw.iter().sum::<f64>()
	}

	/// Net bus injections of `pg_mw` under `loads_mw` (generation − demand − shunts).
	pub fn injections(&self, pg_mw: &[f64], loads_mw: &[f64]) -> Vec<f64> {
		let mut p: Vec<f64> = loads_mw.iter().zip(&self.network.shunt_mw).map(|(d, g)| -d - g).collect();
		for (&b, &g) in self.gen_bus.iter().zip(pg_mw) {
			if let Some(v) = p.get_mut(b) {
				*v += g;
			}
		}
		p
	}

	/// Branch flows of `pg_mw` under `loads_mw`, MW.
	pub fn flows(&self, pg_mw: &[f64], loads_mw: &[f64]) -> Vec<f64> {
		self.network.flows(&self.injections(pg_mw, loads_mw))
	}

	/// Largest excess of `flows_mw` over the branch ratings, MW.
	pub fn line_excess(&self, flows_mw: &[f64]) -> f64 {
		flows_mw
			.iter()
			.zip(&self.network.branches)
			.filter_map(|(f, br)| br.limit_mw.map(|lim| (f.abs() - lim).max(0.0)))
			.fold(0.0, f64::max)
	}

	/// How far `pg_mw` is from feasible under `loads_mw` and generator upper limits `pmax_mw`.
	pub fn violation(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Violation {
		let (pmin, _) = self.base_limits();
		let balance = (pg_mw.iter().sum::<f64>() - self.demand(loads_mw)).abs();
		let gen = pg_mw
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&p, (&lo, &hi))| if p.is_finite() { (lo - p).max(p - hi).max(0.0) } else { f64::INFINITY })
			.fold(0.0, f64::max);
		let line = self.line_excess(&self.flows(pg_mw, loads_mw));
		Violation { balance_mw: balance, gen_mw: gen, line_mw: line }
	}

	/// Checks the inputs of a scenario.
	pub(crate) fn check_inputs(&self, loads_mw: &[f64], pmax_mw: &[f64]) -> Result<(), Error> {
		let ng = self.gen_count();
		let nb = self.bus_count();
		if loads_mw.len() != nb || pmax_mw.len() != ng {
			return Err(Error::Input(format!(
				"{} loads and {} limits for {} buses and {} generators",
				loads_mw.len(),
				pmax_mw.len(),
				nb,
				ng
			)));
		}
		if loads_mw.iter().chain(pmax_mw).any(|v| !v.is_finite()) {
			return Err(Error::Input("loads and limits must be finite".into()));
		}
		let (pmin, _) = self.base_limits();
		if let Some(g) = pmin.iter().zip(pmax_mw).position(|(lo, hi)| hi < lo) {
			return Err(Error::Input(format!("generator {g}: upper limit below its lower limit")));
		}
		Ok(())
	}

	/// Solves the DC-OPF for demand `loads_mw` (one value per bus) and generator upper limits
	/// `pmax_mw` (one per in-service generator; e.g. available renewable output).
	pub fn solve(&self, loads_mw: &[f64], pmax_mw: &[f64]) -> Result<Dispatch, Error> {
		self.solve_warm(loads_mw, pmax_mw, &mut WarmStart::default())
	}

	/// [`DispatchProblem::solve`] starting from the branch limits of `warm`, which it leaves
	/// holding the branches at their limit in this optimum (the warm start of the next,
	/// similar scenario).
	pub fn solve_warm(&self, loads_mw: &[f64], pmax_mw: &[f64], warm: &mut WarmStart) -> Result<Dispatch, Error> {
		self.check_inputs(loads_mw, pmax_mw)?;
		let rated = |l: &usize| self.network.branches.get(*l).is_some_and(|b| b.limit_mw.is_some());
		let mut active: BTreeSet<usize> = warm.lines.iter().copied().filter(rated).collect();
		// Flows of the demand alone (generation adds gen_ptdf · P).
		let zero = vec![0.0; self.gen_count()];
		let base_flow = self.flows(&zero, loads_mw);
		for round in 1..=MAX_ROUNDS {
			let pg_mw = self.solve_relaxed(loads_mw, pmax_mw, &active, &base_flow)?;
			let flows_mw = self.flows(&pg_mw, loads_mw);
			let mut added = false;
			for (l, (f, br)) in flows_mw.iter().zip(&self.network.branches).enumerate() {
				if let Some(lim) = br.limit_mw {
					if f.abs() > lim + line_tolerance(lim) && active.insert(l) {
						added = true;
					}
				}
			}
			if !added {
				warm.lines = flows_mw
					.iter()
					.zip(&self.network.branches)
					.enumerate()
					.filter(|(_, (f, br))| br.limit_mw.is_some_and(|lim| f.abs() >= lim - 1e-4 * lim.max(1.0)))
					.map(|(l, _)| l)
					.collect();
				warm.last_solves = round;
				let cost = self.cost(&pg_mw);
				return Ok(Dispatch { pg_mw, cost, flows_mw });
			}
		}
		Err(Error::Solver(format!("branch limits still violated after {MAX_ROUNDS} rounds")))
	}

	/// The optimum with only the limits of the branches in `active`. Generators whose limits
	/// coincide are fixed, not variables.
	fn solve_relaxed(
		&self,
		loads_mw: &[f64],
		pmax_mw: &[f64],
		active: &BTreeSet<usize>,
		base_flow: &[f64],
	) -> Result<Vec<f64>, Error> {
		let (pmin, _) = self.base_limits();
		let ng = self.gen_count();
		let mut pg = vec![0.0; ng];
		// Variables: generators with room between their limits.
		let mut var = Vec::new();
		for g in 0..ng {
			let (lo, hi) = (pmin.get(g).copied().unwrap_or(0.0), pmax_mw.get(g).copied().unwrap_or(0.0));
			if hi - lo > 1e-9 {
				var.push(g);
			} else if let Some(p) = pg.get_mut(g) {
				*p = hi;
			}
		}
		let fixed_sum: f64 = pg.iter().sum();
		// Flows with the fixed generators in, the variable ones at zero.
		let mut offset = base_flow.to_vec();
		for (g, &p) in pg.iter().enumerate() {
			if p != 0.0 {
				if let Some(col) = self.gen_ptdf.get(g) {
					for (o, s) in offset.iter_mut().zip(col) {
						*o += p * s;
					}
				}
			}
		}
		let need = self.demand(loads_mw) - fixed_sum;
		let nv = var.len();
		if nv == 0 {
			return if need.abs() <= 1e-6 { Ok(pg) } else { Err(Error::Infeasible) };
		}
		let costs: Vec<_> = var
			.iter()
			.map(|&g| self.gen_index.get(g).and_then(|&i| self.case.costs.get(i)).copied().unwrap_or_default())
			.collect();
		// Objective ½xᵀPx + qᵀx with P = diag(2·c2) (empty for an LP).
		let (mut pi, mut pv) = (Vec::new(), Vec::new());
		for (k, c) in costs.iter().enumerate() {
			if c.c2 != 0.0 {
				pi.push(k);
				pv.push(2.0 * c.c2);
			}
		}
		let pm = CscMatrix::new_from_triplets(nv, nv, pi.clone(), pi, pv);
		let q: Vec<f64> = costs.iter().map(|c| c.c1).collect();
		// Constraints as triplets (row, column, value) and right-hand sides.
		let (mut ai, mut aj, mut av, mut b) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
		// Row 0: balance.
		for k in 0..nv {
			ai.push(0);
			aj.push(k);
			av.push(1.0);
		}
		b.push(need);
		for (k, &g) in var.iter().enumerate() {
			let row = b.len();
			ai.extend([row, row + 1]);
			aj.extend([k, k]);
			av.extend([1.0, -1.0]);
			b.push(pmax_mw.get(g).copied().unwrap_or(0.0));
			b.push(-pmin.get(g).copied().unwrap_or(0.0));
		}
		for &l in active {
			let Some(lim) = self.network.branches.get(l).and_then(|br| br.limit_mw) else { continue };
			let off = offset.get(l).copied().unwrap_or(0.0);
			let row = b.len();
			for (k, &g) in var.iter().enumerate() {
				let h = self.gen_ptdf.get(g).and_then(|c| c.get(l)).copied().unwrap_or(0.0);
				if h != 0.0 {
					ai.extend([row, row + 1]);
					aj.extend([k, k]);
					av.extend([h, -h]);
				}
			}
			b.push(lim - off);
			b.push(lim + off);
		}
		let rows = b.len();
		let am = CscMatrix::new_from_triplets(rows, nv, ai, aj, av);
		let cones = [ZeroConeT(1), NonnegativeConeT(rows - 1)];
		let settings = DefaultSettingsBuilder::default()
			.verbose(false)
			.tol_gap_abs(1e-9)
			.tol_gap_rel(1e-9)
			.tol_feas(1e-9)
			.build()
			.map_err(|e| Error::Solver(format!("settings: {e}")))?;
		let mut solver =
			DefaultSolver::new(&pm, &q, &am, &b, &cones, settings).map_err(|e| Error::Solver(format!("{e:?}")))?;
		solver.solve();
		match solver.solution.status {
			SolverStatus::Solved | SolverStatus::AlmostSolved => {},
			SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => return Err(Error::Infeasible),
			s => return Err(Error::Solver(format!("{s:?}"))),
		}
		// Interior-point iterates may sit a rounding error outside a bound.
		for (&g, &x) in var.iter().zip(&solver.solution.x) {
			let (lo, hi) = (pmin.get(g).copied().unwrap_or(0.0), pmax_mw.get(g).copied().unwrap_or(0.0));
			if let Some(p) = pg.get_mut(g) {
				*p = x.clamp(lo, hi);
			}
		}
		Ok(pg)
	}
}
