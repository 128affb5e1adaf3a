//! The DC-OPF optimum against pandapower's (`tests/fixtures/pandapower_dcopf_reference.json`,
//! computed with pandapower 3.5.6 `rundcopp` on `pandapower.networks.case14()` / `case118()`).

use gridbrain_dispatch::{Case, DispatchProblem, CASE118, CASE14};

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
