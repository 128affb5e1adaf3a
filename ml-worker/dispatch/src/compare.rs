//! One pipeline to compare dispatch predictors on a grid: solved scenarios (ground truth), and
//! per predictor on held-out scenarios the cost gap after the line-safe repair, the share of
//! scenarios overloading a branch before and after it, the share needing the solver fallback,
//! and the time of prediction + repair against the warm-started solver.

use crate::{
	opf::{line_tolerance, WarmStart},
	Basis, BasisLibrary, Error, Grid, Profiles, Scenario,
};
use std::{io::Write, time::Instant};

/// Scenarios with their features, optimal positions between the generator limits and costs.
#[derive(Clone, Debug, Default)]
pub struct Solved {
	/// The scenarios.
	pub scenarios: Vec<Scenario>,
	/// Model inputs ([`Grid::features`]).
	pub x: Vec<Vec<f32>>,
	/// Optimal positions ([`Grid::fractions`]).
	pub y: Vec<Vec<f32>>,
	/// Optimal cost, $/h.
	pub cost: Vec<f64>,
	/// Branches at their rating in the optimum (|flow| ≥ 99.99 % of the rating).
	pub binding: Vec<usize>,
	/// The optimum's basis ([`Basis::of`]).
	pub bases: Vec<Basis>,
	/// Seconds spent solving (warm-started, in hour order).
	pub solve_seconds: f64,
}

impl Solved {
	/// Solves the scenarios of `hours`, warm-starting each from the previous one; progress to
	/// stderr when `progress`.
	pub fn build(grid: &Grid, profiles: &Profiles, hours: &[usize], progress: bool) -> Result<Solved, Error> {
		let mut d = Solved::default();
		let mut warm = WarmStart::default();
		let start = Instant::now();
		for (k, &h) in hours.iter().enumerate() {
			let Some(s) = grid.scenario(profiles, h) else { continue };
			let opt = grid.problem.solve_warm(&s.loads_mw, &s.pmax_mw, &mut warm)?;
			d.binding.push(
				opt.flows_mw
					.iter()
					.zip(&grid.problem.network.branches)
					.filter(|(f, br)| br.limit_mw.is_some_and(|lim| f.abs() >= 0.9999 * lim))
					.count(),
			);
			d.bases.push(Basis::of(&grid.problem, &opt.pg_mw, &s.loads_mw, &s.pmax_mw));
			d.x.push(grid.features(&s));
			d.y.push(grid.fractions(&opt.pg_mw, &s));
			d.cost.push(opt.cost);
			d.scenarios.push(s);
			if progress && (k + 1) % 250 == 0 {
				eprint!("\r  solved {}/{} scenarios", k + 1, hours.len());
				let _ = std::io::stderr().flush();
			}
		}
		d.solve_seconds = start.elapsed().as_secs_f64();
		if progress && hours.len() >= 250 {
			eprintln!("\r  solved {} scenarios in {:.1} s", hours.len(), d.solve_seconds);
		}
		Ok(d)
	}

	/// Concatenation of datasets.
	pub fn concat(parts: &[Solved]) -> Solved {
		let mut d = Solved::default();
		for p in parts {
			d.scenarios.extend(p.scenarios.iter().cloned());
			d.x.extend(p.x.iter().cloned());
			d.y.extend(p.y.iter().cloned());
			d.cost.extend(p.cost.iter().copied());
			d.binding.extend(p.binding.iter().copied());
			d.bases.extend(p.bases.iter().cloned());
			d.solve_seconds += p.solve_seconds;
		}
		d
	}

	/// Number of scenarios.
	pub fn len(&self) -> usize {
		self.x.len()
	}

	/// Whether empty.
	pub fn is_empty(&self) -> bool {
		self.x.is_empty()
	}

	/// Share of scenarios whose optimum has a branch at its rating.
	pub fn binding_share(&self) -> f64 {
		self.binding.iter().filter(|&&b| b > 0).count() as f64 / self.len().max(1) as f64
	}

	/// The library of this set's optimal bases.
	pub fn library(&self) -> BasisLibrary {
		BasisLibrary::from_bases(&self.bases)
	}

	/// Share of these scenarios whose optimal basis is in `library`.
	pub fn covered_share(&self, library: &BasisLibrary) -> f64 {
		self.bases.iter().filter(|b| library.contains(b)).count() as f64 / self.len().max(1) as f64
	}

	/// Mean number of branches at their rating.
	pub fn mean_binding(&self) -> f64 {
		self.binding.iter().sum::<usize>() as f64 / self.len().max(1) as f64
	}
}

/// A predictor's quality and speed on held-out scenarios.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Evaluation {
	/// Scenarios evaluated.
	pub n: usize,
	/// Mean (repaired cost − optimum) / optimum over the feasible repaired dispatches.
	pub mean_gap: f64,
	/// Largest such gap.
	pub worst_gap: f64,
	/// Mean gap over the scenarios the repair made feasible on its own (without the fallback,
	/// whose gap is 0).
	pub repaired_gap: f64,
	/// Share of raw predictions overloading a branch (generator limits and balance restored
	/// first, so this counts what the line step has to fix).
	pub overloaded_before: f64,
	/// Share of repaired dispatches violating any limit (checked, must be 0).
	pub infeasible_after: f64,
	/// Share that needed the solver fallback.
	pub fallback: f64,
	/// Share the repair returned as the certified optimum without the solver (a library basis
	/// that is primal and dual feasible).
	pub optimal: f64,
	/// Mean redispatch moves per scenario.
	pub moves: f64,
	/// Seconds per scenario predicting (batched when the predictor was called on all rows).
	pub predict_seconds: f64,
	/// Seconds per scenario repairing (including the certificate and any fallback).
	pub repair_seconds: f64,
}

impl core::fmt::Display for Evaluation {
	fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
		write!(
			f,
			"mean gap {:.3} % (repaired alone {:.3} %), worst {:.3} %, overloaded before repair {:.1} %, infeasible after {:.1} %, \
			 fallback {:.1} %, certified optimum {:.1} %, moves {:.1}, predict {:.4} ms + repair {:.4} ms ({} scenarios)",
			100.0 * self.mean_gap,
			100.0 * self.repaired_gap,
			100.0 * self.worst_gap,
			100.0 * self.overloaded_before,
			100.0 * self.infeasible_after,
			100.0 * self.fallback,
			100.0 * self.optimal,
			self.moves,
			1e3 * self.predict_seconds,
			1e3 * self.repair_seconds,
			self.n
		)
	}
}

/// Evaluates predictions `rows` (one per scenario of `test`, positions between the limits)
/// made in `predict_seconds` in all, repaired with `library` when given
/// ([`crate::DispatchProblem::repair_with`]) and with the line-safe repair alone otherwise.
pub fn evaluate(
	grid: &Grid,
	test: &Solved,
	rows: &[Vec<f32>],
	predict_seconds: f64,
	library: Option<&BasisLibrary>,
) -> Result<Evaluation, Error> {
	if rows.len() != test.len() {
		return Err(Error::Input(format!("{} predictions for {} scenarios", rows.len(), test.len())));
	}
	let mut e = Evaluation { n: test.len(), ..Default::default() };
	if test.is_empty() {
		return Ok(e);
	}
	let p = &grid.problem;
	let (mut gaps, mut feasible, mut over, mut infeasible, mut fallback, mut moves) = (0.0, 0usize, 0, 0, 0, 0);
	let mut optimal = 0;
	let (mut own_gaps, mut own) = (0.0, 0usize);
	let mut repair_seconds = 0.0;
	let mut warm = WarmStart::default();
	for ((s, row), &opt) in test.scenarios.iter().zip(rows).zip(&test.cost) {
		let pg = grid.setpoints(row, s);
		let balanced = p.repair_balance(&pg, &s.loads_mw, &s.pmax_mw);
		let flows = p.flows(&balanced, &s.loads_mw);
		if flows
			.iter()
			.zip(&p.network.branches)
			.any(|(f, br)| br.limit_mw.is_some_and(|lim| f.abs() > lim + line_tolerance(lim)))
		{
			over += 1;
		}
		let start = Instant::now();
		let r = match library {
			Some(lib) => p.repair_with(lib, &pg, &s.loads_mw, &s.pmax_mw, &mut warm)?,
			None => p.repair(&pg, &s.loads_mw, &s.pmax_mw, &mut warm)?,
		};
		repair_seconds += start.elapsed().as_secs_f64();
		if r.optimal && !r.fallback {
			optimal += 1;
		}
		moves += r.moves;
		if r.fallback {
			fallback += 1;
		}
		if !p.certify(&r.pg_mw, &s.loads_mw, &s.pmax_mw) {
			infeasible += 1;
			continue;
		}
		let gap = (p.cost(&r.pg_mw) - opt) / opt.abs().max(1e-9);
		gaps += gap;
		feasible += 1;
		if !r.fallback {
			own_gaps += gap;
			own += 1;
		}
		e.worst_gap = e.worst_gap.max(gap);
	}
	let n = test.len() as f64;
	e.mean_gap = gaps / feasible.max(1) as f64;
	e.repaired_gap = own_gaps / own.max(1) as f64;
	e.overloaded_before = over as f64 / n;
	e.infeasible_after = infeasible as f64 / n;
	e.fallback = fallback as f64 / n;
	e.optimal = optimal as f64 / n;
	e.moves = moves as f64 / n;
	e.predict_seconds = predict_seconds / n;
	e.repair_seconds = repair_seconds / n;
	Ok(e)
}

/// Seconds per scenario of the warm-started solver on `test`, in order (each solve starts
/// from the branch limits that bound in the previous one).
pub fn solver_seconds(grid: &Grid, test: &Solved) -> Result<f64, Error> {
	let mut warm = WarmStart::default();
	let start = Instant::now();
	for s in &test.scenarios {
		grid.problem.solve_warm(&s.loads_mw, &s.pmax_mw, &mut warm)?;
	}
	Ok(start.elapsed().as_secs_f64() / test.len().max(1) as f64)
}

/// Seconds per scenario of the dual simplex ([`crate::DispatchProblem::solve_simplex`]) on
/// `test` in order, from the previous scenario's optimal basis (`warm`) or from the merit-order
/// basis every time, and the share of scenarios it did not solve (the interior-point solver
/// then takes them, its time included). Every solution is checked against the known optimum.
pub fn simplex_seconds(grid: &Grid, test: &Solved, warm: bool) -> Result<(f64, f64), Error> {
	let mut basis = None;
	let mut fallback = 0usize;
	let mut clarabel = WarmStart::default();
	let mut seconds = 0.0;
	for (s, &opt) in test.scenarios.iter().zip(&test.cost) {
		if !warm {
			basis = None;
		}
		let start = Instant::now();
		let cost = match grid.problem.solve_simplex(&s.loads_mw, &s.pmax_mw, &mut basis)? {
			Some(v) => grid.problem.cost(&v.pg_mw),
			None => {
				fallback += 1;
				grid.problem.solve_warm(&s.loads_mw, &s.pmax_mw, &mut clarabel)?.cost
			},
		};
		seconds += start.elapsed().as_secs_f64();
		if (cost - opt).abs() > 1e-6 * opt.abs().max(1.0) {
			return Err(Error::Solver(format!("dual simplex cost {cost} against the optimum {opt} (hour {})", s.hour)));
		}
	}
	let n = test.len().max(1) as f64;
	Ok((seconds / n, fallback as f64 / n))
}
