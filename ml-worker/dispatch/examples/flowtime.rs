use gridbrain_dispatch::{Grid, Profiles};
use std::time::Instant;
fn main() {
	for grid in [Grid::pglib300().unwrap(), Grid::pglib1354().unwrap()] {
		let profiles = Profiles::shipped();
		let s = grid.scenario(&profiles, 4000).unwrap();
		let opt = grid.problem.solve(&s.loads_mw, &s.pmax_mw).unwrap();
		let n = 2000;
		let t = Instant::now();
		let mut acc = 0.0;
		for _ in 0..n { acc += grid.problem.flows(&opt.pg_mw, &s.loads_mw)[0]; }
		let flows = t.elapsed().as_secs_f64() / n as f64;
		let t = Instant::now();
		let mut moves = 0;
		for _ in 0..200 { let r = grid.problem.repair(&opt.pg_mw, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap(); moves += r.moves; }
		let rep = t.elapsed().as_secs_f64() / 200.0;
		let frac = grid.fractions(&opt.pg_mw, &s);
		let pg32 = grid.setpoints(&frac, &s);
		let t = Instant::now();
		let mut fb = 0;
		for _ in 0..200 { let r = grid.problem.repair(&pg32, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap(); moves += r.moves; fb += r.fallback as usize; }
		let rep32 = t.elapsed().as_secs_f64() / 200.0;
		println!("{} buses: flows {:.1} us, repair of the optimum {:.1} us, of its f32 positions {:.1} us (moves {moves}, fallbacks {fb}) {acc:.0}", grid.problem.bus_count(), flows*1e6, rep*1e6, rep32*1e6);
	}
}
