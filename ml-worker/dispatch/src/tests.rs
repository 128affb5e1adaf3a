//! Unit tests against hand-computed cases.

use crate::{matpower::Case, DispatchProblem, Error, CASE14};
use proptest::prelude::*;

/// A triangle of three equal lines (x = 0.1): bus 1 (slack, cheap generator), bus 2 (dear
/// generator), bus 3 (150 MW load). Line 1–3 is rated `rate` MW (0 = unlimited).
fn triangle(rate: f64) -> Case {
	let text = format!(
		"mpc.baseMVA = 100;
mpc.bus = [
	1	3	0	0	0	0	1	1	0	0	1	1.1	0.9;
	2	2	0	0	0	0	1	1	0	0	1	1.1	0.9;
	3	1	150	0	0	0	1	1	0	0	1	1.1	0.9;
];
mpc.gen = [
	1	0	0	0	0	1	100	1	200	0	0	0	0	0	0	0	0	0	0	0	0;
	2	0	0	0	0	1	100	1	200	0	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	1	2	0	0.1	0	0	0	0	0	0	1	-360	360;
	1	3	0	0.1	0	{rate}	0	0	0	0	1	-360	360;
	2	3	0	0.1	0	0	0	0	0	0	1	-360	360;
];
mpc.gencost = [
	2	0	0	2	10	0;
	2	0	0	2	30	0;
];"
	);
	Case::parse(&text).unwrap()
}

#[test]
fn parses_the_ieee_14_bus_case() {
	let case = Case::parse(CASE14).unwrap();
	assert_eq!(case.base_mva, 100.0);
	assert_eq!((case.buses.len(), case.gens.len(), case.branches.len()), (14, 5, 20));
	assert!((case.total_load_mw() - 259.0).abs() < 1e-9);
	assert_eq!(case.gens[0].pmax_mw, 332.4);
	assert_eq!(case.costs[0].c2, 0.0430292599);
	assert_eq!(case.costs[0].c1, 20.0);
	// Branch 4–7 is a transformer with tap 0.978.
	assert_eq!(case.branches[7].ratio, 0.978);
	assert_eq!(case.buses[0].kind, 3);
}

#[test]
fn rejects_malformed_and_unsupported_cases() {
	assert!(matches!(Case::parse("mpc.baseMVA = 100;"), Err(Error::Parse(_))));
	let unclosed = "mpc.baseMVA = 100;\nmpc.bus = [\n 1 3 0;\n";
	assert!(matches!(Case::parse(unclosed), Err(Error::Parse(_))));
	let bad_number = CASE14.replacen("21.7", "21.x", 1);
	assert!(matches!(Case::parse(&bad_number), Err(Error::Parse(_))));
	let piecewise = CASE14.replacen("2	0	0	3	0.0430292599	20	0;", "1	0	0	2	0	0	100	2000;", 1);
	assert!(matches!(Case::parse(&piecewise), Err(Error::Unsupported(_))));
}

#[test]
fn ptdf_of_a_triangle_splits_two_thirds_one_third() {
	let p = DispatchProblem::new(triangle(0.0)).unwrap();
	// 1 MW injected at bus 2 and taken at the slack: 2/3 on 2→1 (so −2/3 on line 1–2),
	// 1/3 via 2→3→1.
	let col = p.network.ptdf_column(1);
	assert!((col[0] + 2.0 / 3.0).abs() < 1e-12);
	assert!((col[1] + 1.0 / 3.0).abs() < 1e-12);
	assert!((col[2] - 1.0 / 3.0).abs() < 1e-12);
	assert!(p.network.ptdf_column(0).iter().all(|v| *v == 0.0), "the slack column is zero");
	// Flows are linear in the injections: the PTDF column times the injection.
	let flows = p.network.flows(&[-3.0, 3.0, 0.0]);
	assert!(flows.iter().zip(&col).all(|(f, c)| (f - 3.0 * c).abs() < 1e-12));
}

#[test]
fn unlimited_triangle_runs_the_cheap_generator_only() {
	let p = DispatchProblem::new(triangle(0.0)).unwrap();
	let d = p.solve(&p.base_loads(), &[200.0, 200.0]).unwrap();
	assert!((d.pg_mw[0] - 150.0).abs() < 1e-5 && d.pg_mw[1].abs() < 1e-5, "{:?}", d.pg_mw);
	assert!((d.cost - 1500.0).abs() < 1e-3);
	assert!((d.flows_mw[1] - 100.0).abs() < 1e-4, "2/3 of 150 MW on line 1–3");
}

#[test]
fn a_binding_line_limit_redispatches_the_dear_generator() {
	// flow(1–3) = 100 − P2/3 ≤ 80  ⇒  P2 = 60, P1 = 90, cost 10·90 + 30·60 = 2700.
	let p = DispatchProblem::new(triangle(80.0)).unwrap();
	let d = p.solve(&p.base_loads(), &[200.0, 200.0]).unwrap();
	assert!((d.pg_mw[0] - 90.0).abs() < 1e-4 && (d.pg_mw[1] - 60.0).abs() < 1e-4, "{:?}", d.pg_mw);
	assert!((d.cost - 2700.0).abs() < 1e-2);
	assert!((d.flows_mw[1] - 80.0).abs() < 1e-4);
	assert!(p.violation(&d.pg_mw, &p.base_loads(), &[200.0, 200.0]).within(1e-5));
	// The unconstrained optimum violates the rating by 20 MW.
	let v = p.violation(&[150.0, 0.0], &p.base_loads(), &[200.0, 200.0]);
	assert!((v.line_mw - 20.0).abs() < 1e-9 && v.balance_mw == 0.0 && v.gen_mw == 0.0);
}

#[test]
fn too_little_capacity_is_infeasible_and_bad_inputs_are_rejected() {
	let p = DispatchProblem::new(triangle(0.0)).unwrap();
	assert_eq!(p.solve(&p.base_loads(), &[50.0, 50.0]), Err(Error::Infeasible));
	assert!(matches!(p.solve(&[0.0, 150.0], &[200.0, 200.0]), Err(Error::Input(_))));
	assert!(matches!(p.solve(&[0.0, 0.0, f64::NAN], &[200.0, 200.0]), Err(Error::Input(_))));
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(32))]

	/// On the 14-bus case with scaled loads, the optimum is feasible and no worse than the
	/// feasible dispatch proportional to each generator's capacity.
	#[test]
	fn optimum_is_feasible_and_beats_a_proportional_dispatch(
		scales in prop::collection::vec(0.3f64..1.5, 14),
	) {
		let p = DispatchProblem::new(Case::parse(CASE14).unwrap()).unwrap();
		let loads: Vec<f64> = p.base_loads().iter().zip(&scales).map(|(d, s)| d * s).collect();
		let (_, pmax) = p.base_limits();
		let d = p.solve(&loads, &pmax).unwrap();
		prop_assert!(p.violation(&d.pg_mw, &loads, &pmax).within(1e-4));
		let total: f64 = loads.iter().sum();
		let cap: f64 = pmax.iter().sum();
		let proportional: Vec<f64> = pmax.iter().map(|m| m * total / cap).collect();
		prop_assert!(d.cost <= p.cost(&proportional) + 1e-6);
	}
}

#[test]
fn repair_restores_limits_and_balance() {
	let p = DispatchProblem::new(triangle(0.0)).unwrap();
	let loads = p.base_loads();
	let pmax = [200.0, 200.0];
	for guess in [[250.0, -10.0], [10.0, 10.0], [f64::NAN, 300.0], [100.0, 50.0]] {
		let r = p.repair(&guess, &loads, &pmax, &mut Default::default()).unwrap();
		let v = p.violation(&r.pg_mw, &loads, &pmax);
		assert!(v.within(1e-9) && !r.fallback, "{guess:?} -> {r:?}: {v:?}");
	}
	// The balance is closed in merit order: a surplus is shed by the dear generator first.
	let r = p.repair(&[250.0, -10.0], &loads, &pmax, &mut Default::default()).unwrap();
	assert_eq!(r.pg_mw, vec![150.0, 0.0]);
	let r = p.repair(&[10.0, 10.0], &loads, &pmax, &mut Default::default()).unwrap();
	assert_eq!(r.pg_mw, vec![140.0, 10.0], "a shortfall is taken by the cheap generator");
	// A feasible guess is left alone.
	assert_eq!(p.repair(&[100.0, 50.0], &loads, &pmax, &mut Default::default()).unwrap().pg_mw, vec![100.0, 50.0]);
}

#[test]
fn scenarios_follow_the_profiles_and_shards_are_seasons() {
	use crate::scenario::{is_held_out, shard_hours, test_hours, Grid, Profiles};
	let profiles = Profiles::parse(crate::scenario::PROFILES_2016).unwrap();
	assert_eq!(profiles.hours.len(), 8784);
	let grid = Grid::ieee14().unwrap();
	assert_eq!(grid.problem.gen_count(), 5 + 5);
	let s = grid.scenario(&profiles, 12).unwrap();
	assert_eq!(s.loads_mw.len(), 14);
	assert_eq!(grid.features(&s).len(), grid.feature_count());
	// Loads never exceed the case's demand (profiles are scaled to peak at it).
	let base = grid.problem.base_loads();
	assert!(s.loads_mw.iter().zip(&base).all(|(l, b)| *l <= b + 1e-9));
	// Every scenario of the year is feasible and solves.
	for h in (0..8784).step_by(97) {
		let s = grid.scenario(&profiles, h).unwrap();
		let d = grid.problem.solve(&s.loads_mw, &s.pmax_mw).unwrap();
		assert!(grid.problem.violation(&d.pg_mw, &s.loads_mw, &s.pmax_mw).within(1e-4));
	}
	// Shards: disjoint, no held-out hour, together all training hours; shard 0 is winter.
	let shards: Vec<Vec<usize>> = (0..3).map(|k| shard_hours(8784, k, 3)).collect();
	let total: usize = shards.iter().map(Vec::len).sum();
	assert_eq!(total + test_hours(8784).len(), 8784);
	assert!(shards.iter().flatten().all(|&h| !is_held_out(h)));
	assert!(shards[0].iter().all(|&h| h < 8784 / 3 + 24));
	assert!(shards[2].iter().all(|&h| h >= 2 * 8784 / 3 - 24));
}

/// Two buses joined by two equal lines (x = 0.1, so b = 10 p.u.), the second with a phase
/// shift of 0.05 rad; bus 2 draws 100 MW plus a 10 MW shunt. DC flows: F_A + F_B = 1.1 p.u.,
/// F_A = b·Δθ, F_B = b·(Δθ − φ) ⇒ F_A = (1.1 + bφ)/2 = 0.8, F_B = 0.3 p.u.
fn phase_shifter_case(rate_b: f64) -> Case {
	let shift_deg = 0.05f64.to_degrees();
	Case::parse(&format!(
		"mpc.baseMVA = 100;
mpc.bus = [
	1	3	0	0	0	0	1	1	0	0	1	1.1	0.9;
	2	1	100	0	10	0	1	1	0	0	1	1.1	0.9;
];
mpc.gen = [
	1	0	0	0	0	1	100	1	300	0	0	0	0	0	0	0	0	0	0	0	0;
	2	0	0	0	0	1	100	1	50	0	0	0	0	0	0	0	0	0	0	0	0;
];
mpc.branch = [
	1	2	0	0.1	0	0	0	0	0	0	1	-360	360;
	1	2	0	0.1	0	{rate_b}	0	0	0	{shift_deg}	1	-360	360;
];
mpc.gencost = [
	2	0	0	3	0	10	0;
	2	0	0	3	0	40	0;
];"
	))
	.unwrap()
}

#[test]
fn phase_shifter_and_shunt_follow_makebdc() {
	let p = DispatchProblem::new(phase_shifter_case(0.0)).unwrap();
	assert_eq!(p.network.shunt_mw, vec![0.0, 10.0]);
	// Phase shifter's bus injections: Pfinj = −bφ·base = −50 MW at the from bus, +50 at the to.
	assert!((p.network.shift_bus_mw[0] + 50.0).abs() < 1e-9 && (p.network.shift_bus_mw[1] - 50.0).abs() < 1e-9);
	let d = p.solve(&p.base_loads(), &[300.0, 50.0]).unwrap();
	// The shunt is served: 110 MW from the cheap generator.
	assert!((d.pg_mw[0] - 110.0).abs() < 1e-5 && d.pg_mw[1].abs() < 1e-5, "{:?}", d.pg_mw);
	assert!((d.flows_mw[0] - 80.0).abs() < 1e-6 && (d.flows_mw[1] - 30.0).abs() < 1e-6, "{:?}", d.flows_mw);
	assert!((d.cost - 1100.0).abs() < 1e-3);
	// Angles: θ2 = −F_A / b.
	let theta = p.network.angles(&p.injections(&d.pg_mw, &p.base_loads()));
	assert!(theta[0] == 0.0 && (theta[1] + 0.08).abs() < 1e-9, "{theta:?}");
}

#[test]
fn a_rated_phase_shifter_branch_redispatches() {
	// Line B rated 20 MW: with P2 the local generator, F_B = (1.1 − P2/100 + 0.5)/2 − 0.5 ≤ 0.2
	// ⇒ P2 ≥ 20 MW; cost 10·90 + 40·20 = 1700.
	let p = DispatchProblem::new(phase_shifter_case(20.0)).unwrap();
	let d = p.solve(&p.base_loads(), &[300.0, 50.0]).unwrap();
	assert!((d.pg_mw[1] - 20.0).abs() < 1e-4, "{:?}", d.pg_mw);
	assert!((d.cost - 1700.0).abs() < 1e-2);
	assert!((d.flows_mw[1] - 20.0).abs() < 1e-4);
	// The repair of the unconstrained optimum moves the same 20 MW, with a certificate.
	let r = p.repair(&[110.0, 0.0], &p.base_loads(), &[300.0, 50.0], &mut Default::default()).unwrap();
	assert!(!r.fallback && r.moves > 0, "{r:?}");
	assert!(p.certify(&r.pg_mw, &p.base_loads(), &[300.0, 50.0]));
	assert!((r.pg_mw[1] - 20.0).abs() < 1e-3, "{:?}", r.pg_mw);
}

#[test]
fn disconnected_and_isolated_networks_are_rejected() {
	let island = phase_shifter_case(0.0).branches.len();
	let mut case = phase_shifter_case(0.0);
	for b in &mut case.branches {
		b.in_service = false;
	}
	assert!(island == 2 && matches!(DispatchProblem::new(case), Err(Error::Parse(_))));
	let mut case = phase_shifter_case(0.0);
	case.buses[1].kind = 4;
	assert!(matches!(DispatchProblem::new(case), Err(Error::Unsupported(_))));
}

/// The sparse factor agrees with the dense inverse on a real grid: every PTDF column of the
/// PGLib 118-bus case matches `B⁻¹` computed by Gauss–Jordan.
#[test]
fn sparse_ptdf_matches_the_dense_inverse() {
	let p = DispatchProblem::new(Case::parse(crate::PGLIB_CASE118).unwrap()).unwrap();
	let net = &p.network;
	let n = net.bus_count();
	let slack = net.slack;
	let red = |k: usize| if k < slack { Some(k) } else if k > slack { Some(k - 1) } else { None };
	let mut b = vec![vec![0.0; n - 1]; n - 1];
	for br in &net.branches {
		for (x, y, v) in [(br.from, br.from, br.b), (br.to, br.to, br.b), (br.from, br.to, -br.b), (br.to, br.from, -br.b)] {
			if let (Some(x), Some(y)) = (red(x), red(y)) {
				b[x][y] += v;
			}
		}
	}
	let inv = invert(b).unwrap();
	let x = |i: usize, k: usize| match (red(i), red(k)) {
		(Some(i), Some(k)) => inv[i][k],
		_ => 0.0,
	};
	for k in (0..n).step_by(7) {
		let col = net.ptdf_column(k);
		for (l, br) in net.branches.iter().enumerate() {
			let want = br.b * (x(br.from, k) - x(br.to, k));
			assert!((col[l] - want).abs() < 1e-9, "bus {k} branch {l}: {} vs {want}", col[l]);
		}
	}
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(24))]

	/// Whatever a predictor says (any positions, NaN included), the repair returns a dispatch
	/// that meets every limit on the congested PGLib 300-bus grid, never cheaper than the
	/// optimum; the certificate and the fallback flag agree with an independent check.
	#[test]
	fn repair_is_always_feasible_on_a_congested_grid(
		hour in 0usize..8784,
		noise in prop::collection::vec(-1.0f64..1.0, 99),
		amplitude in prop_oneof![Just(0.0), Just(0.02), Just(0.2), Just(2.0)],
		nan_at in prop::option::of(0usize..99),
	) {
		with_pglib300(|grid, profiles| {
			let p = &grid.problem;
			let s = grid.scenario(profiles, hour).unwrap();
			let opt = p.solve(&s.loads_mw, &s.pmax_mw).unwrap();
			let guess = noisy_guess(grid, &s, &opt.pg_mw, &noise, amplitude, nan_at);
			let r = p.repair(&guess, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap();
			let v = p.violation(&r.pg_mw, &s.loads_mw, &s.pmax_mw);
			prop_assert!(v.within(1e-3), "{v:?}");
			prop_assert!(p.certify(&r.pg_mw, &s.loads_mw, &s.pmax_mw));
			prop_assert!(p.cost(&r.pg_mw) >= opt.cost * (1.0 - 1e-7), "{} < {}", p.cost(&r.pg_mw), opt.cost);
			if r.fallback {
				prop_assert!((p.cost(&r.pg_mw) - opt.cost).abs() <= 1e-6 * opt.cost);
			}
			Ok(())
		})?;
	}
}

#[test]
fn ridge_and_knn_fit_what_they_should() {
	use crate::predict::{Knn, Ridge};
	// y = clamp(0.25 + 0.5·x0 − 0.25·x1) exactly linear inside [0, 1].
	let x: Vec<Vec<f32>> = (0..50).map(|i| vec![(i % 7) as f32 / 7.0, (i % 5) as f32 / 5.0, 1.0]).collect();
	let y: Vec<Vec<f32>> = x.iter().map(|r| vec![0.25 + 0.5 * r[0] - 0.25 * r[1]]).collect();
	let ridge = Ridge::fit(&x, &y, 1e-9).unwrap();
	for (r, t) in x.iter().zip(&y) {
		assert!((ridge.predict(r)[0] - t[0]).abs() < 1e-4);
	}
	let knn = Knn::fit(&x, &y, 1).unwrap();
	assert_eq!(knn.predict(&x[3]), y[3]);
	assert!(matches!(Knn::fit(&x, &y, 0), Err(Error::Input(_))));
	assert!(matches!(Ridge::fit(&x, &y[..3], 1e-3), Err(Error::Input(_))));
	assert!(matches!(Ridge::fit(&[], &[], 1e-3), Err(Error::Input(_))));
}

/// The comparison pipeline on the congested PGLib 118-bus grid: predicting the optimum gives a
/// zero gap with no fallback; a constant prediction is repaired to feasibility (gap ≥ 0); the
/// binding statistics match the optima; bad inputs are errors.
#[test]
fn comparison_pipeline_measures_what_it_says() {
	use crate::{
		compare::{evaluate, solver_seconds, Solved},
		scenario::{Grid, Profiles},
	};
	let grid = Grid::pglib118().unwrap();
	let profiles = Profiles::shipped();
	let hours: Vec<usize> = (0..8784).step_by(401).collect();
	let data = Solved::build(&grid, &profiles, &hours, false).unwrap();
	assert_eq!(data.len(), hours.len());
	assert!(data.binding_share() > 0.5, "case118 binds in most hours: {}", data.binding_share());
	let exact = evaluate(&grid, &data, &data.y, 0.0, None).unwrap();
	assert!(exact.mean_gap.abs() < 1e-6 && exact.worst_gap < 1e-5, "{exact}");
	assert_eq!((exact.infeasible_after, exact.fallback), (0.0, 0.0), "{exact}");
	let half: Vec<Vec<f32>> = data.y.iter().map(|y| vec![0.5; y.len()]).collect();
	let e = evaluate(&grid, &data, &half, 0.0, None).unwrap();
	assert_eq!(e.infeasible_after, 0.0, "{e}");
	assert!(e.mean_gap > 1e-3 && e.worst_gap >= e.mean_gap, "{e}");
	assert!(matches!(evaluate(&grid, &data, &half[1..], 0.0, None), Err(Error::Input(_))));
	assert!(solver_seconds(&grid, &data).unwrap() > 0.0);
	let both = Solved::concat(&[data.clone(), data.clone()]);
	assert_eq!((both.len(), both.binding.len()), (2 * data.len(), 2 * data.len()));
}

/// Inverse of a square matrix by Gauss–Jordan elimination with partial pivoting: the dense
/// reference for the sparse factor.
fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
	let n = a.len();
	let mut inv: Vec<Vec<f64>> =
		(0..n).map(|i| (0..n).map(|j| if i == j { 1.0 } else { 0.0 }).collect()).collect();
	for c in 0..n {
		let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs()))?;
		if a[p][c].abs() < 1e-12 {
			return None;
		}
		a.swap(c, p);
		inv.swap(c, p);
		let d = a[c][c];
		for j in 0..n {
			a[c][j] /= d;
			inv[c][j] /= d;
		}
		for i in 0..n {
			if i != c {
				let f = a[i][c];
				if f != 0.0 {
					for j in 0..n {
						a[i][j] -= f * a[c][j];
						inv[i][j] -= f * inv[c][j];
					}
				}
			}
		}
	}
	Some(inv)
}

/// A prediction near the optimum `pg_mw`: its positions plus `amplitude` × `noise`, one NaN
/// where `nan_at` says.
fn noisy_guess(grid: &crate::Grid, s: &crate::Scenario, pg_mw: &[f64], noise: &[f64], amplitude: f64, nan_at: Option<usize>) -> Vec<f64> {
	let mut frac = grid.fractions(pg_mw, s);
	for (f, e) in frac.iter_mut().zip(noise) {
		*f += (amplitude * e) as f32;
	}
	if let Some(k) = nan_at {
		frac[k] = f32::NAN;
	}
	grid.setpoints(&frac, s)
}

/// Case300 and its profiles, built once per test thread.
fn with_pglib300<R>(f: impl FnOnce(&crate::Grid, &crate::Profiles) -> R) -> R {
	use crate::scenario::{Grid, Profiles};
	thread_local! {
		static GRID: Grid = Grid::pglib300().unwrap();
		static PROFILES: Profiles = Profiles::shipped();
	}
	GRID.with(|grid| PROFILES.with(|profiles| f(grid, profiles)))
}

/// The basis read from an optimum solves back to that optimum, dual feasible and certified, on
/// congested hours of case300 (every one has branches at their rating).
#[test]
fn an_optimums_basis_solves_back_to_it_and_is_dual_feasible() {
	use crate::Basis;
	with_pglib300(|grid, profiles| {
		let p = &grid.problem;
		for hour in (0..8784).step_by(1201) {
			let s = grid.scenario(profiles, hour).unwrap();
			let opt = p.solve(&s.loads_mw, &s.pmax_mw).unwrap();
			let basis = Basis::of(p, &opt.pg_mw, &s.loads_mw, &s.pmax_mw);
			assert!(!basis.held.is_empty(), "hour {hour} has no branch at its rating");
			let load_flows = p.flows(&vec![0.0; p.gen_count()], &s.loads_mw);
			let sol = p.solve_basis(&basis, &s.loads_mw, &s.pmax_mw, &load_flows).unwrap();
			assert!(sol.dual_feasible, "hour {hour}");
			assert!(p.certify(&sol.pg_mw, &s.loads_mw, &s.pmax_mw), "hour {hour}");
			let gap = (p.cost(&sol.pg_mw) - opt.cost) / opt.cost;
			assert!(gap.abs() < 1e-6, "hour {hour}: gap {gap:e}");
		}
	});
}

/// Dual simplex pivots from the previous hour's optimal basis reach this hour's optimum (same
/// cost as the solver, within 1e-6) wherever the basis changed; a basis with a generator wrongly
/// at a limit is not dual feasible and is refused as a start of the certificate.
#[test]
fn dual_simplex_from_the_previous_hours_basis_reaches_the_optimum() {
	use crate::Basis;
	with_pglib300(|grid, profiles| {
		let p = &grid.problem;
		let (mut changed, mut reached) = (0, 0);
		for hour in (1..8784).step_by(733) {
			let prev = grid.scenario(profiles, hour - 1).unwrap();
			let s = grid.scenario(profiles, hour).unwrap();
			let prev_opt = p.solve(&prev.loads_mw, &prev.pmax_mw).unwrap();
			let opt = p.solve(&s.loads_mw, &s.pmax_mw).unwrap();
			let start = Basis::of(p, &prev_opt.pg_mw, &prev.loads_mw, &prev.pmax_mw);
			if start == Basis::of(p, &opt.pg_mw, &s.loads_mw, &s.pmax_mw) {
				continue;
			}
			changed += 1;
			let load_flows = p.flows(&vec![0.0; p.gen_count()], &s.loads_mw);
			if let Some(v) = p.dual_simplex(&start, &s.loads_mw, &s.pmax_mw, &load_flows, 16) {
				let (pg, pivots) = (v.pg_mw, v.pivots);
				reached += 1;
				assert!(p.certify(&pg, &s.loads_mw, &s.pmax_mw), "hour {hour}");
				let gap = (p.cost(&pg) - opt.cost) / opt.cost;
				assert!(gap.abs() < 1e-6, "hour {hour}: gap {gap:e} after {pivots} pivots");
			}
		}
		assert!(changed >= 8 && reached * 4 >= changed * 3, "reached {reached} of {changed}");
	});
}

proptest! {
	#![proptest_config(ProptestConfig::with_cases(24))]

	/// The library repair on case300 with random, noisy and NaN predictions, and a library that
	/// holds the bases of a few training hours plus bases an attacker made up (random statuses
	/// and branches): the result always meets every limit, is never cheaper than the optimum,
	/// and whenever it says it is the optimum, it is (cost within 1e-6 of the solver's).
	#[test]
	fn library_repair_is_feasible_and_never_claims_a_false_optimum(
		hour in 0usize..8784,
		noise in prop::collection::vec(-1.0f64..1.0, 99),
		amplitude in prop_oneof![Just(0.0), Just(0.02), Just(0.2), Just(2.0)],
		nan_at in prop::option::of(0usize..99),
		junk in prop::collection::vec((any::<[u64; 2]>(), any::<[u64; 2]>(), prop::collection::vec((0u32..411, any::<bool>()), 0..12)), 0..24),
	) {
		use crate::{Basis, BasisLibrary};
		with_pglib300(|grid, profiles| {
			let p = &grid.problem;
			let mut library = BasisLibrary::new();
			for h in (hour % 97..8784).step_by(211) {
				let t = grid.scenario(profiles, h).unwrap();
				let o = p.solve(&t.loads_mw, &t.pmax_mw).unwrap();
				library.insert(Basis::of(p, &o.pg_mw, &t.loads_mw, &t.pmax_mw));
			}
			for (lower, upper, held) in &junk {
				library.insert(Basis { lower: lower.to_vec(), upper: upper.to_vec(), held: held.clone() });
			}
			let s = grid.scenario(profiles, hour).unwrap();
			let opt = p.solve(&s.loads_mw, &s.pmax_mw).unwrap();
			let guess = noisy_guess(grid, &s, &opt.pg_mw, &noise, amplitude, nan_at);
			let r = p.repair_with(&library, &guess, &s.loads_mw, &s.pmax_mw, &mut Default::default()).unwrap();
			let v = p.violation(&r.pg_mw, &s.loads_mw, &s.pmax_mw);
			prop_assert!(v.within(1e-3), "{v:?}");
			prop_assert!(p.certify(&r.pg_mw, &s.loads_mw, &s.pmax_mw));
			prop_assert!(p.cost(&r.pg_mw) >= opt.cost * (1.0 - 1e-7), "{} < {}", p.cost(&r.pg_mw), opt.cost);
			if r.optimal {
				prop_assert!((p.cost(&r.pg_mw) - opt.cost).abs() <= 1e-6 * opt.cost, "claimed optimal: {} vs {}", p.cost(&r.pg_mw), opt.cost);
			}
			Ok(())
		})?;
	}
}

/// The library counts repeated bases once, finds them, and orders the nearest bases by the
/// generators whose status differs from the guess, then by how often they occurred.
#[test]
fn library_orders_bases_by_distance_then_count() {
	use crate::{Basis, BasisLibrary};
	let grid = crate::Grid::pglib118().unwrap();
	let p = &grid.problem;
	let ng = p.gen_count();
	let words = ng.div_ceil(64);
	let (pmin, pmax) = p.base_limits();
	// A guess with every generator at its upper limit (those whose limits coincide count as at
	// the lower one).
	let guess = pmax.clone();
	let (mut lower, mut upper) = (vec![0u64; words], vec![0u64; words]);
	for g in 0..ng {
		if pmax[g] - pmin[g] <= 1e-9 {
			lower[g / 64] |= 1 << (g % 64);
		} else {
			upper[g / 64] |= 1 << (g % 64);
		}
	}
	let ranged: Vec<usize> = (0..ng).filter(|&g| pmax[g] - pmin[g] > 1e-9).take(2).collect();
	let exact = Basis { lower: lower.clone(), upper: upper.clone(), held: vec![] };
	let mut one_off = exact.clone();
	one_off.upper[ranged[0] / 64] &= !(1 << (ranged[0] % 64)); // free
	let mut also_one_off = exact.clone();
	also_one_off.upper[ranged[1] / 64] &= !(1 << (ranged[1] % 64)); // free
	let far = Basis { lower: upper, upper: lower, held: vec![(3, true)] };
	let mut lib = BasisLibrary::new();
	lib.insert(far.clone());
	lib.insert(one_off.clone());
	lib.insert(also_one_off.clone());
	lib.insert(also_one_off.clone());
	assert_eq!(lib.len(), 3);
	assert!(!lib.contains(&exact));
	lib.insert(exact.clone());
	assert!(lib.contains(&exact) && lib.contains(&far));
	let near = lib.nearest(p, &guess, &pmax, 3);
	assert_eq!(near, vec![&exact, &also_one_off, &one_off]);
	assert_eq!(lib.nearest(p, &guess, &pmax, 99).len(), 4);
	assert!(BasisLibrary::new().nearest(p, &guess, &pmax, 5).is_empty());
}

/// The dual simplex solves the congested PGLib grids exactly (the interior-point solver's cost
/// within 1e-6, certified), cold from the merit order and warm from the previous hour's basis,
/// and the warm start pivots less in all.
#[test]
fn dual_simplex_solves_the_pglib_grids_cold_and_warm() {
	use crate::scenario::{Grid, Profiles};
	let profiles = Profiles::shipped();
	for (grid, step) in [(Grid::pglib118().unwrap(), 877), (Grid::pglib300().unwrap(), 613), (Grid::pglib1354().unwrap(), 2203)] {
		let p = &grid.problem;
		let (mut cold_pivots, mut warm_pivots) = (0, 0);
		let mut warm = None;
		for hour in (5..8784).step_by(step) {
			for h in [hour - 1, hour] {
				let s = grid.scenario(&profiles, h).unwrap();
				let opt = p.solve(&s.loads_mw, &s.pmax_mw).unwrap();
				let cold = p.solve_simplex(&s.loads_mw, &s.pmax_mw, &mut None).unwrap().expect("solved cold");
				let hot = p.solve_simplex(&s.loads_mw, &s.pmax_mw, &mut warm).unwrap().expect("solved warm");
				for v in [&cold, &hot] {
					assert!(p.certify(&v.pg_mw, &s.loads_mw, &s.pmax_mw), "hour {h}");
					let gap = (p.cost(&v.pg_mw) - opt.cost) / opt.cost;
					assert!(gap.abs() < 1e-6, "{} buses, hour {h}: gap {gap:e}: {} vs {}; solver's violation {:?}", p.bus_count(), p.cost(&v.pg_mw), opt.cost, p.violation(&opt.pg_mw, &s.loads_mw, &s.pmax_mw));
				}
				if h == hour {
					cold_pivots += cold.pivots;
					warm_pivots += hot.pivots;
				}
				assert_eq!(warm.as_ref(), Some(&hot.basis));
			}
		}
		assert!(warm_pivots < cold_pivots, "warm {warm_pivots} cold {cold_pivots}");
	}
}
