//! The DC-OPF optimum against pandapower's: the IEEE cases
//! (`tests/fixtures/pandapower_dcopf_reference.json`, pandapower 3.5.6 `rundcopp` on
//! `pandapower.networks.case14()` / `case118()`) and the PGLib-OPF cases (below).

use gridbrain_dispatch::{
	Case, DispatchProblem, WarmStart, CASE118, CASE14, PGLIB_CASE118, PGLIB_CASE118_API, PGLIB_CASE1354, PGLIB_CASE300,
};

fn reference() -> serde_json::Value {
	serde_json::from_str(include_str!("fixtures/pandapower_dcopf_reference.json")).expect("fixture parses")
}

fn check(name: &str, text: &str) {
	let r = &reference()[name];
	let p = DispatchProblem::new(Case::parse(text).expect("case parses")).expect("problem builds");
	let (_, pmax) = p.base_limits();
	let d = p.solve(&p.base_loads(), &pmax).expect("solves");
	let want = r["cost"].as_f64().expect("cost");
	let rel = (d.cost - want).abs() / want;
	println!("{name}: ours {:.4} $/h, pandapower {want:.4} $/h, relative difference {rel:.2e}", d.cost);
	assert!(rel < 1e-6, "{name}: {} vs {want}", d.cost);
	// Same set-points per bus (pandapower lists the slack as its external grid).
	let mut by_bus = std::collections::BTreeMap::<u64, f64>::new();
	for g in r["ext_grid"].as_array().into_iter().flatten().chain(r["gen"].as_array().into_iter().flatten()) {
		*by_bus.entry(g["bus"].as_u64().expect("bus")).or_default() += g["p_mw"].as_f64().expect("p");
	}
	for (k, &b) in p.gen_bus.iter().enumerate() {
		let bus = u64::from(p.network.bus_ids[b]);
		let theirs = by_bus.get(&bus).copied().unwrap_or(0.0);
		// Buses with one generator each in these cases.
		assert!((d.pg_mw[k] - theirs).abs() < 1e-2, "{name} bus {bus}: {} vs {theirs}", d.pg_mw[k]);
	}
	assert!(p.violation(&d.pg_mw, &p.base_loads(), &pmax).within(1e-5));
}

#[test]
fn ieee14_matches_pandapower() {
	check("case14", CASE14);
}

#[test]
fn ieee118_matches_pandapower() {
	check("case118", CASE118);
}

/// The PGLib-OPF cases (rated branches, linear costs, phase shifters, shunts) at several load
/// scalings against `tests/fixtures/pglib_dcopf_reference.json` (made by
/// `tools/pandapower_reference.py`): pandapower 3.5.6 `rundcopp` and an independent vertex
/// solution of the same LP by HiGHS. The optimal cost matches both within 1e-6 (relative); the
/// number of branches at their rating matches HiGHS's exactly. pandapower's interior-point
/// solver stops a hair inside some limits, so its count may be lower on degenerate optima
/// (by at most 2 here).
fn check_pglib(name: &str, text: &str) {
	let fixture: serde_json::Value =
		serde_json::from_str(include_str!("fixtures/pglib_dcopf_reference.json")).expect("fixture parses");
	let p = DispatchProblem::new(Case::parse(text).expect("case parses")).expect("problem builds");
	let (_, pmax) = p.base_limits();
	let mut warm = WarmStart::default();
	let rows = fixture["cases"][name].as_array().expect("case in fixture");
	assert!(rows.len() >= 3, "{name}: several load scalings");
	for r in rows {
		let scale = r["scale"].as_f64().expect("scale");
		let want = r["cost"].as_f64().expect("cost");
		let highs = r["highs_cost"].as_f64().expect("highs cost");
		let loads: Vec<f64> = p.base_loads().iter().map(|d| d * scale).collect();
		let d = p.solve_warm(&loads, &pmax, &mut warm).expect("solves");
		let rel = (d.cost - want).abs() / want;
		let rel_highs = (d.cost - highs).abs() / highs;
		let at_limit = d
			.flows_mw
			.iter()
			.zip(&p.network.branches)
			.filter(|(f, br)| br.limit_mw.is_some_and(|lim| f.abs() >= lim * 0.9999))
			.count();
		let theirs = r["branches_at_limit"].as_u64().expect("count") as usize;
		let highs_count = r["highs_branches_at_limit"].as_u64().expect("count") as usize;
		println!(
			"{name} x{scale}: ours {:.4} $/h, pandapower {want:.4} ({rel:.1e}), HiGHS {highs:.4} ({rel_highs:.1e}); \
			 branches at limit {at_limit} (pandapower {theirs}, HiGHS {highs_count}); problems solved {}",
			d.cost, warm.last_solves
		);
		assert!(rel <= 1e-6 && rel_highs <= 1e-6, "{name} x{scale}: {} vs {want} / {highs}", d.cost);
		assert_eq!(at_limit, highs_count, "{name} x{scale}: branches at their limit");
		assert!(at_limit.abs_diff(theirs) <= 2, "{name} x{scale}: {at_limit} vs pandapower's {theirs}");
		assert!(p.violation(&d.pg_mw, &loads, &pmax).within(1e-4));
	}
}

#[test]
fn pglib118_matches_pandapower() {
	check_pglib("case118", PGLIB_CASE118);
}

#[test]
fn pglib118_api_matches_pandapower() {
	check_pglib("case118_api", PGLIB_CASE118_API);
}

#[test]
fn pglib300_matches_pandapower() {
	check_pglib("case300", PGLIB_CASE300);
}

#[test]
fn pglib1354_matches_pandapower() {
	check_pglib("case1354", PGLIB_CASE1354);
}
