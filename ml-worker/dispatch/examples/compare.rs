//! Ridge and k-nearest neighbours under the line-safe repair against the warm-started DC-OPF:
//!
//! ```text
//! cargo run --release -p gridbrain-dispatch --example compare -- pglib300 [hours-step]
//! ```
//!
//! (the learned model joins this comparison in `gridbrain-ml-worker compare`).

use gridbrain_dispatch::{
	compare::{evaluate, simplex_seconds, solver_seconds, Solved},
	predict::{Knn, Ridge},
	scenario::{shard_hours, test_hours},
	Error, Grid, Profiles,
};
use std::time::Instant;

fn main() -> Result<(), Error> {
	let args: Vec<String> = std::env::args().collect();
	let name = args.get(1).map_or("pglib300", String::as_str);
	let step: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(6);
	let grid = match name {
		"ieee14" => Grid::ieee14()?,
		"ieee118" => Grid::ieee118()?,
		"pglib118" => Grid::pglib118()?,
		"pglib300" => Grid::pglib300()?,
		"pglib1354" => Grid::pglib1354()?,
		other => return Err(Error::Input(format!("unknown grid {other}"))),
	};
	let profiles = Profiles::shipped();
	let total = profiles.hours.len();
	let train_hours: Vec<usize> = shard_hours(total, 0, 1).into_iter().step_by(step).collect();
	let test_hours: Vec<usize> = test_hours(total).into_iter().step_by(step).collect();
	eprintln!(
		"{name}: {} buses, {} generators, {} rated branches; {} training and {} held-out scenarios",
		grid.problem.bus_count(),
		grid.problem.gen_count(),
		grid.problem.rated_branches(),
		train_hours.len(),
		test_hours.len()
	);
	let train = Solved::build(&grid, &profiles, &train_hours, true)?;
	let test = Solved::build(&grid, &profiles, &test_hours, true)?;
	println!(
		"scenarios with a branch at its rating: training {:.1} % (mean {:.1} branches), held-out {:.1} %",
		100.0 * train.binding_share(),
		train.mean_binding(),
		100.0 * test.binding_share()
	);
	let lp = solver_seconds(&grid, &test)?;
	println!("warm-started solver: {:.3} ms per scenario", 1e3 * lp);
	for warm in [false, true] {
		let (t, unsolved) = simplex_seconds(&grid, &test, warm)?;
		println!(
			"dual simplex from {}: {:.4} ms per scenario ({:.1}x faster than the interior-point solver; {:.1} % left to it)",
			if warm { "the previous hour's basis" } else { "the merit order" },
			1e3 * t,
			lp / t,
			100.0 * unsolved
		);
	}
	let start = Instant::now();
	let ridge = Ridge::fit(&train.x, &train.y, 1e-3)?;
	eprintln!("ridge fitted in {:.1} s", start.elapsed().as_secs_f64());
	let knn = Knn::fit(&train.x, &train.y, 5)?;
	let library = train.library();
	println!(
		"basis library: {} distinct optimal bases in {} training scenarios; held-out scenarios whose basis is in it: {:.1} %",
		library.len(),
		train.len(),
		100.0 * test.covered_share(&library)
	);
	let optimum = evaluate(&grid, &test, &test.y, 0.0, Some(&library))?;
	println!("optimum through the repair: {optimum}; speed-up {:.1}x", lp / optimum.repair_seconds);
	for (label, predict) in [
		("ridge", &(|x: &[f32]| ridge.predict(x)) as &dyn Fn(&[f32]) -> Vec<f32>),
		("knn-5", &|x: &[f32]| knn.predict(x)),
	] {
		let start = Instant::now();
		let rows: Vec<Vec<f32>> = test.x.iter().map(|x| predict(x)).collect();
		let seconds = start.elapsed().as_secs_f64();
		for (repair, lib) in [("line-safe", None), ("library", Some(&library))] {
			let e = evaluate(&grid, &test, &rows, seconds, lib)?;
			println!("{label:>6} {repair:>9}: {e}; speed-up over the solver {:.1}x", lp / (e.predict_seconds + e.repair_seconds));
		}
	}
	Ok(())
}
