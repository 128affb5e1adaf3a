//! A line-safe repair of predicted set-points, with a certified fallback to the solver.
//!
//! 1. **Limits**: clip every generator to `[Pmin, Pmax]` (a non-finite prediction becomes
//!    `Pmin`).
//! 2. **Balance**: close the gap to demand by moving every generator in the needed direction in
//!    proportion to its headroom (exact in one pass when the capacity allows it).
//! 3. **Lines**: while a branch is over its rating, move power from the generator whose output
//!    loads that branch most (in the overload's direction, PTDF) to the one that relieves it
//!    most, both with room, by just enough to clear the overload (or as far as the room
//!    allows). Each move keeps the balance and the generator limits and costs O(branches):
//!    flows are updated with the two generators' PTDF columns.
//! 4. **Certificate**: the flows are recomputed from scratch with a sparse power flow and every
//!    limit is checked (balance 1e-6 MW, generators exactly, branches
//!    [`line_tolerance`](crate::opf::line_tolerance)). What fails the check is replaced by the
//!    solver's optimum ([`DispatchProblem::solve_warm`]): the result is always feasible, and
//!    [`Repaired::fallback`] says which path produced it.
//!
//! A repaired dispatch is never cheaper than the optimum (it is feasible), so its cost gap is a
//! fair measure of the prediction.

use crate::{
	opf::{line_tolerance, WarmStart},
	DispatchProblem, Error,
};

/// Most redispatch moves before falling back to the solver.
pub const MAX_MOVES: usize = 256;

/// Balance tolerance of the certificate, MW.
pub const BALANCE_TOLERANCE_MW: f64 = 1e-6;

/// A repaired dispatch.
#[derive(Clone, Debug, PartialEq)]
pub struct Repaired {
	/// Feasible set-points, MW.
	pub pg_mw: Vec<f64>,
	/// Redispatch moves made for branch overloads.
	pub moves: usize,
	/// Whether the repair failed its certificate and the solver's optimum was used instead.
	pub fallback: bool,
}

impl DispatchProblem {
	/// Steps 1 and 2 of the repair: generator limits and power balance, ignoring branches.
	pub fn repair_balance(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Vec<f64> {
		let (pmin, _) = self.base_limits();
		let mut p: Vec<f64> = pg_mw
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&x, (&lo, &hi))| if x.is_finite() { x.clamp(lo, hi.max(lo)) } else { lo })
			.collect();
		let gap = self.demand(loads_mw) - p.iter().sum::<f64>();
		let room: Vec<f64> = p
			.iter()
			.zip(pmin.iter().zip(pmax_mw))
			.map(|(&x, (&lo, &hi))| if gap > 0.0 { (hi - x).max(0.0) } else { (x - lo).max(0.0) })
			.collect();
		let total: f64 = room.iter().sum();
		if total > 0.0 {
			let frac = (gap.abs() / total).min(1.0);
			for ((x, r), (&lo, &hi)) in p.iter_mut().zip(&room).zip(pmin.iter().zip(pmax_mw)) {
				*x = (*x + gap.signum() * frac * r).clamp(lo, hi.max(lo));
			}
		}
		p
	}

	/// The line-safe repair of `pg_mw` (see the module docs); `warm` serves the fallback solve.
	pub fn repair(
		&self,
		pg_mw: &[f64],
		loads_mw: &[f64],
		pmax_mw: &[f64],
		warm: &mut WarmStart,
	) -> Result<Repaired, Error> {
		self.check_inputs(loads_mw, pmax_mw)?;
		if pg_mw.len() != self.gen_count() {
			return Err(Error::Input(format!("{} set-points for {} generators", pg_mw.len(), self.gen_count())));
		}
		let (pmin, _) = self.base_limits();
		let mut p = self.repair_balance(pg_mw, loads_mw, pmax_mw);
		let mut flows = self.flows(&p, loads_mw);
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
			// Raise the generator that relieves the branch most, lower the one that loads it
			// most.
			let up = (0..self.gen_count())
				.filter(|&g| hi(g) - at(&p, g) > ROOM)
				.min_by(|&a, &b| sens(a).total_cmp(&sens(b)));
			let down = (0..self.gen_count())
				.filter(|&g| at(&p, g) - lo(g) > ROOM)
				.max_by(|&a, &b| sens(a).total_cmp(&sens(b)));
			let (Some(up), Some(down)) = (up, down) else { break };
			let relief = sens(down) - sens(up);
			if relief <= 1e-9 {
				break;
			}
			// Aim a little inside the rating so rounding cannot leave it over.
			let target = excess + 0.25 * line_tolerance(lim);
			let delta = (target / relief).min(hi(up) - at(&p, up)).min(at(&p, down) - lo(down));
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
		if self.certify(&p, loads_mw, pmax_mw) {
			return Ok(Repaired { pg_mw: p, moves, fallback: false });
		}
		let opt = self.solve_warm(loads_mw, pmax_mw, warm)?;
		Ok(Repaired { pg_mw: opt.pg_mw, moves, fallback: true })
	}

	/// Whether `pg_mw` meets every limit under `loads_mw` and `pmax_mw`, with flows recomputed
	/// from scratch.
	pub fn certify(&self, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> bool {
		let (pmin, _) = self.base_limits();
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
