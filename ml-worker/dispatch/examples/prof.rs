use gridbrain_dispatch::{compare::Solved, scenario::{shard_hours, test_hours}, Grid, Profiles};
use std::time::Instant;
fn main() {
	let grid = match std::env::var("GRID").as_deref() { Ok("pglib1354") => Grid::pglib1354().unwrap(), _ => Grid::pglib300().unwrap() };
	let step: usize = if std::env::var("GRID").as_deref() == Ok("pglib1354") { 4 } else { 2 };
	let profiles = Profiles::shipped();
	let total = profiles.hours.len();
	let train_hours: Vec<usize> = shard_hours(total, 0, 1).into_iter().step_by(step).collect();
	let test_hours: Vec<usize> = test_hours(total).into_iter().step_by(step).collect();
	let train = Solved::build(&grid, &profiles, &train_hours, false).unwrap();
	let test = Solved::build(&grid, &profiles, &test_hours, false).unwrap();
	let lib = train.library();
	let p = &grid.problem;
	let pgs: Vec<Vec<f64>> = test.scenarios.iter().zip(&test.y).map(|(s, y)| grid.setpoints(y, s)).collect();
	let n = pgs.len() as f64;
	let t = Instant::now();
	for _ in 0..20 { for s in &test.scenarios { std::hint::black_box(p.flows(&vec![0.0; p.gen_count()], &s.loads_mw)); } }
	println!("power flow {:.2} us", t.elapsed().as_secs_f64() / n / 20.0 * 1e6);
	let t = Instant::now();
	for _ in 0..std::env::var("NREP").ok().and_then(|v| v.parse().ok()).unwrap_or(20) { for (s, pg) in test.scenarios.iter().zip(&pgs) { std::hint::black_box(lib.nearest(p, pg, &s.pmax_mw, 2)); } }
	println!("nearest {:.2} us", t.elapsed().as_secs_f64() / n / 20.0 * 1e6);
	let t = Instant::now();
	for (s, pg) in test.scenarios.iter().zip(&pgs) { std::hint::black_box(p.certify(pg, &s.loads_mw, &s.pmax_mw)); }
	println!("certify {:.2} us", t.elapsed().as_secs_f64() / n * 1e6);
	let lf: Vec<Vec<f64>> = test.scenarios.iter().map(|s| p.flows(&vec![0.0; p.gen_count()], &s.loads_mw)).collect();
	let t = Instant::now();
	for _ in 0..20 { for ((s, b), l) in test.scenarios.iter().zip(&test.bases).zip(&lf) { std::hint::black_box(p.solve_basis(b, &s.loads_mw, &s.pmax_mw, l)); } }
	println!("solve_basis (own) {:.2} us", t.elapsed().as_secs_f64() / n / 20.0 * 1e6);
	let t = Instant::now();
	for _ in 0..std::env::var("REP").ok().and_then(|v| v.parse().ok()).unwrap_or(1) { for (s, pg) in test.scenarios.iter().zip(&pgs) { std::hint::black_box(p.repair_with(&lib, pg, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap()); } }
	println!("repair_with {:.2} us", t.elapsed().as_secs_f64() / n / std::env::var("REP").ok().and_then(|v| v.parse::<f64>().ok()).unwrap_or(1.0) * 1e6);
	let mut ranks = std::collections::BTreeMap::<i64, usize>::new();
	let mut movesd = std::collections::BTreeMap::<usize, usize>::new();
	for ((s, pg), b) in test.scenarios.iter().zip(&pgs).zip(&test.bases) {
		let near = lib.nearest(p, pg, &s.pmax_mw, 12);
		let r = near.iter().position(|x| *x == b).map_or(-1, |v| v as i64);
		*ranks.entry(r).or_default() += 1;
		let rep = p.repair_with(&lib, pg, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap();
		*movesd.entry(rep.moves).or_default() += 1;
	}
	let (mut tf, mut nf, mut tn, mut nn) = (0.0, 0, 0.0, 0);
	for (s, pg) in test.scenarios.iter().zip(&pgs) {
		let t = Instant::now();
		let r = p.repair_with(&lib, pg, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap();
		let e = t.elapsed().as_secs_f64();
		if r.fallback { tf += e; nf += 1 } else { tn += e; nn += 1 }
	}
	println!("fast path {:.1} us x {nn}; fallback {:.1} us x {nf}; share of time in fallbacks {:.0} %", tn / nn.max(1) as f64 * 1e6, tf / nf.max(1) as f64 * 1e6, 100.0 * tf / (tf + tn));
	println!("rank of own basis: {ranks:?}\nmoves: {movesd:?}");
	let t = Instant::now();
	for _ in 0..624 { std::hint::black_box(p.base_limits()); }
	println!("base_limits {:.2} us", t.elapsed().as_secs_f64() / n * 1e6);
}
#[allow(dead_code)]
fn rank_check() {}
