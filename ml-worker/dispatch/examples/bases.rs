use gridbrain_dispatch::{compare::Solved, scenario::{shard_hours, test_hours}, Error, Grid, Profiles};
use std::collections::HashMap;

fn sig(grid: &Grid, s: &gridbrain_dispatch::Scenario, y: &[f32], pg: &[f64]) -> (String, String) {
	let p = &grid.problem;
	let (pmin, _) = p.base_limits();
	let mut st = String::new();
	for g in 0..p.gen_count() {
		let (lo, hi) = (pmin[g], s.pmax_mw[g]);
		let span = hi - lo;
		let x = pg[g];
		let tol = 1e-5 * span.max(1.0);
		st.push(if span <= 1e-9 { 'x' } else if x - lo <= tol { '0' } else if hi - x <= tol { '1' } else { 'f' });
	}
	let _ = y;
	let flows = p.flows(pg, &s.loads_mw);
	let mut h = String::new();
	for (l, (f, br)) in flows.iter().zip(&p.network.branches).enumerate() {
		if let Some(lim) = br.limit_mw { if f.abs() >= lim * (1.0 - 1e-6) { h.push_str(&format!("{}{},", if *f > 0.0 {'+'} else {'-'}, l)); } }
	}
	(st, h)
}

fn main() -> Result<(), Error> {
	let args: Vec<String> = std::env::args().collect();
	let name = args.get(1).map_or("pglib300", String::as_str);
	let step: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(2);
	let grid = match name { "pglib118" => Grid::pglib118()?, "pglib300" => Grid::pglib300()?, _ => Grid::pglib1354()? };
	let profiles = Profiles::shipped();
	let total = profiles.hours.len();
	let train_hours: Vec<usize> = shard_hours(total, 0, 1).into_iter().step_by(step).collect();
	let test_hours: Vec<usize> = test_hours(total).into_iter().step_by(step).collect();
	let mut sigs = Vec::new();
	for hours in [&train_hours, &test_hours] {
		let mut warm = Default::default();
		let mut v = Vec::new();
		for &h in hours.iter() {
			let s = grid.scenario(&profiles, h).unwrap();
			let opt = grid.problem.solve_warm(&s.loads_mw, &s.pmax_mw, &mut warm)?;
			v.push(sig(&grid, &s, &[], &opt.pg_mw));
		}
		sigs.push(v);
	}
	let _ = Solved::default();
	let mut full: HashMap<&(String, String), usize> = HashMap::new();
	let mut hs: HashMap<&String, usize> = HashMap::new();
	let mut ss: HashMap<&String, usize> = HashMap::new();
	for s in &sigs[0] { *full.entry(s).or_default() += 1; *hs.entry(&s.1).or_default() += 1; *ss.entry(&s.0).or_default() += 1; }
	let cov = sigs[1].iter().filter(|s| full.contains_key(s)).count();
	let covh = sigs[1].iter().filter(|s| hs.contains_key(&s.1)).count();
	let covs = sigs[1].iter().filter(|s| ss.contains_key(&s.0)).count();
	let nfree: f64 = sigs[0].iter().map(|s| s.0.matches('f').count() as f64).sum::<f64>() / sigs[0].len() as f64;
	let nh: f64 = sigs[0].iter().map(|s| s.1.matches(',').count() as f64).sum::<f64>() / sigs[0].len() as f64;
	println!("{name}: train {} test {}; distinct bases {} (line sets {}, gen statuses {}); test covered: basis {:.1}% lines {:.1}% statuses {:.1}%; mean free {nfree:.1} held {nh:.1}",
		sigs[0].len(), sigs[1].len(), full.len(), hs.len(), ss.len(), 100.0*cov as f64/sigs[1].len() as f64, 100.0*covh as f64/sigs[1].len() as f64, 100.0*covs as f64/sigs[1].len() as f64);
	let mut ex: std::collections::BTreeMap<i64, usize> = Default::default();
	for s in &sigs[0] { *ex.entry(s.0.matches('f').count() as i64 - 1 - s.1.matches(',').count() as i64).or_default() += 1; }
	println!("free - rows: {ex:?}");
	let mut top: Vec<_> = full.values().copied().collect(); top.sort_unstable_by(|a,b| b.cmp(a));
	println!("top basis counts: {:?}", &top[..top.len().min(20)]);
	Ok(())
}
