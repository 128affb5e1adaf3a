//! The DC network of a case: bus indices, branch susceptances and the PTDF matrix.

use crate::{matpower::Case, Error};

/// A branch in the DC model.
#[derive(Clone, Debug, PartialEq)]
pub struct DcBranch {
	/// From bus index (0-based position in [`DcNetwork::bus_ids`]).
	pub from: usize,
	/// To bus index.
	pub to: usize,
	/// Series susceptance `1 / (x · tap)`, p.u.
	pub b: f64,
	/// Rating, MW (`None` = unlimited).
	pub limit_mw: Option<f64>,
}

/// The DC approximation of a case: lossless, flat voltages, small angles.
#[derive(Clone, Debug)]
pub struct DcNetwork {
	/// Bus numbers by index.
	pub bus_ids: Vec<u32>,
	/// Index of the reference (slack) bus.
	pub slack: usize,
	/// In-service branches.
	pub branches: Vec<DcBranch>,
	/// `ptdf[l][k]`: flow on branch `l` per unit of power injected at bus `k` and withdrawn at
	/// the slack.
	pub ptdf: Vec<Vec<f64>>,
}

impl DcNetwork {
	/// Builds the DC model of `case`. Phase shifters are rejected (none in the shipped cases).
	pub fn new(case: &Case) -> Result<DcNetwork, Error> {
		let bus_ids: Vec<u32> = case.buses.iter().map(|b| b.id).collect();
		let index = |id: u32| -> Result<usize, Error> {
			bus_ids
				.iter()
				.position(|&b| b == id)
				.ok_or_else(|| Error::Parse(format!("unknown bus {id}")))
		};
		let slack = case
			.buses
			.iter()
			.position(|b| b.kind == 3)
			.ok_or_else(|| Error::Parse("no reference bus (type 3)".into()))?;
		let mut branches = Vec::new();
		for br in case.branches.iter().filter(|b| b.in_service) {
			if br.shift_deg != 0.0 {
				return Err(Error::Unsupported("phase-shifting transformers".into()));
			}
			if br.x == 0.0 {
				return Err(Error::Parse(format!("branch {}-{} has zero reactance", br.from, br.to)));
			}
			let tap = if br.ratio == 0.0 { 1.0 } else { br.ratio };
			branches.push(DcBranch {
				from: index(br.from)?,
				to: index(br.to)?,
				b: 1.0 / (br.x * tap),
				limit_mw: (br.rate_a_mva > 0.0).then_some(br.rate_a_mva),
			});
		}
		let n = bus_ids.len();
		// Bus susceptance matrix without the slack row and column.
		let reduced = |k: usize| if k < slack { Some(k) } else if k > slack { Some(k - 1) } else { None };
		let m = n.saturating_sub(1);
		let mut bred = vec![vec![0.0; m]; m];
		for br in &branches {
			let (f, t) = (reduced(br.from), reduced(br.to));
			if let Some(f) = f {
				bred[f][f] += br.b;
			}
			if let Some(t) = t {
				bred[t][t] += br.b;
			}
			if let (Some(f), Some(t)) = (f, t) {
				bred[f][t] -= br.b;
				bred[t][f] -= br.b;
			}
		}
		let inv = invert(bred).ok_or_else(|| {
			Error::Parse("the network is not connected (singular susceptance matrix)".into())
		})?;
		// θ = X · P (X = inverse with a zero row/column at the slack); flow = b (θ_f − θ_t).
		let x = |i: usize, k: usize| -> f64 {
			match (reduced(i), reduced(k)) {
				(Some(i), Some(k)) => inv[i][k],
				_ => 0.0,
			}
		};
		let ptdf = branches
			.iter()
			.map(|br| (0..n).map(|k| br.b * (x(br.from, k) - x(br.to, k))).collect())
			.collect();
		Ok(DcNetwork { bus_ids, slack, branches, ptdf })
	}

	/// Branch flows (MW) for bus injections `p_mw` (which must sum to zero for a balanced case;
	/// any imbalance is taken by the slack).
	pub fn flows(&self, p_mw: &[f64]) -> Vec<f64> {
		self.ptdf.iter().map(|row| row.iter().zip(p_mw).map(|(a, p)| a * p).sum()).collect()
	}
}

/// Inverse of a square matrix by Gauss–Jordan elimination with partial pivoting.
pub fn invert(mut a: Vec<Vec<f64>>) -> Option<Vec<Vec<f64>>> {
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
