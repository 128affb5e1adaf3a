//! The worker's side of the Dispatch pallet: from the chain's sealed energy data to a plan for
//! every upcoming interval, and from the sealed data back into training.
//!
//! On every block the worker acts on, [`Planner::on_block`]:
//!
//! 1. reads the grid map (`DispatchApi::grid_map`) and checks it fits the worker's grid (the
//!    case's name, its generator count, every mapped bus in the case); a map for another case
//!    is reported once and nothing is planned;
//! 2. reads the energy data blocks sealed since the last one it saw (`EnergyDataApi::data_block`,
//!    in order, a few per block) and turns each into the **metered net load per mapped zone** at
//!    its bus (kW; [`gridbrain_aggregation::agreement::zone_net_kw`], the formula the chain's
//!    imbalance accounting uses);
//! 3. for the next interval (`current + 1`, inside the pallet's submission window), once a
//!    global model is adopted and a block is sealed, forecasts each zone's net load
//!    ([`persistence`]: the latest sealed interval's; [`moving_average`] of the last
//!    [`MOVING_AVERAGE`] is computed beside it and its error reported), builds the interval's
//!    scenario ([`scenario_for`]), predicts the set-points with the adopted global model,
//!    repairs them (the line-safe repair of `gridbrain-dispatch`) and submits the plan
//!    (`Dispatch::submit_plan`) with the model's version;
//! 4. when an interval it planned is sealed, reports both forecasts' errors against the
//!    metered values and appends a row to `dispatch.csv` in the base path;
//! 5. keeps each sealed interval as a **chain-derived scenario** (the scenario of its metered
//!    zone loads, solved for the optimal dispatch): the last [`CHAIN_SCENARIOS`] of them are
//!    added to the worker's shard when it trains, one sample each, like a profile hour
//!    (`history.csv` records how many each round used).
//!
//! An interval's base scenario is hour `interval mod 8,784` of the shipped profiles (the same on
//! every worker, so honest plans differ only by their forecasts); the zones' net loads are added
//! to the loads of their buses (a zone producing more than it consumes lowers its bus's load).

use crate::{chain::Chain, model::DispatchNet};
use anyhow::{Context, Result};
use gridbrain_aggregation::agreement::zone_net_kw;
use gridbrain_dispatch::{BasisLibrary, Grid, Profiles, Scenario};
use gridbrain_runtime::{BlockNumber, Runtime, RuntimeCall};
use pallet_dispatch::{runtime_api::GridMapView, ZoneBus};
use pallet_energy_data::{EnergyDataBlock, IntervalIndex};
use sp_core::H256;
use sp_runtime::traits::Get;
use std::collections::{BTreeMap, HashSet, VecDeque};
use std::path::PathBuf;

/// Chain-derived scenarios kept for training (the most recent).
pub const CHAIN_SCENARIOS: usize = 256;
/// Sealed intervals kept for forecasting and reporting.
pub const ACTUALS_KEPT: usize = 64;
/// Sealed intervals averaged by the moving-average forecast.
pub const MOVING_AVERAGE: usize = 3;
/// Energy data blocks read per chain block at most (sealing is in order; the worker catches up
/// over a few blocks after a restart).
const READS_PER_BLOCK: u32 = 4;

/// Metered net load (consumption − production) per mapped zone of a sealed block, kW at the
/// zone's bus; a zone without readings is 0. Saturates an absurd total (as the chain does).
pub fn zone_actuals(block: &EnergyDataBlock, zones: &[ZoneBus], interval_seconds: u32) -> Vec<i64> {
	zones
		.iter()
		.map(|z| {
			let (produced, consumed) = block
				.per_zone
				.iter()
				.find(|t| t.zone == z.zone)
				.map(|t| (t.produced_wh, t.consumed_wh))
				.unwrap_or_default();
			zone_net_kw(produced, consumed, interval_seconds, z.scale)
				.unwrap_or(if consumed >= produced { i64::MAX } else { i64::MIN })
		})
		.collect()
}

/// The persistence forecast: the latest sealed interval's net loads.
pub fn persistence(actuals: &BTreeMap<IntervalIndex, Vec<i64>>) -> Option<Vec<i64>> {
	actuals.values().next_back().cloned()
}

/// The mean of the last `k` sealed intervals' net loads (fewer while fewer are known), rounded
/// toward −∞.
pub fn moving_average(actuals: &BTreeMap<IntervalIndex, Vec<i64>>, k: usize) -> Option<Vec<i64>> {
	let last: Vec<&Vec<i64>> = actuals.values().rev().take(k.max(1)).collect();
	let width = last.first()?.len();
	let n = last.len() as i128;
	Some(
		(0..width)
			.map(|z| {
				let sum: i128 = last.iter().map(|v| i128::from(v.get(z).copied().unwrap_or(0))).sum();
				i64::try_from(sum.div_euclid(n)).unwrap_or(0)
			})
			.collect(),
	)
}

/// Σ |actual − forecast| over the zones, kW.
pub fn absolute_error(forecast: &[i64], actual: &[i64]) -> u64 {
	forecast.iter().zip(actual).map(|(f, a)| (i128::from(*a) - i128::from(*f)).unsigned_abs()).sum::<u128>().try_into().unwrap_or(u64::MAX)
}

/// Whether `map` is a map of `grid` (named `case`): the same case, one set-point per generator,
/// every mapped bus in the case. The reason when it is not.
pub fn check_map(map: &GridMapView, case: &str, grid: &Grid) -> Result<(), String> {
	let name = String::from_utf8_lossy(&map.case);
	if name != case {
		return Err(format!("the chain's grid map is for case `{name}`, this worker dispatches `{case}` (start it with `--grid {name}`)"));
	}
	if map.generators as usize != grid.problem.gen_count() {
		return Err(format!(
			"the chain's grid map has {} set-points, the worker's {case} has {} generators",
			map.generators,
			grid.problem.gen_count()
		));
	}
	if let Some(z) = map.zones.iter().find(|z| !grid.problem.network.bus_ids.contains(&z.bus)) {
		return Err(format!("the chain maps zone {} to bus {}, which {case} does not have", z.zone, z.bus));
	}
	Ok(())
}

/// The scenario of `interval` with the zones' net loads `net_kw` (kW at their buses; see the
/// module docs).
pub fn scenario_for(grid: &Grid, profiles: &Profiles, interval: IntervalIndex, zones: &[ZoneBus], net_kw: &[i64]) -> Result<Scenario> {
	let hours = profiles.hours.len().max(1);
	let hour = (interval as usize) % hours;
	let mut s = grid.scenario(profiles, hour).with_context(|| format!("no profile hour {hour}"))?;
	for (z, kw) in zones.iter().zip(net_kw) {
		let bus = grid.problem.network.bus_ids.iter().position(|&b| b == z.bus).with_context(|| format!("no bus {}", z.bus))?;
		let load = s.loads_mw.get_mut(bus).with_context(|| format!("no load at bus {}", z.bus))?;
		*load += *kw as f64 / 1_000.0;
	}
	Ok(s)
}

/// Set-points in kW of the model's positions `fractions` for scenario `s`, after the repair:
/// with the worker's library of optimal bases when it has one (the certified optimum, see
/// `gridbrain_dispatch::basis`), the line-safe repair otherwise; and whether the repair fell
/// back to the solver.
pub fn setpoints_kw(grid: &Grid, s: &Scenario, fractions: &[f32], library: Option<&BasisLibrary>) -> Result<(Vec<i64>, bool)> {
	let pg = grid.setpoints(fractions, s);
	let mut warm = Default::default();
	let repaired = match library {
		Some(lib) => grid.problem.repair_with(lib, &pg, &s.loads_mw, &s.pmax_mw, &mut warm),
		None => grid.problem.repair(&pg, &s.loads_mw, &s.pmax_mw, &mut warm),
	}
	.map_err(|e| anyhow::anyhow!("repair: {e:?}"))?;
	Ok((repaired.pg_mw.iter().map(|p| (p * 1_000.0).round() as i64).collect(), repaired.fallback))
}

/// A plan the worker submitted.
#[derive(Clone, Debug)]
struct SentPlan {
	model_version: u64,
	/// The submitted (persistence) forecast.
	forecast_kw: Vec<i64>,
	/// The moving-average forecast, reported beside it.
	average_kw: Vec<i64>,
	fallback: bool,
}

/// The worker's planning state (see the module docs).
pub struct Planner {
	case: String,
	profiles: Profiles,
	csv: PathBuf,
	zones: Vec<ZoneBus>,
	actuals: BTreeMap<IntervalIndex, Vec<i64>>,
	plans: BTreeMap<IntervalIndex, SentPlan>,
	model: Option<(u64, DispatchNet)>,
	chain_rows: VecDeque<(Vec<f32>, Vec<f32>)>,
	said: HashSet<String>,
	/// Σ |error| of each forecast over the planned intervals sealed so far, and their count.
	errors: (u64, u64, u64),
	/// The optimal bases of the worker's training scenarios (the repair's library).
	library: Option<BasisLibrary>,
}

impl Planner {
	/// A planner for the worker's grid `case` (the name the chain's grid map uses), writing
	/// `dispatch.csv` under `base_path`.
	pub fn new(case: &str, base_path: &std::path::Path) -> Planner {
		Planner {
			case: case.to_string(),
			profiles: Profiles::shipped(),
			csv: base_path.join("dispatch.csv"),
			zones: Vec::new(),
			actuals: BTreeMap::new(),
			plans: BTreeMap::new(),
			model: None,
			chain_rows: VecDeque::new(),
			said: HashSet::new(),
			errors: (0, 0, 0),
			library: None,
		}
	}

	/// Repairs the plans with `library` (the optimal bases of the worker's training scenarios).
	pub fn with_library(mut self, library: BasisLibrary) -> Planner {
		self.library = Some(library);
		self
	}

	fn say_once(&mut self, what: String) {
		if self.said.insert(what.clone()) {
			println!("{what}");
		}
	}

	/// Plans with the global model `net` of `version` from now on.
	pub fn adopt(&mut self, version: u64, net: DispatchNet) {
		self.model = Some((version, net));
	}

	/// The chain-derived training rows `(features, positions)`, oldest first.
	pub fn chain_rows(&self) -> &VecDeque<(Vec<f32>, Vec<f32>)> {
		&self.chain_rows
	}

	/// One chain block (see the module docs). Errors are the chain's (RPC) only.
	pub async fn on_block(&mut self, chain: &Chain, grid: &Grid, at: (H256, BlockNumber)) -> Result<()> {
		let Some(map) = chain.grid_map(at.0).await? else {
			self.say_once("dispatch: the chain has no grid map yet; not planning".into());
			return Ok(());
		};
		if let Err(why) = check_map(&map, &self.case, grid) {
			self.say_once(format!("dispatch: {why}; not planning"));
			return Ok(());
		}
		if map.zones != self.zones {
			if !self.zones.is_empty() {
				println!("dispatch: the grid map changed; forgetting the sealed intervals read for the old one");
			}
			self.zones = map.zones.clone();
			self.actuals.clear();
		}
		let current = chain.current_interval(at.0).await?;
		self.read_sealed(chain, grid, at.0, current).await?;
		self.plan(chain, grid, at, current.saturating_add(1)).await
	}

	/// Reads the blocks sealed since the last one seen (in order, a few per call).
	async fn read_sealed(&mut self, chain: &Chain, grid: &Grid, at: H256, current: IntervalIndex) -> Result<()> {
		let seconds: u32 = <Runtime as pallet_energy_data::Config>::IntervalSeconds::get();
		let from = match self.actuals.keys().next_back() {
			Some(last) => last.saturating_add(1),
			None => current.saturating_sub(MOVING_AVERAGE as u32 + 3),
		};
		for i in (from..current).take(READS_PER_BLOCK as usize) {
			let Some(block) = chain.data_block(at, i).await? else { break };
			let actual = zone_actuals(&block, &self.zones, seconds);
			// Solves the interval's OPF (a few ms on IEEE 14, more on large cases).
			tokio::task::block_in_place(|| self.sealed(grid, i, &actual, block.reading_count))?;
			self.actuals.insert(i, actual);
			while self.actuals.len() > ACTUALS_KEPT {
				self.actuals.pop_first();
			}
		}
		Ok(())
	}

	/// Interval `i` was sealed with net loads `actual`: report the plan's forecast errors, keep
	/// its scenario for training.
	fn sealed(&mut self, grid: &Grid, i: IntervalIndex, actual: &[i64], readings: u32) -> Result<()> {
		if let Some(p) = self.plans.remove(&i) {
			let (e_p, e_a) = (absolute_error(&p.forecast_kw, actual), absolute_error(&p.average_kw, actual));
			self.errors = (self.errors.0 + e_p, self.errors.1 + e_a, self.errors.2 + 1);
			let n = self.errors.2.max(1);
			println!(
				"dispatch: interval {i} sealed ({readings} readings): net load {actual:?} kW; forecast error Σ|e| persistence {e_p} kW, moving average {e_a} kW (means over {} intervals: {} and {} kW)",
				self.errors.2,
				self.errors.0 / n,
				self.errors.1 / n,
			);
			self.append_csv(i, &p, actual, e_p, e_a)?;
		}
		if readings > 0 {
			let s = scenario_for(grid, &self.profiles, i, &self.zones, actual)?;
			match grid.problem.solve(&s.loads_mw, &s.pmax_mw) {
				Ok(opt) => {
					self.chain_rows.push_back((grid.features(&s), grid.fractions(&opt.pg_mw, &s)));
					while self.chain_rows.len() > CHAIN_SCENARIOS {
						self.chain_rows.pop_front();
					}
				},
				Err(e) => eprintln!("dispatch: interval {i}'s metered scenario has no feasible dispatch ({e:?}); not used for training"),
			}
		}
		Ok(())
	}

	fn append_csv(&self, i: IntervalIndex, p: &SentPlan, actual: &[i64], e_p: u64, e_a: u64) -> Result<()> {
		use std::io::Write;
		let new = !self.csv.exists();
		let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.csv).with_context(|| format!("opening {}", self.csv.display()))?;
		let join = |v: &[i64]| v.iter().map(i64::to_string).collect::<Vec<_>>().join(";");
		if new {
			writeln!(f, "interval,model_version,forecast_kw,moving_average_kw,actual_kw,error_persistence_kw,error_moving_average_kw,repair_fallback")?;
		}
		writeln!(f, "{i},{},{},{},{},{e_p},{e_a},{}", p.model_version, join(&p.forecast_kw), join(&p.average_kw), join(actual), p.fallback)?;
		Ok(())
	}

	/// Plans interval `i` if it has not yet, with the adopted model and the latest sealed data.
	async fn plan(&mut self, chain: &Chain, grid: &Grid, at: (H256, BlockNumber), i: IntervalIndex) -> Result<()> {
		if self.plans.contains_key(&i) {
			return Ok(());
		}
		let Some(version) = self.model.as_ref().map(|(v, _)| *v) else {
			self.say_once("dispatch: no global model adopted yet; not planning".into());
			return Ok(());
		};
		let (Some(forecast), Some(average)) = (persistence(&self.actuals), moving_average(&self.actuals, MOVING_AVERAGE)) else {
			self.say_once("dispatch: no energy data block sealed yet; not planning".into());
			return Ok(());
		};
		if chain.dispatch_for(at.0, i).await?.is_some() {
			return Ok(());
		}
		let me = chain.account();
		if let Some(p) = chain.pending_plans(at.0, i).await? {
			if p.submitted.contains(me) {
				return Ok(());
			}
			if !p.participants.contains(me) {
				self.say_once("dispatch: this worker is not a participant of the plans (a registered worker of a current validator, not excluded for strikes); not planning while it is not".into());
				return Ok(());
			}
		}
		let s = scenario_for(grid, &self.profiles, i, &self.zones, &forecast)?;
		let Some((_, net)) = self.model.as_ref() else { return Ok(()) };
		let fractions = tokio::task::block_in_place(|| net.predict(&grid.features(&s)))?;
		let (setpoints, fallback) = tokio::task::block_in_place(|| setpoints_kw(grid, &s, &fractions, self.library.as_ref()))?;
		let call = RuntimeCall::Dispatch(pallet_dispatch::Call::submit_plan {
			interval: i,
			model_version: version,
			forecast_kw: forecast.clone().try_into().map_err(|_| anyhow::anyhow!("more zones than MaxZones"))?,
			setpoints_kw: setpoints.clone().try_into().map_err(|_| anyhow::anyhow!("more set-points than MaxGenerators"))?,
		});
		// Recorded before sending: one try per interval (a late or lost plan never holds up the
		// next interval; the chain goes on without it).
		self.plans.insert(i, SentPlan { model_version: version, forecast_kw: forecast.clone(), average_kw: average, fallback });
		while self.plans.len() > ACTUALS_KEPT {
			self.plans.pop_first();
		}
		let total: i64 = setpoints.iter().sum();
		match chain.submit(call, at).await {
			Ok(tx) => println!(
				"dispatch: plan for interval {i} sent (model v{version}, forecast {forecast:?} kW, set-points Σ {:.1} MW{}; tx {tx:?})",
				total as f64 / 1_000.0,
				if fallback { ", repair fell back to the solver" } else { "" }
			),
			Err(e) => eprintln!("dispatch: plan for interval {i} not sent: {e:#}"),
		}
		Ok(())
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use pallet_energy_data::ZoneTotals;

	fn block(totals: &[(u16, u64, u64)]) -> EnergyDataBlock {
		EnergyDataBlock {
			interval: 7,
			reading_count: totals.len() as u32,
			total_produced_wh: totals.iter().map(|t| t.1).sum(),
			total_consumed_wh: totals.iter().map(|t| t.2).sum(),
			per_zone: totals
				.iter()
				.map(|&(zone, produced_wh, consumed_wh)| ZoneTotals { zone, reading_count: 1, produced_wh, consumed_wh })
				.collect::<Vec<_>>()
				.try_into()
				.unwrap(),
			readings_root: Default::default(),
		}
	}

	fn zones() -> Vec<ZoneBus> {
		vec![ZoneBus { zone: 0, bus: 9, scale: 100 }, ZoneBus { zone: 1, bus: 14, scale: 100 }]
	}

	#[test]
	fn actuals_follow_the_chain_s_formula_and_a_silent_zone_is_zero() {
		// Zone 0: 600 Wh consumed, 100 produced in 60 s: 30 kW net, 3 MW at the bus.
		let b = block(&[(0, 100, 600), (5, 1, 1)]);
		assert_eq!(zone_actuals(&b, &zones(), 60), vec![3_000, 0]);
		// Production above consumption: negative net load.
		assert_eq!(zone_actuals(&block(&[(1, 700, 100)]), &zones(), 60), vec![0, -3_600]);
	}

	#[test]
	fn forecasts_use_the_latest_and_the_mean_of_the_last_sealed_intervals() {
		let mut a = BTreeMap::new();
		assert_eq!(persistence(&a), None);
		assert_eq!(moving_average(&a, 3), None);
		a.insert(3, vec![10, -5]);
		assert_eq!(moving_average(&a, 3), Some(vec![10, -5]), "fewer than k known");
		a.insert(4, vec![20, -6]);
		a.insert(5, vec![33, -7]);
		a.insert(1, vec![1_000, 1_000]);
		assert_eq!(persistence(&a), Some(vec![33, -7]));
		// (10 + 20 + 33) / 3 = 21; (−5 − 6 − 7) / 3 = −6; interval 1 is older than the last 3.
		assert_eq!(moving_average(&a, 3), Some(vec![21, -6]));
		assert_eq!(absolute_error(&[21, -6], &[33, -7]), 13);
	}

	#[test]
	fn a_zone_s_net_load_moves_its_bus_s_load_and_nothing_else() {
		let grid = Grid::ieee14().unwrap();
		let profiles = Profiles::shipped();
		let base = scenario_for(&grid, &profiles, 8_784 + 5, &zones(), &[0, 0]).unwrap();
		assert_eq!(base.hour, 5, "interval mod the year's hours");
		let s = scenario_for(&grid, &profiles, 5, &zones(), &[2_500, -1_000]).unwrap();
		let idx = |bus: u32| grid.problem.network.bus_ids.iter().position(|&b| b == bus).unwrap();
		for (k, (a, b)) in s.loads_mw.iter().zip(&base.loads_mw).enumerate() {
			let want = if k == idx(9) {
				2.5
			} else if k == idx(14) {
				-1.0
			} else {
				0.0
			};
			assert!((a - b - want).abs() < 1e-9, "bus index {k}: {a} vs {b}");
		}
		assert_eq!(s.pmax_mw, base.pmax_mw);
	}

	#[test]
	fn repaired_setpoints_balance_the_scenario_in_kw() {
		let grid = Grid::ieee14().unwrap();
		let s = scenario_for(&grid, &Profiles::shipped(), 100, &zones(), &[3_000, 500]).unwrap();
		// Any positions: the repair restores the balance.
		let (kw, _) = setpoints_kw(&grid, &s, &vec![0.5; grid.problem.gen_count()], None).unwrap();
		assert_eq!(kw.len(), grid.problem.gen_count());
		let demand_kw = grid.problem.demand(&s.loads_mw) * 1_000.0;
		let total: i64 = kw.iter().sum();
		assert!((total as f64 - demand_kw).abs() <= kw.len() as f64, "Σ set-points {total} kW vs demand {demand_kw} kW");
	}

	#[test]
	fn sealed_intervals_become_bounded_training_rows_and_planned_ones_are_reported() {
		let grid = Grid::ieee14().unwrap();
		let dir = std::env::temp_dir().join(format!("gridbrain-plan-{}", std::process::id()));
		std::fs::create_dir_all(&dir).unwrap();
		let mut p = Planner::new("ieee14", &dir);
		p.zones = zones();
		// No readings: nothing to learn from.
		p.sealed(&grid, 1, &[0, 0], 0).unwrap();
		assert!(p.chain_rows().is_empty());
		p.plans.insert(2, SentPlan { model_version: 3, forecast_kw: vec![1_000, 200], average_kw: vec![900, 250], fallback: false });
		p.sealed(&grid, 2, &[1_500, 100], 4).unwrap();
		assert_eq!(p.chain_rows().len(), 1);
		let (x, y) = &p.chain_rows()[0];
		assert_eq!((x.len(), y.len()), (grid.feature_count(), grid.problem.gen_count()));
		assert!(y.iter().all(|f| (0.0..=1.0).contains(f)), "positions between the limits: {y:?}");
		assert!(!p.plans.contains_key(&2), "reported once");
		let csv = std::fs::read_to_string(dir.join("dispatch.csv")).unwrap();
		let mut lines = csv.lines();
		assert!(lines.next().unwrap().starts_with("interval,model_version,forecast_kw"));
		// |1500 − 1000| + |100 − 200| = 600; |1500 − 900| + |100 − 250| = 750.
		assert_eq!(lines.next(), Some("2,3,1000;200,900;250,1500;100,600,750,false"));
		assert_eq!(p.errors, (600, 750, 1));
		for i in 3..(3 + CHAIN_SCENARIOS as u32 + 10) {
			p.sealed(&grid, i, &[i64::from(i), 0], 1).unwrap();
		}
		assert_eq!(p.chain_rows().len(), CHAIN_SCENARIOS, "bounded: the most recent are kept");
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_map_of_another_case_or_shape_is_refused_with_the_reason() {
		let grid = Grid::ieee14().unwrap();
		let map = |case: &[u8], generators: u32, zones: Vec<ZoneBus>| GridMapView { case: case.to_vec(), generators, zones };
		assert_eq!(check_map(&map(b"ieee14", 10, zones()), "ieee14", &grid), Ok(()));
		assert!(check_map(&map(b"pglib300", 10, zones()), "ieee14", &grid).unwrap_err().contains("--grid pglib300"));
		assert!(check_map(&map(b"ieee14", 11, zones()), "ieee14", &grid).unwrap_err().contains("11 set-points"));
		let far = vec![ZoneBus { zone: 2, bus: 99, scale: 1 }];
		assert!(check_map(&map(b"ieee14", 10, far), "ieee14", &grid).unwrap_err().contains("bus 99"));
	}
}
