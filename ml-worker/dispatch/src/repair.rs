//! A line-safe repair of predicted set-points, with a certified fallback to the solver.
//!
//! 1. **Limits**: clip every generator to `[Pmin, Pmax]` (a non-finite prediction becomes
//!    `Pmin`).
//! 2. **Balance**: close the gap to demand in merit order: a shortfall is taken by the
//!    cheapest generators with room, a surplus shed by the dearest.
//! 3. **Lines**: if the balanced prediction overloads a branch, four passes each try to make it
//!    line-safe, and the cheapest certified result wins:
//!    - *basis projection*: the prediction read as a guess of the optimum's basis (generators
//!      within [`SNAP`] of a bound put on it, branches within [`NEAR`] of their rating held at
//!      it), then the least-squares change of the other generators that keeps the balance and
//!      the held branches (an LP's optimum is exactly such a solution for its own basis);
//!    - *projection*: the least-squares change of all generators that brings every overloaded
//!      branch back to its rating;
//!    - *economic* and *strongest redispatch*: moves between a pair of generators with room, one
//!      raised and one lowered, among the [`CANDIDATES`] strongest on each side (PTDF on the
//!      worst overloaded branch): the pair with the least marginal cost per MW of relief among
//!      those relieving at least [`ECONOMIC_SHARE`] as much as the strongest pair, or the
//!      strongest pair itself. A move clears the overload or goes as far as the generators'
//!      room and a ratio test allow (no other branch is taken over its rating or deeper into an
//!      overload).
//!
//!    In both projections the generator limits are an active set (a generator that would leave
//!    its range stops at its bound and is fixed), and branches a step overloads join the held
//!    set. A balanced prediction that overloads nothing is kept (or its basis projection, if
//!    cheaper) and the other passes are skipped.
//! 4. **Certificate**: for every candidate the flows are recomputed from scratch with a sparse
//!    power flow and every limit is checked (balance 1e-6 MW, generators exactly, branches
//!    [`line_tolerance`](crate::opf::line_tolerance)). When no candidate passes, the solver's
//!    optimum is used ([`DispatchProblem::solve_warm`]): the result is always feasible, and
//!    [`Repaired::fallback`] says which path produced it.
//!
//! A repaired dispatch is never cheaper than the optimum (it is feasible), so its cost gap is a
//! fair measure of the prediction.

use crate::{
	opf::{line_tolerance, WarmStart},
	DispatchProblem, Error,
};

/// Most redispatch moves before falling back to the solver.
pub const MAX_MOVES: usize = 64;

/// Generators considered on each side of a redispatch move (the strongest by PTDF).
pub const CANDIDATES: usize = 16;

/// A generator within this share of its range from a bound counts as at the bound.
pub const SNAP: f64 = 0.02;

/// In the basis guess, a branch loaded to within this share of its rating is held at it.
pub const NEAR: f64 = 0.01;

/// Generator bounds a projection round may hit before it gives up (each costs one small linear
/// system).
pub const ACTIVE_SET_STEPS: usize = 256;

/// Rounds of the projection (each may add newly overloaded branches).
pub const PROJECTION_ROUNDS: usize = 8;

/// Pairs tried per move before giving up on a branch.
pub const MAX_PAIRS_TRIED: usize = 32;

/// Smallest useful move, MW (smaller moves end the pass unless they clear the overload).
pub const MIN_MOVE_MW: f64 = 1e-3;

/// The economic redispatch pass takes the cheapest pair relieving at least this share as much
/// as the strongest pair.
pub const ECONOMIC_SHARE: f64 = 0.5;

/// Balance tolerance of the certificate, MW.
pub const BALANCE_TOLERANCE_MW: f64 = 1e-6;

/// A repaired dispatch.
#[derive(Clone, Debug, PartialEq)]
pub struct Repaired {
	/// Feasible set-points, MW.
	pub pg_mw: Vec<f64>,
	/// Work done on branch overloads: linear systems solved by the projections plus moves made
	/// by the redispatch passes.
	pub moves: usize,
	/// Whether the repair failed its certificate and the solver's optimum was used instead.
	pub fallback: bool,
	/// Whether the result is known to be the optimum: a dual feasible basis that passed the
	/// certificate ([`DispatchProblem::repair_with`]) or the solver's fallback.
	pub optimal: bool,
}

impl DispatchProblem {
	/// Marginal cost of generator `g` at `p_mw`, $/MWh.
	fn marginal_cost(&self, g: usize, p_mw: f64) -> f64 {
		self.gen_index.get(g).and_then(|&i| self.case.costs.get(i)).map_or(0.0, |c| c.c1 + 2.0 * c.c2 * p_mw)
	}

	/// Steps 1 and 2 of the repair: generator limits, then the power balance in merit order
	/// (a shortfall is taken by the cheapest generators with room, a surplus is shed by the
	/// dearest), ignoring branches.
	pub fn repair_balance(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Vec<f64> {
		let pmin = self.pmin();
		let mut p: Vec<f64> = pg_mw
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&x, (&lo, &hi))| if x.is_finite() { x.clamp(lo, hi.max(lo)) } else { lo })
			.collect();
		let mut gap = self.demand(loads_mw) - p.iter().sum::<f64>();
		let mut order: Vec<usize> = (0..p.len()).collect();
		let mc = |g: usize, p: &[f64]| self.marginal_cost(g, p.get(g).copied().unwrap_or(0.0));
		order.sort_by(|&a, &b| mc(a, &p).total_cmp(&mc(b, &p)).then(a.cmp(&b)));
		if gap < 0.0 {
			order.reverse();
		}
		for g in order {
			if gap.abs() <= 0.0 {
				break;
			}
			let (lo, hi) = (pmin.get(g).copied().unwrap_or(0.0), pmax_mw.get(g).copied().unwrap_or(0.0).max(pmin.get(g).copied().unwrap_or(0.0)));
			let Some(x) = p.get_mut(g) else { continue };
			let step = if gap > 0.0 { gap.min(hi - *x) } else { gap.max(lo - *x) };
			*x = (*x + step).clamp(lo, hi);
			gap -= step;
		}
		p
	}

	/// Checks a scenario and set-points to repair in it.
	pub(crate) fn check_setpoints(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Result<(), Error> {
		self.check_inputs(loads_mw, pmax_mw)?;
		if pg_mw.len() != self.gen_count() {
			return Err(Error::Input(format!("{} set-points for {} generators", pg_mw.len(), self.gen_count())));
		}
		Ok(())
	}

	/// The line-safe repair of `pg_mw` (see the module docs); `warm` serves the fallback solve.
	pub fn repair(
		&self,
		pg_mw: &[f64],
		loads_mw: &[f64],
		pmax_mw: &[f64],
		warm: &mut WarmStart,
	) -> Result<Repaired, Error> {
		self.check_setpoints(pg_mw, loads_mw, pmax_mw)?;
		let (best, moves) = self.line_passes(pg_mw, loads_mw, pmax_mw);
		if let Some((_, p)) = best {
			return Ok(Repaired { pg_mw: p, moves, fallback: false, optimal: false });
		}
		let opt = self.solve_warm(loads_mw, pmax_mw, warm)?;
		Ok(Repaired { pg_mw: opt.pg_mw, moves, fallback: true, optimal: true })
	}

	/// Steps 1 to 3 of the repair and the certificate: the cheapest certified candidate with its
	/// cost (`None` when no candidate passes), and the work done.
	pub(crate) fn line_passes(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> (Option<(f64, Vec<f64>)>, usize) {
		let balanced = self.repair_balance(pg_mw, loads_mw, pmax_mw);
		let mut moves = 0;
		let mut best: Option<(f64, Vec<f64>)> = None;
		let keep = |p: Vec<f64>, best: &mut Option<(f64, Vec<f64>)>| {
			if self.certify(&p, loads_mw, pmax_mw) {
				let c = self.cost(&p);
				if best.as_ref().is_none_or(|(b, _)| c < *b) {
					*best = Some((c, p));
				}
			}
		};
		// A prediction that overloads nothing once balanced is kept (or its basis projection,
		// if cheaper); otherwise every pass runs and the cheapest certified result wins.
		keep(balanced.clone(), &mut best);
		let line_safe = best.is_some();
		for basis in [true, false] {
			if line_safe && !basis {
				break;
			}
			let mut p = balanced.clone();
			moves += self.project(&mut p, loads_mw, pmax_mw, basis);
			keep(p, &mut best);
		}
		for min_share in [ECONOMIC_SHARE, 1.0] {
			if line_safe {
				break;
			}
			let mut p = balanced.clone();
			moves += self.redispatch(&mut p, loads_mw, pmax_mw, min_share);
			keep(p, &mut best);
		}
		(best, moves)
	}

	/// The smallest change (least squares, MW) of the free generators that keeps the balance and
	/// holds a set of branches at their rating, with the generator limits as an active set: a
	/// generator that would leave its range stops at its bound and is fixed; branches overloaded
	/// by a step join the held set. Returns the linear systems solved.
	///
	/// With `basis`, the prediction is read as a guess of the optimum's basis: generators within
	/// [`SNAP`] of a bound are put on it and fixed, the others are free, and every branch loaded
	/// to within [`NEAR`] of its rating is held at it. When the guess is the optimum's basis, the
	/// projection lands on the optimum itself (an LP's optimum is the solution of that basis's
	/// linear system). Without `basis`, every generator is free and only overloaded branches are
	/// held.
	fn project(&self, p: &mut [f64], loads_mw: &[f64], pmax_mw: &[f64], basis: bool) -> usize {
		let pmin = self.pmin();
		let lo = |g: usize| pmin.get(g).copied().unwrap_or(0.0);
		let hi = |g: usize| pmax_mw.get(g).copied().unwrap_or(0.0).max(lo(g));
		let mut free = Vec::new();
		for g in 0..self.gen_count() {
			let span = hi(g) - lo(g);
			let Some(x) = p.get_mut(g) else { continue };
			if span <= 1e-9 {
				continue;
			}
			if basis && *x <= lo(g) + SNAP * span {
				*x = lo(g);
			} else if basis && *x >= hi(g) - SNAP * span {
				*x = hi(g);
			} else {
				free.push(g);
			}
		}
		// Branches held at their rating, with the sign of their flow.
		let mut held: Vec<(usize, f64)> = Vec::new();
		let mut flows = self.flows(p, loads_mw);
		if basis {
			for (l, (f, br)) in flows.iter().zip(&self.network.branches).enumerate() {
				if br.limit_mw.is_some_and(|lim| f.abs() >= (1.0 - NEAR) * lim) {
					held.push((l, f.signum()));
				}
			}
		}
		let mut solves = 0;
		for round in 0..PROJECTION_ROUNDS {
			// The first round uses the flows computed above; later ones those after the steps.
			if round > 0 {
				flows = self.flows(p, loads_mw);
			}
			let mut added = false;
			for (l, (f, br)) in flows.iter().zip(&self.network.branches).enumerate() {
				if let Some(lim) = br.limit_mw {
					if f.abs() > lim + 0.5 * line_tolerance(lim) && !held.iter().any(|(h, _)| *h == l) {
						held.push((l, f.signum()));
						added = true;
					}
				}
			}
			if (!added && solves > 0) || (held.is_empty() && !basis) {
				break;
			}
			// Flows of the held branches, kept up to date through the generators' PTDF columns
			// (the full power flow runs once per round).
			let mut held_flow: Vec<f64> = held.iter().map(|&(l, _)| flows.get(l).copied().unwrap_or(0.0)).collect();
			// Inner active-set loop on the generator bounds.
			for _ in 0..ACTIVE_SET_STEPS {
				// Residuals: balance, then each held branch to just inside its rating.
				let mut r = vec![self.demand(loads_mw) - p.iter().sum::<f64>()];
				for (&(l, s), f) in held.iter().zip(&held_flow) {
					let lim = self.network.branches.get(l).and_then(|b| b.limit_mw).unwrap_or(0.0);
					let target = s * (lim - 0.25 * line_tolerance(lim));
					r.push(target - f);
				}
				let k = r.len();
				// Row i of A over the free generators: 1 for the balance, PTDF for a branch.
				let coef = |i: usize, g: usize| -> f64 {
					match i.checked_sub(1).and_then(|j| held.get(j)) {
						None => 1.0,
						Some(&(l, _)) => self.gen_ptdf.get(g).and_then(|c| c.get(l)).copied().unwrap_or(0.0),
					}
				};
				let mut aat = vec![0.0; k * k];
				for i in 0..k {
					for j in 0..=i {
						let v: f64 = free.iter().map(|&g| coef(i, g) * coef(j, g)).sum();
						if let Some(x) = aat.get_mut(i * k + j) {
							*x = v;
						}
						if let Some(x) = aat.get_mut(j * k + i) {
							*x = v;
						}
					}
					// A whisper of regularization keeps dependent rows solvable.
					if let Some(x) = aat.get_mut(i * k + i) {
						*x += 1e-10;
					}
				}
				let mut rhs = vec![r];
				solves += 1;
				if crate::predict::cholesky_solve(aat, k, &mut rhs).is_none() {
					return solves;
				}
				let lambda = rhs.pop().unwrap_or_default();
				let delta: Vec<(usize, f64)> = free
					.iter()
					.map(|&g| (g, (0..k).map(|i| coef(i, g) * lambda.get(i).copied().unwrap_or(0.0)).sum()))
					.collect();
				// The longest step within the generator limits.
				let mut alpha: f64 = 1.0;
				let mut blocking = None;
				for &(g, d) in &delta {
					let x = p.get(g).copied().unwrap_or(0.0);
					let room = if d > 0.0 { hi(g) - x } else { x - lo(g) };
					if d != 0.0 && room.max(0.0) < alpha * d.abs() {
						alpha = room.max(0.0) / d.abs();
						blocking = Some(g);
					}
				}
				for &(g, d) in &delta {
					if let Some(x) = p.get_mut(g) {
						let before = *x;
						*x = (*x + alpha * d).clamp(lo(g), hi(g));
						let moved = *x - before;
						if let Some(col) = self.gen_ptdf.get(g) {
							for (f, &(l, _)) in held_flow.iter_mut().zip(&held) {
								*f += moved * col.get(l).copied().unwrap_or(0.0);
							}
						}
					}
				}
				match blocking {
					Some(g) => {
						free.retain(|&f| f != g);
						if free.len() < k {
							return solves;
						}
					},
					None => break,
				}
			}
		}
		solves
	}

	/// Step 3: redispatch moves on `p` until no branch is over its rating, no move helps, or
	/// [`MAX_MOVES`]; returns the moves made. Each move takes, among the candidate pairs that
	/// relieve the branch at least `min_share` as much as the strongest pair, the one with the
	/// least marginal cost per MW of relief (`min_share` 1: the strongest pair, fewest MW moved).
	fn redispatch(&self, p: &mut [f64], loads_mw: &[f64], pmax_mw: &[f64], min_share: f64) -> usize {
		let pmin = self.pmin();
		let mut flows = self.flows(p, loads_mw);
		let mut moves = 0;
		while moves < MAX_MOVES {
			// The worst overload.
			let worst = flows
				.iter()
				.zip(&self.network.branches)
				.enumerate()
				.filter_map(|(l, (f, br))| br.limit_mw.map(|lim| (l, *f, lim, f.abs() - lim)))
				.filter(|(_, _, lim, excess)| *excess > 0.5 * line_tolerance(*lim))
				.max_by(|a, b| a.3.total_cmp(&b.3));
			let Some((l, f, lim, excess)) = worst else { break };
			let s = f.signum();
			let sens = |g: usize| s * self.gen_ptdf.get(g).and_then(|c| c.get(l)).copied().unwrap_or(0.0);
			let hi = |g: usize| pmax_mw.get(g).copied().unwrap_or(0.0);
			let lo = |g: usize| pmin.get(g).copied().unwrap_or(0.0);
			let at = |p: &[f64], g: usize| p.get(g).copied().unwrap_or(0.0);
			const ROOM: f64 = 1e-9;
			// Candidates: the generators that relieve the branch most when raised, and those
			// that relieve it most when lowered, each with room.
			let mut ups: Vec<usize> = (0..self.gen_count()).filter(|&g| hi(g) - at(p, g) > ROOM).collect();
			let mut downs: Vec<usize> = (0..self.gen_count()).filter(|&g| at(p, g) - lo(g) > ROOM).collect();
			ups.sort_by(|&a, &b| sens(a).total_cmp(&sens(b)).then(a.cmp(&b)));
			downs.sort_by(|&a, &b| sens(b).total_cmp(&sens(a)).then(a.cmp(&b)));
			ups.truncate(CANDIDATES);
			downs.truncate(CANDIDATES);
			let (Some(&u0), Some(&d0)) = (ups.first(), downs.first()) else { break };
			let best_relief = sens(d0) - sens(u0);
			if best_relief <= 1e-9 {
				break;
			}
			// Pairs relieving enough, cheapest marginal cost per MW of relief first.
			let mut pairs: Vec<(f64, usize, usize)> = Vec::new();
			for &u in &ups {
				for &d in &downs {
					let relief = sens(d) - sens(u);
					if u != d && relief >= min_share * best_relief && relief > 1e-9 {
						let price = (self.marginal_cost(u, at(p, u)) - self.marginal_cost(d, at(p, d))) / relief;
						pairs.push((price, u, d));
					}
				}
			}
			pairs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
			// The first pair (in that order) that can move a useful amount without taking
			// another branch over its rating or deepening another overload (a ratio test).
			let mut chosen = None;
			for &(_, up, down) in pairs.iter().take(MAX_PAIRS_TRIED) {
				let (Some(cu), Some(cd)) = (self.gen_ptdf.get(up), self.gen_ptdf.get(down)) else { continue };
				let relief = sens(down) - sens(up);
				// Aim a little inside the rating so rounding cannot leave it over.
				let target = excess + 0.25 * line_tolerance(lim);
				let mut delta = (target / relief).min(hi(up) - at(p, up)).min(at(p, down) - lo(down));
				for (m, (((fm, a), b), br)) in flows.iter().zip(cu).zip(cd).zip(&self.network.branches).enumerate() {
					let Some(cap) = br.limit_mw else { continue };
					let rate = a - b;
					if m == l || rate == 0.0 {
						continue;
					}
					// Flow may move towards the rating in the direction of `rate` up to the
					// rating (or not at all when already beyond it).
					let room = if rate > 0.0 { cap - fm } else { cap + fm };
					delta = delta.min(room.max(0.0) / rate.abs());
				}
				if delta > MIN_MOVE_MW.min(0.5 * target / relief) {
					chosen = Some((up, down, delta));
					break;
				}
			}
			let Some((up, down, delta)) = chosen else { break };
			if let Some(x) = p.get_mut(up) {
				*x = (*x + delta).min(hi(up));
			}
			if let Some(x) = p.get_mut(down) {
				*x = (*x - delta).max(lo(down));
			}
			if let (Some(cu), Some(cd)) = (self.gen_ptdf.get(up), self.gen_ptdf.get(down)) {
				for ((fl, a), b) in flows.iter_mut().zip(cu).zip(cd) {
					*fl += delta * (a - b);
				}
			}
			moves += 1;
		}
		moves
	}

	/// Whether `pg_mw` meets every limit under `loads_mw` and `pmax_mw`, with flows recomputed
	/// from scratch.
	pub fn certify(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> bool {
		let pmin = self.pmin();
		if pg_mw.len() != pmin.len()
			|| pg_mw.iter().zip(pmin.iter().zip(pmax_mw)).any(|(p, (lo, hi))| !(p >= lo && p <= hi))
		{
			return false;
		}
		if (pg_mw.iter().sum::<f64>() - self.demand(loads_mw)).abs() > BALANCE_TOLERANCE_MW {
			return false;
		}
		self.flows(pg_mw, loads_mw)
			.iter()
			.zip(&self.network.branches)
			.all(|(f, br)| br.limit_mw.is_none_or(|lim| f.abs() <= lim + line_tolerance(lim)))
	}
}
