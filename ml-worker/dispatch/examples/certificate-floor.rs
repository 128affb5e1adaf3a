//! What a certified repair cannot go below, against the warm-started dual simplex:
//!
//! ```text
//! cargo run --release -p gridbrain-dispatch --example certificate-floor -- [hours-step-300] [hours-step-1354]
//! ```
//!
//! On case300 and case1354's held-out hours, in one run: one power flow (every branch's flow,
//! what the certificate needs at least), the certificate itself, and the dual simplex warm-started
//! from the previous hour's basis (`compare`'s warm-started LP: the interior-point solver takes
//! the hours it leaves); then a hundredth of the simplex in power flows.

use gridbrain_dispatch::{
	compare::{simplex_seconds, Solved},
	scenario::test_hours,
	Error, Grid, Profiles,
};
use std::{hint::black_box, time::Instant};

/// Passes over the held-out hours per timing.
const REPS: usize = 20;

fn main() -> Result<(), Error> {
	let args: Vec<String> = std::env::args().collect();
	let step = |i: usize, default: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(default);
	let profiles = Profiles::shipped();
	for (name, grid, step) in [("pglib300", Grid::pglib300()?, step(1, 2)), ("pglib1354", Grid::pglib1354()?, step(2, 4))] {
		let hours: Vec<usize> = test_hours(profiles.hours.len()).into_iter().step_by(step.max(1)).collect();
		let test = Solved::build(&grid, &profiles, &hours, false)?;
		let p = &grid.problem;
		let optima: Vec<Vec<f64>> =
			test.scenarios.iter().map(|s| p.solve(&s.loads_mw, &s.pmax_mw).map(|o| o.pg_mw)).collect::<Result<_, _>>()?;
		let per = |seconds: f64| 1e6 * seconds / (REPS * test.len().max(1)) as f64;
		let start = Instant::now();
		for _ in 0..REPS {
			for (s, pg) in test.scenarios.iter().zip(&optima) {
				black_box(p.flows(pg, &s.loads_mw));
			}
		}
		let flow = per(start.elapsed().as_secs_f64());
		let (start, mut certified) = (Instant::now(), 0);
		for _ in 0..REPS {
			for (s, pg) in test.scenarios.iter().zip(&optima) {
				certified += usize::from(p.certify(pg, &s.loads_mw, &s.pmax_mw));
			}
		}
		let certificate = per(start.elapsed().as_secs_f64());
		// As `compare` times it: the interior-point solver takes the hours the simplex leaves.
		let (mut simplex, mut unsolved) = (0.0, 0.0);
		for _ in 0..REPS {
			let (seconds, left) = simplex_seconds(&grid, &test, true)?;
			simplex += 1e6 * seconds / REPS as f64;
			unsolved += 100.0 * left / REPS as f64;
		}
		println!(
			"{name} ({} held-out hours): one power flow {flow:.2} µs; certificate {certificate:.2} µs ({certified} of {} optima certified); \
			 warm dual simplex {simplex:.2} µs ({unsolved:.1} % of the hours left to the interior-point solver, its time included); \
			 a hundredth of it is {:.2} µs, {:.2} power flows",
			test.len(),
			REPS * test.len(),
			simplex / 100.0,
			simplex / 100.0 / flow
		);
	}
	Ok(())
}
