//! The ground truth: DC optimal power flow as a convex QP, solved with Clarabel.
//!
//! ```text
//! minimize    Σ_g c2_g·P_g² + c1_g·P_g + c0_g
//! subject to  Σ_g P_g = Σ_b D_b                                  (power balance)
//!             Pmin_g ≤ P_g ≤ Pmax_g                               (generator limits)
//!             −F_l ≤ Σ_b PTDF_lb·(Σ_{g at b} P_g − D_b) ≤ F_l     (rated branches)
//! ```

use crate::{matpower::Case, network::DcNetwork, Error};
use clarabel::{algebra::CscMatrix, solver::*};

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
	/// |Σ P_g − Σ D_b|, MW.
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
		Ok(DispatchProblem { case, network, gen_bus, gen_index })
	}

	/// Number of in-service generators.
	pub fn gen_count(&self) -> usize {
		self.gen_index.len()
	}

	/// Number of buses.
	pub fn bus_count(&self) -> usize {
		self.network.bus_ids.len()
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

	/// Generation cost of `pg_mw`.
	pub fn cost(&self, pg_mw: &[f64]) -> f64 {
		self.gen_index
			.iter()
			.zip(pg_mw)
			.map(|(&i, &p)| self.case.costs.get(i).map_or(0.0, |c| c.at(p)))
			.sum()
	}

	/// Bus injections of `pg_mw` under `loads_mw`.
	pub fn injections(&self, pg_mw: &[f64], loads_mw: &[f64]) -> Vec<f64> {
		let mut p: Vec<f64> = loads_mw.iter().map(|d| -d).collect();
		for (&b, &g) in self.gen_bus.iter().zip(pg_mw) {
			if let Some(v) = p.get_mut(b) {
				*v += g;
			}
		}
		p
	}

	/// How far `pg_mw` is from feasible under `loads_mw` and generator upper limits `pmax_mw`.
	pub fn violation(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Violation {
		let (pmin, _) = self.base_limits();
		let balance = (pg_mw.iter().sum::<f64>() - loads_mw.iter().sum::<f64>()).abs();
		let gen = pg_mw
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&p, (&lo, &hi))| (lo - p).max(p - hi).max(0.0))
			.fold(0.0, f64::max);
		let flows = self.network.flows(&self.injections(pg_mw, loads_mw));
		let line = flows
			.iter()
			.zip(&self.network.branches)
			.filter_map(|(f, br)| br.limit_mw.map(|lim| (f.abs() - lim).max(0.0)))
			.fold(0.0, f64::max);
		Violation { balance_mw: balance, gen_mw: gen, line_mw: line }
	}

	/// A cheap feasibility repair of predicted set-points: clip each generator to its limits,
	/// then close the power-balance gap by moving every generator in the needed direction in
	/// proportion to its headroom (one pass, exact when the total capacity allows it). Branch
	/// ratings are not enforced here (the shipped cases have none).
	pub fn repair(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Vec<f64> {
		let (pmin, _) = self.base_limits();
		let mut p: Vec<f64> = pg_mw
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&x, (&lo, &hi))| if x.is_finite() { x.clamp(lo, hi.max(lo)) } else { lo })
			.collect();
		let gap = loads_mw.iter().sum::<f64>() - p.iter().sum::<f64>();
		let room: Vec<f64> = p
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&x, (&lo, &hi))| if gap > 0.0 { (hi - x).max(0.0) } else { (x - lo).max(0.0) })
			.collect();
		let total: f64 = room.iter().sum();
		if total > 0.0 {
			let frac = (gap.abs() / total).min(1.0);
			for (x, r) in p.iter_mut().zip(&room) {
				*x += gap.signum() * frac * r;
			}
		}
		p
	}

	/// Solves the DC-OPF for demand `loads_mw` (one value per bus) and generator upper limits
	/// `pmax_mw` (one per in-service generator; e.g. available renewable output).
	pub fn solve(&self, loads_mw: &[f64], pmax_mw: &[f64]) -> Result<Dispatch, Error> {
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
		let costs: Vec<_> = self.gen_index.iter().filter_map(|&i| self.case.costs.get(i)).collect();
		// Objective ½xᵀPx + qᵀx with P = diag(2·c2).
		let mut p = vec![vec![0.0; ng]; ng];
		for (k, c) in costs.iter().enumerate() {
			p[k][k] = 2.0 * c.c2;
		}
		let q: Vec<f64> = costs.iter().map(|c| c.c1).collect();
		let mut a: Vec<Vec<f64>> = Vec::new();
		let mut b: Vec<f64> = Vec::new();
		// Balance.
		a.push(vec![1.0; ng]);
		b.push(loads_mw.iter().sum());
		// Generator limits.
		for k in 0..ng {
			let mut row = vec![0.0; ng];
			row[k] = 1.0;
			a.push(row.clone());
			b.push(pmax_mw[k]);
			row[k] = -1.0;
			a.push(row);
			b.push(-pmin[k]);
		}
		// Rated branches: flow = H·P − PTDF·D with H = PTDF at the generators' buses.
		for (l, br) in self.network.branches.iter().enumerate() {
			let Some(limit) = br.limit_mw else { continue };
			let row = &self.network.ptdf[l];
			let h: Vec<f64> = self.gen_bus.iter().map(|&bus| row[bus]).collect();
			let load_flow: f64 = row.iter().zip(loads_mw).map(|(a, d)| a * d).sum();
			a.push(h.clone());
			b.push(limit + load_flow);
			a.push(h.iter().map(|v| -v).collect());
			b.push(limit - load_flow);
		}
		let inequalities = a.len() - 1;
		let pm = CscMatrix::from(&p);
		let am = CscMatrix::from(&a);
		let cones = [ZeroConeT(1), NonnegativeConeT(inequalities)];
		let settings = DefaultSettingsBuilder::default()
			.verbose(false)
			.tol_gap_abs(1e-9)
			.tol_gap_rel(1e-9)
			.tol_feas(1e-9)
			.build()
			.map_err(|e| Error::Solver(format!("settings: {e}")))?;
		let mut solver = DefaultSolver::new(&pm, &q, &am, &b, &cones, settings)
			.map_err(|e| Error::Solver(format!("{e:?}")))?;
		solver.solve();
		match solver.solution.status {
			SolverStatus::Solved | SolverStatus::AlmostSolved => {},
			SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible =>
				return Err(Error::Infeasible),
			s => return Err(Error::Solver(format!("{s:?}"))),
		}
		let pg_mw = solver.solution.x.clone();
		let cost = self.cost(&pg_mw);
		let flows_mw = self.network.flows(&self.injections(&pg_mw, loads_mw));
		Ok(Dispatch { pg_mw, cost, flows_mw })
	}
}
