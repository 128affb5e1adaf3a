//! A reader for MATPOWER case files (format version 2): `baseMVA`, `bus`, `gen`, `branch` and
//! polynomial `gencost`.

use crate::Error;

/// A bus.
#[derive(Clone, Debug, PartialEq)]
pub struct Bus {
	/// The bus number in the file.
	pub id: u32,
	/// Bus type (1 PQ, 2 PV, 3 reference, 4 isolated).
	pub kind: u8,
	/// Real power demand, MW.
	pub pd_mw: f64,
	/// Shunt conductance: MW consumed at 1 p.u. voltage.
	pub gs_mw: f64,
}

/// A generator.
#[derive(Clone, Debug, PartialEq)]
pub struct Gen {
	/// Bus number it is connected to.
	pub bus: u32,
	/// Real power output in the case, MW.
	pub pg_mw: f64,
	/// Upper limit, MW.
	pub pmax_mw: f64,
	/// Lower limit, MW.
	pub pmin_mw: f64,
	/// In service.
	pub in_service: bool,
}

/// A branch (line or transformer).
#[derive(Clone, Debug, PartialEq)]
pub struct Branch {
	/// From bus number.
	pub from: u32,
	/// To bus number.
	pub to: u32,
	/// Reactance, p.u.
	pub x: f64,
	/// Long-term rating, MVA (0 = unlimited).
	pub rate_a_mva: f64,
	/// Off-nominal tap ratio (0 in the file means 1).
	pub ratio: f64,
	/// Phase shift, degrees.
	pub shift_deg: f64,
	/// In service.
	pub in_service: bool,
}

/// A polynomial generator cost `c2·P² + c1·P + c0` ($/h, P in MW).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Cost {
	/// Quadratic coefficient.
	pub c2: f64,
	/// Linear coefficient.
	pub c1: f64,
	/// Constant.
	pub c0: f64,
}

impl Cost {
	/// The cost of `p_mw`.
	pub fn at(&self, p_mw: f64) -> f64 {
		(self.c2 * p_mw + self.c1) * p_mw + self.c0
	}
}

/// A MATPOWER case.
#[derive(Clone, Debug, PartialEq)]
pub struct Case {
	/// System base, MVA.
	pub base_mva: f64,
	/// Buses.
	pub buses: Vec<Bus>,
	/// Generators.
	pub gens: Vec<Gen>,
	/// Branches.
	pub branches: Vec<Branch>,
	/// One cost per generator.
	pub costs: Vec<Cost>,
}

impl Case {
	/// Parses a case file's text.
	pub fn parse(text: &str) -> Result<Case, Error> {
		let base_mva = scalar(text, "baseMVA")?;
		let bus = matrix(text, "bus")?;
		let gen = matrix(text, "gen")?;
		let branch = matrix(text, "branch")?;
		let gencost = matrix(text, "gencost")?;
		let buses = bus
			.iter()
			.map(|r| {
				Ok(Bus {
					id: as_id(col(r, 0, "bus")?)?,
					kind: col(r, 1, "bus")? as u8,
					pd_mw: col(r, 2, "bus")?,
					gs_mw: col(r, 4, "bus")?,
				})
			})
			.collect::<Result<Vec<_>, Error>>()?;
		let gens = gen
			.iter()
			.map(|r| {
				Ok(Gen {
					bus: as_id(col(r, 0, "gen")?)?,
					pg_mw: col(r, 1, "gen")?,
					in_service: col(r, 7, "gen")? > 0.0,
					pmax_mw: col(r, 8, "gen")?,
					pmin_mw: col(r, 9, "gen")?,
				})
			})
			.collect::<Result<Vec<_>, Error>>()?;
		let branches = branch
			.iter()
			.map(|r| {
				Ok(Branch {
					from: as_id(col(r, 0, "branch")?)?,
					to: as_id(col(r, 1, "branch")?)?,
					x: col(r, 3, "branch")?,
					rate_a_mva: col(r, 5, "branch")?,
					ratio: col(r, 8, "branch")?,
					shift_deg: col(r, 9, "branch")?,
					in_service: col(r, 10, "branch")? > 0.0,
				})
			})
			.collect::<Result<Vec<_>, Error>>()?;
		let costs = gencost.iter().map(|r| poly_cost(r)).collect::<Result<Vec<_>, Error>>()?;
		if costs.len() < gens.len() {
			return Err(Error::Parse(format!(
				"{} generators but {} gencost rows",
				gens.len(),
				costs.len()
			)));
		}
		let mut costs = costs;
		// Rows beyond the generators are reactive costs; the dispatch ignores them.
		costs.truncate(gens.len());
		Ok(Case { base_mva, buses, gens, branches, costs })
	}

	/// Σ demand, MW (without shunts).
	pub fn total_load_mw(&self) -> f64 {
		self.buses.iter().map(|b| b.pd_mw).sum()
	}

	/// Σ shunt conductance, MW at 1 p.u.
	pub fn total_shunt_mw(&self) -> f64 {
		self.buses.iter().map(|b| b.gs_mw).sum()
	}
}

fn as_id(v: f64) -> Result<u32, Error> {
	if v >= 1.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX) {
		Ok(v as u32)
	} else {
		Err(Error::Parse(format!("bad bus number {v}")))
	}
}

fn col(row: &[f64], i: usize, what: &str) -> Result<f64, Error> {
	row.get(i)
		.copied()
		.ok_or_else(|| Error::Parse(format!("{what} row has {} columns, needs column {}", row.len(), i + 1)))
}

fn poly_cost(r: &[f64]) -> Result<Cost, Error> {
	let model = col(r, 0, "gencost")?;
	if model != 2.0 {
		return Err(Error::Unsupported(format!("gencost model {model} (only polynomial, model 2)")));
	}
	let n = col(r, 3, "gencost")? as usize;
	let coeffs: Vec<f64> = (0..n).map(|k| col(r, 4 + k, "gencost")).collect::<Result<_, _>>()?;
	// Coefficients are c(n-1) … c0.
	let c = |power: usize| -> f64 {
		if power < n {
			coeffs.get(n - 1 - power).copied().unwrap_or(0.0)
		} else {
			0.0
		}
	};
	if n > 3 && coeffs.iter().take(n - 3).any(|&v| v != 0.0) {
		return Err(Error::Unsupported(format!("polynomial cost of degree {}", n - 1)));
	}
	Ok(Cost { c2: c(2), c1: c(1), c0: c(0) })
}

/// Strips `%` comments.
fn code_lines(text: &str) -> impl Iterator<Item = &str> {
	text.lines().map(|l| l.split('%').next().unwrap_or(""))
}

fn scalar(text: &str, name: &str) -> Result<f64, Error> {
	let key = format!("mpc.{name}");
	for line in code_lines(text) {
		let t = line.trim();
		if let Some(rest) = t.strip_prefix(&key) {
			let v = rest.trim_start().strip_prefix('=').map(|v| v.trim().trim_end_matches(';').trim());
			if let Some(v) = v {
				return v.parse().map_err(|_| Error::Parse(format!("{key} = {v}")));
			}
		}
	}
	Err(Error::Parse(format!("{key} not found")))
}

fn matrix(text: &str, name: &str) -> Result<Vec<Vec<f64>>, Error> {
	let key = format!("mpc.{name}");
	let mut rows = Vec::new();
	let mut inside = false;
	for line in code_lines(text) {
		let mut t = line.trim();
		if !inside {
			let Some(rest) = t.strip_prefix(&key) else { continue };
			let Some(rest) = rest.trim_start().strip_prefix('=') else { continue };
			let Some(rest) = rest.trim_start().strip_prefix('[') else { continue };
			inside = true;
			t = rest;
		}
		let (body, done) = match t.find(']') {
			Some(i) => (t.get(..i).unwrap_or(""), true),
			None => (t, false),
		};
		for row in body.split(';') {
			let vals: Vec<f64> = row
				.split_whitespace()
				.map(|v| v.parse::<f64>().map_err(|_| Error::Parse(format!("{key}: bad number {v:?}"))))
				.collect::<Result<_, _>>()?;
			if !vals.is_empty() {
				rows.push(vals);
			}
		}
		if done {
			return Ok(rows);
		}
	}
	Err(Error::Parse(if inside { format!("{key} is not closed with ]") } else { format!("{key} not found") }))
}
