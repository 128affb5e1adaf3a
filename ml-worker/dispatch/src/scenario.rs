//! Dispatch scenarios from real profiles: hourly load, PV and wind series (SimBench 2016, see
//! `ml-worker/data/SOURCE.md`) mapped onto a case's buses, split into non-IID shards (one season
//! per shard) and a held-out test set.

use crate::{matpower::{Case, Cost, Gen}, DispatchProblem, Error};

/// The shipped profiles (8,784 hours of 2016).
pub const PROFILES_2016: &str = include_str!("../../data/profiles_2016_hourly.csv");

/// Number of series per hour: three load types, PV, two wind.
pub const SERIES: usize = 6;

/// Which series a load bus or a renewable unit follows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Series {
	/// Rural load.
	LoadRural = 0,
	/// Urban load.
	LoadUrban = 1,
	/// Commercial load.
	LoadComm = 2,
	/// Photovoltaics.
	Pv = 3,
	/// Wind farm A.
	WindA = 4,
	/// Wind farm B.
	WindB = 5,
}

/// Hourly per-unit values of the six series.
#[derive(Clone, Debug)]
pub struct Profiles {
	/// `hours[h][series]`.
	pub hours: Vec<[f64; SERIES]>,
	/// Peak of each series over the year.
	pub peak: [f64; SERIES],
}

impl Profiles {
	/// Parses the CSV (`hour,load_rural,load_urban,load_comm,pv,wind_a,wind_b`).
	pub fn parse(text: &str) -> Result<Profiles, Error> {
		let mut hours = Vec::new();
		for (n, line) in text.lines().enumerate().skip(1) {
			if line.trim().is_empty() {
				continue;
			}
			let vals: Vec<f64> = line
				.split(',')
				.skip(1)
				.map(|v| v.trim().parse::<f64>())
				.collect::<Result<_, _>>()
				.map_err(|e| Error::Parse(format!("profiles line {}: {e}", n + 1)))?;
			let row: [f64; SERIES] = vals
				.try_into()
				.map_err(|v: Vec<f64>| Error::Parse(format!("profiles line {}: {} values", n + 1, v.len())))?;
			// Rounding left a few −0.000 in the wind series.
			hours.push(row.map(|v| v.max(0.0)));
		}
		if hours.is_empty() {
			return Err(Error::Parse("no profile rows".into()));
		}
		let mut peak = [0.0f64; SERIES];
		for h in &hours {
			for (p, v) in peak.iter_mut().zip(h) {
				*p = p.max(*v);
			}
		}
		Ok(Profiles { hours, peak })
	}

	/// The shipped 2016 profiles.
	pub fn shipped() -> Profiles {
		// The shipped file is checked by a test; fall back to an empty year never happens.
		Profiles::parse(PROFILES_2016).unwrap_or(Profiles { hours: vec![[0.0; SERIES]], peak: [1.0; SERIES] })
	}
}

/// A renewable unit added to a case: zero marginal cost, output up to its availability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Renewable {
	/// Bus number.
	pub bus: u32,
	/// Installed capacity, MW.
	pub capacity_mw: f64,
	/// Its availability series (PV or wind).
	pub series: Series,
}

/// A grid with its load mapping and renewables: everything to turn an hour into a scenario.
#[derive(Clone, Debug)]
pub struct Grid {
	/// The dispatch problem (the case plus the renewables as generators).
	pub problem: DispatchProblem,
	/// Load series of each bus.
	pub load_series: Vec<Series>,
	/// The renewables (the last generators of `problem`).
	pub renewables: Vec<Renewable>,
	/// Number of conventional generators (the first ones of `problem`).
	pub conventional: usize,
}

/// One interval's state and its optimal dispatch.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
	/// Hour of 2016 (0-based).
	pub hour: u32,
	/// Demand per bus, MW.
	pub loads_mw: Vec<f64>,
	/// Upper limit per generator, MW (renewables: availability).
	pub pmax_mw: Vec<f64>,
}

impl Grid {
	/// `case` with loads following the load series by bus (rural, urban, commercial in turn,
	/// scaled so each bus peaks at its case demand), conventional minimum outputs relaxed to 0
	/// (no unit commitment), and renewables of `share` × the case's demand: PV and the two wind
	/// series in turn at evenly spaced load buses.
	pub fn new(mut case: Case, share: f64, units: usize) -> Result<Grid, Error> {
		let load_series = (0..case.buses.len())
			.map(|k| [Series::LoadRural, Series::LoadUrban, Series::LoadComm][k % 3])
			.collect();
		let load_buses: Vec<u32> = case.buses.iter().filter(|b| b.pd_mw > 0.0).map(|b| b.id).collect();
		if load_buses.is_empty() || units == 0 {
			return Err(Error::Input("a grid needs load buses and at least one renewable".into()));
		}
		let each = share * case.total_load_mw() / units as f64;
		let renewables: Vec<Renewable> = (0..units)
			.map(|u| Renewable {
				bus: load_buses[(u * load_buses.len() / units).min(load_buses.len() - 1)],
				capacity_mw: each,
				series: [Series::Pv, Series::WindA, Series::WindB][u % 3],
			})
			.collect();
		let conventional = case.gens.iter().filter(|g| g.in_service).count();
		// A DC-OPF has no unit commitment, and the profiles' night loads fall below some cases'
		// must-run output (PEGASE 1354: 33.6 GW of positive minimums against 73.1 GW of peak
		// demand): a conventional unit may be off, so a positive minimum becomes 0. Negative
		// minimums (units that can absorb power) stay.
		for g in &mut case.gens {
			g.pmin_mw = g.pmin_mw.min(0.0);
		}
		for (k, r) in renewables.iter().enumerate() {
			case.gens.push(Gen { bus: r.bus, pg_mw: 0.0, pmax_mw: r.capacity_mw, pmin_mw: 0.0, in_service: true });
			// A tiny linear cost, distinct per unit (0.001 to 0.002 $/MWh), makes the order in
			// which renewables are curtailed unique and keeps a grid with linear costs an LP
			// (whose optimum is a vertex, see `basis`).
			case.costs.push(Cost { c2: 0.0, c1: 1e-3 * (1.0 + k as f64 / units as f64), c0: 0.0 });
		}
		Ok(Grid { problem: DispatchProblem::new(case)?, load_series, renewables, conventional })
	}

	/// The IEEE 14-bus grid with 30 % renewables in 5 units.
	pub fn ieee14() -> Result<Grid, Error> {
		Grid::new(Case::parse(crate::CASE14)?, 0.3, 5)
	}

	/// The IEEE 118-bus grid with 30 % renewables in 20 units.
	pub fn ieee118() -> Result<Grid, Error> {
		Grid::new(Case::parse(crate::CASE118)?, 0.3, 20)
	}

	/// PGLib-OPF IEEE 118-bus (rated branches, linear costs) with 30 % renewables in 20 units.
	pub fn pglib118() -> Result<Grid, Error> {
		Grid::new(Case::parse(crate::PGLIB_CASE118)?, 0.3, 20)
	}

	/// PGLib-OPF IEEE 300-bus with 30 % renewables in 30 units.
	pub fn pglib300() -> Result<Grid, Error> {
		Grid::new(Case::parse(crate::PGLIB_CASE300)?, 0.3, 30)
	}

	/// PGLib-OPF PEGASE 1354-bus with 30 % renewables in 40 units.
	pub fn pglib1354() -> Result<Grid, Error> {
		Grid::new(Case::parse(crate::PGLIB_CASE1354)?, 0.3, 40)
	}

	/// The state of `hour`.
	pub fn scenario(&self, profiles: &Profiles, hour: usize) -> Option<Scenario> {
		let values = profiles.hours.get(hour)?;
		let base = self.problem.base_loads();
		let (_, pmax) = self.problem.base_limits();
		let loads_mw = base
			.iter()
			.zip(&self.load_series)
			.map(|(d, s)| d * values[*s as usize] / profiles.peak[*s as usize].max(1e-9))
			.collect();
		let mut pmax_mw = pmax;
		for (k, r) in self.renewables.iter().enumerate() {
			if let Some(p) = pmax_mw.get_mut(self.conventional + k) {
				*p = r.capacity_mw * values[r.series as usize];
			}
		}
		Some(Scenario { hour: hour as u32, loads_mw, pmax_mw })
	}

	/// Model input of a scenario: per-bus demand and per-renewable availability in p.u. of the
	/// system base, then sin/cos of the hour of day and the day of year.
	pub fn features(&self, s: &Scenario) -> Vec<f32> {
		let base = self.problem.case.base_mva;
		let mut f: Vec<f32> = s.loads_mw.iter().map(|d| (d / base) as f32).collect();
		f.extend(s.pmax_mw.iter().skip(self.conventional).map(|p| (p / base) as f32));
		let tau = std::f64::consts::TAU;
		let hod = f64::from(s.hour % 24) / 24.0;
		let doy = f64::from(s.hour / 24) / 366.0;
		f.extend([(tau * hod).sin(), (tau * hod).cos(), (tau * doy).sin(), (tau * doy).cos()].map(|v| v as f32));
		f
	}

	/// Each generator's position between its limits in `pg_mw`: `(P − Pmin) / (Pmax − Pmin)`
	/// in `[0, 1]` (0 where the limits coincide). The learned targets.
	pub fn fractions(&self, pg_mw: &[f64], s: &Scenario) -> Vec<f32> {
		let (pmin, _) = self.problem.base_limits();
		pg_mw
			.iter()
			.zip(pmin.iter().zip(&s.pmax_mw))
			.map(|(p, (lo, hi))| if hi - lo > 1e-9 { ((p - lo) / (hi - lo)).clamp(0.0, 1.0) as f32 } else { 0.0 })
			.collect()
	}

	/// Set-points (MW) from positions between the limits (the inverse of [`Grid::fractions`]).
	pub fn setpoints(&self, fractions: &[f32], s: &Scenario) -> Vec<f64> {
		let (pmin, _) = self.problem.base_limits();
		fractions
			.iter()
			.zip(pmin.iter().zip(&s.pmax_mw))
			.map(|(f, (lo, hi))| lo + f64::from(*f) * (hi - lo).max(0.0))
			.collect()
	}

	/// Length of [`Grid::features`].
	pub fn feature_count(&self) -> usize {
		self.problem.bus_count() + self.renewables.len() + 4
	}
}

/// Whether `hour` belongs to the held-out test set: every 7th day (days 3, 10, 17, …).
pub fn is_held_out(hour: usize) -> bool {
	(hour / 24) % 7 == 3
}

/// The training hours of shard `k` of `shards`: the non-held-out hours of the `k`-th
/// contiguous block of days (so each shard is one season: non-IID).
pub fn shard_hours(total_hours: usize, k: usize, shards: usize) -> Vec<usize> {
	let days = total_hours.div_ceil(24);
	(0..total_hours)
		.filter(|&h| !is_held_out(h) && shards > 0 && (h / 24) * shards / days.max(1) == k % shards)
		.collect()
}

/// The held-out hours.
pub fn test_hours(total_hours: usize) -> Vec<usize> {
	(0..total_hours).filter(|&h| is_held_out(h)).collect()
}
