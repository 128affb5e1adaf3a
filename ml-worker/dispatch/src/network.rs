//! The DC network of a case, with MATPOWER's `makeBdc` conventions.
//!
//! For branch `l` from bus `f` to bus `t` with reactance `x`, tap ratio `τ` (0 in the file
//! means 1) and phase shift `φ`:
//!
//! ```text
//! b_l      = 1 / (x · τ)                       series susceptance, p.u.
//! Pfinj_l  = −b_l · φ                          flow the phase shifter adds, p.u.
//! Pbusinj  = Cftᵀ · Pfinj                      its equivalent bus injections (+ at f, − at t)
//! Bbus · θ = P − Pbusinj − Gs / baseMVA        bus balance (Gs: shunt conductance, MW at 1 p.u.)
//! F_l      = b_l (θ_f − θ_t) + Pfinj_l         branch flow
//! ```
//!
//! The reduced susceptance matrix (without the reference bus) is factored once, sparsely
//! (LDLᵀ with an AMD ordering, Clarabel's QDLDL), so a power flow costs one forward and one
//! backward substitution instead of a product with the dense PTDF matrix. The PTDF columns of
//! chosen buses (e.g. the generators') come from one solve each.

use crate::{matpower::Case, Error};
use clarabel::{
	algebra::CscMatrix,
	qdldl::{QDLDLFactorisation, QDLDLSettingsBuilder},
};

/// A branch in the DC model.
#[derive(Clone, Debug, PartialEq)]
pub struct DcBranch {
	/// From bus index (0-based position in [`DcNetwork::bus_ids`]).
	pub from: usize,
	/// To bus index.
	pub to: usize,
	/// Series susceptance `1 / (x · tap)`, p.u.
	pub b: f64,
	/// Phase shift, radians.
	pub shift_rad: f64,
	/// Rating, MW (`None` = unlimited).
	pub limit_mw: Option<f64>,
}

/// A sparse LDLᵀ factor of the reduced bus susceptance matrix.
#[derive(Clone, Debug)]
struct Factor {
	/// `perm[i]`: the original row of permuted row `i`.
	perm: Vec<usize>,
	/// Strictly lower triangular unit factor, CSC.
	colptr: Vec<usize>,
	rowval: Vec<usize>,
	nzval: Vec<f64>,
	dinv: Vec<f64>,
}

impl Factor {
	/// Solves `A x = b` in place.
	fn solve(&self, b: &mut [f64], work: &mut Vec<f64>) {
		work.clear();
		work.extend(self.perm.iter().map(|&p| b.get(p).copied().unwrap_or(0.0)));
		let n = work.len();
		// L y = b.
		for j in 0..n {
			let (Some(&lo), Some(&hi)) = (self.colptr.get(j), self.colptr.get(j + 1)) else { break };
			let xj = work.get(j).copied().unwrap_or(0.0);
			if xj == 0.0 {
				continue;
			}
			for k in lo..hi {
				if let (Some(&i), Some(&v)) = (self.rowval.get(k), self.nzval.get(k)) {
					if let Some(x) = work.get_mut(i) {
						*x -= v * xj;
					}
				}
			}
		}
		// D z = y, Lᵀ x = z.
		for (x, d) in work.iter_mut().zip(&self.dinv) {
			*x *= d;
		}
		for j in (0..n).rev() {
			let (Some(&lo), Some(&hi)) = (self.colptr.get(j), self.colptr.get(j + 1)) else { continue };
			let mut acc = 0.0;
			for k in lo..hi {
				if let (Some(&i), Some(&v)) = (self.rowval.get(k), self.nzval.get(k)) {
					acc += v * work.get(i).copied().unwrap_or(0.0);
				}
			}
			if let Some(x) = work.get_mut(j) {
				*x -= acc;
			}
		}
		for (&p, &v) in self.perm.iter().zip(work.iter()) {
			if let Some(x) = b.get_mut(p) {
				*x = v;
			}
		}
	}
}

/// The column of each stored entry of a CSC matrix.
fn col_of(colptr: &[usize]) -> impl Iterator<Item = usize> + '_ {
	colptr.windows(2).enumerate().flat_map(|(j, w)| match w {
		[lo, hi] => std::iter::repeat_n(j, hi.saturating_sub(*lo)),
		_ => std::iter::repeat_n(j, 0),
	})
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
	/// Shunt conductance per bus, MW consumed at 1 p.u. voltage (a constant load in the DC
	/// model).
	pub shunt_mw: Vec<f64>,
	/// Phase shifters' equivalent bus injections `Pbusinj`, MW.
	pub shift_bus_mw: Vec<f64>,
	/// System base, MVA.
	pub base_mva: f64,
	factor: Factor,
}

impl DcNetwork {
	/// Builds the DC model of `case`.
	pub fn new(case: &Case) -> Result<DcNetwork, Error> {
		let bus_ids: Vec<u32> = case.buses.iter().map(|b| b.id).collect();
		let mut sorted: Vec<(u32, usize)> = bus_ids.iter().copied().zip(0..).collect();
		sorted.sort_unstable();
		if sorted.windows(2).any(|w| matches!(w, [a, b] if a.0 == b.0)) {
			return Err(Error::Parse("a bus number appears twice".into()));
		}
		let index = |id: u32| -> Result<usize, Error> {
			sorted
				.binary_search_by_key(&id, |&(b, _)| b)
				.ok()
				.and_then(|k| sorted.get(k))
				.map(|&(_, i)| i)
				.ok_or_else(|| Error::Parse(format!("unknown bus {id}")))
		};
		if let Some(b) = case.buses.iter().find(|b| b.kind == 4) {
			return Err(Error::Unsupported(format!("isolated bus {} (type 4)", b.id)));
		}
		let slack = case
			.buses
			.iter()
			.position(|b| b.kind == 3)
			.ok_or_else(|| Error::Parse("no reference bus (type 3)".into()))?;
		let base_mva = case.base_mva;
		if base_mva.is_nan() || base_mva <= 0.0 {
			return Err(Error::Parse(format!("baseMVA {base_mva}")));
		}
		let n = bus_ids.len();
		let mut branches = Vec::new();
		let mut shift_bus_mw = vec![0.0; n];
		for br in case.branches.iter().filter(|b| b.in_service) {
			if br.x == 0.0 || !br.x.is_finite() {
				return Err(Error::Parse(format!("branch {}-{} has reactance {}", br.from, br.to, br.x)));
			}
			let tap = if br.ratio == 0.0 { 1.0 } else { br.ratio };
			let (from, to) = (index(br.from)?, index(br.to)?);
			let b = 1.0 / (br.x * tap);
			let shift_rad = br.shift_deg.to_radians();
			let pfinj_mw = -b * shift_rad * base_mva;
			if let Some(v) = shift_bus_mw.get_mut(from) {
				*v += pfinj_mw;
			}
			if let Some(v) = shift_bus_mw.get_mut(to) {
				*v -= pfinj_mw;
			}
			branches.push(DcBranch {
				from,
				to,
				b,
				shift_rad,
				limit_mw: (br.rate_a_mva > 0.0).then_some(br.rate_a_mva),
			});
		}
		let shunt_mw = case.buses.iter().map(|b| b.gs_mw).collect();
		// Upper triangle of the reduced Bbus (p.u.), as triplets.
		let reduced = |k: usize| if k < slack { Some(k) } else if k > slack { Some(k - 1) } else { None };
		let m = n.saturating_sub(1);
		let (mut ri, mut rj, mut rv) = (Vec::new(), Vec::new(), Vec::new());
		for br in &branches {
			let (f, t) = (reduced(br.from), reduced(br.to));
			for k in [f, t].into_iter().flatten() {
				ri.push(k);
				rj.push(k);
				rv.push(br.b);
			}
			if let (Some(f), Some(t)) = (f, t) {
				if f != t {
					ri.push(f.min(t));
					rj.push(f.max(t));
					rv.push(-br.b);
				}
			}
		}
		let not_connected = || Error::Parse("the network is not connected (singular susceptance matrix)".into());
		if m == 0 {
			return Err(not_connected());
		}
		let a = CscMatrix::new_from_triplets(m, m, ri, rj, rv);
		let settings = QDLDLSettingsBuilder::default()
			.regularize_enable(false)
			.build()
			.map_err(|e| Error::Solver(format!("factor settings: {e}")))?;
		let f = QDLDLFactorisation::new(&a, Some(settings)).map_err(|_| not_connected())?;
		// Branches with negative reactance (series capacitors, three-winding transformer
		// equivalents) make the matrix indefinite; LDLᵀ still factors it, so only a (near) zero
		// pivot means a singular matrix.
		let scale = f.D.iter().fold(0.0f64, |acc, d| acc.max(d.abs()));
		if f.D.iter().any(|d| d.is_nan() || d.abs() <= 1e-12 * scale) {
			return Err(not_connected());
		}
		let factor = Factor {
			perm: f.perm.clone(),
			colptr: f.L.colptr.clone(),
			rowval: f.L.rowval.clone(),
			nzval: f.L.nzval.clone(),
			dinv: f.Dinv.clone(),
		};
		// Without pivoting an indefinite factor could be inaccurate: check a solve's residual.
		let probe: Vec<f64> = (0..m).map(|k| 1.0 + (k % 7) as f64).collect();
		let mut x = probe.clone();
		let mut work = Vec::with_capacity(m);
		factor.solve(&mut x, &mut work);
		let mut residual = probe;
		for ((&i, j), &v) in a.rowval.iter().zip(col_of(&a.colptr)).zip(&a.nzval) {
			let (xi, xj) = (x.get(i).copied().unwrap_or(0.0), x.get(j).copied().unwrap_or(0.0));
			if let Some(r) = residual.get_mut(i) {
				*r -= v * xj;
			}
			if i != j {
				if let Some(r) = residual.get_mut(j) {
					*r -= v * xi;
				}
			}
		}
		let worst = residual.iter().fold(0.0f64, |acc, r| acc.max(r.abs()));
		if worst.is_nan() || worst > 1e-8 * (m as f64) {
			return Err(Error::Solver(format!("the susceptance factor is inaccurate (residual {worst:e})")));
		}
		Ok(DcNetwork { bus_ids, slack, branches, shunt_mw, shift_bus_mw, base_mva, factor })
	}

	/// Number of buses.
	pub fn bus_count(&self) -> usize {
		self.bus_ids.len()
	}

	/// Bus angles (radians, 0 at the reference bus) for net bus injections `p_mw` (generation
	/// minus demand and shunts, one per bus); any imbalance is taken by the reference bus.
	pub fn angles(&self, p_mw: &[f64]) -> Vec<f64> {
		let slack = self.slack;
		let mut rhs: Vec<f64> = p_mw
			.iter()
			.zip(&self.shift_bus_mw)
			.enumerate()
			.filter(|(k, _)| *k != slack)
			.map(|(_, (p, s))| (p - s) / self.base_mva)
			.collect();
		let mut work = Vec::with_capacity(rhs.len());
		self.factor.solve(&mut rhs, &mut work);
		let mut theta = Vec::with_capacity(self.bus_count());
		theta.extend(rhs.iter().take(slack).copied());
		theta.push(0.0);
		theta.extend(rhs.iter().skip(slack).copied());
		theta
	}

	/// Branch flows (MW) for net bus injections `p_mw` (generation minus demand and shunts, one
	/// per bus); any imbalance is taken by the reference bus.
	pub fn flows(&self, p_mw: &[f64]) -> Vec<f64> {
		let theta = self.angles(p_mw);
		let at = |k: usize| theta.get(k).copied().unwrap_or(0.0);
		self.branches
			.iter()
			.map(|br| (br.b * (at(br.from) - at(br.to) - br.shift_rad)) * self.base_mva)
			.collect()
	}

	/// The PTDF column of bus `k`: the change of every branch flow per MW injected at `k` and
	/// withdrawn at the reference bus (all zeros for the reference bus itself).
	pub fn ptdf_column(&self, k: usize) -> Vec<f64> {
		let n = self.bus_count();
		if k == self.slack || k >= n {
			return vec![0.0; self.branches.len()];
		}
		let mut rhs = vec![0.0; n.saturating_sub(1)];
		let r = if k < self.slack { k } else { k - 1 };
		if let Some(v) = rhs.get_mut(r) {
			*v = 1.0;
		}
		let mut work = Vec::with_capacity(rhs.len());
		self.factor.solve(&mut rhs, &mut work);
		let slack = self.slack;
		let at = |i: usize| -> f64 {
			match i.cmp(&slack) {
				core::cmp::Ordering::Less => rhs.get(i).copied().unwrap_or(0.0),
				core::cmp::Ordering::Equal => 0.0,
				core::cmp::Ordering::Greater => rhs.get(i - 1).copied().unwrap_or(0.0),
			}
		};
		self.branches.iter().map(|br| br.b * (at(br.from) - at(br.to))).collect()
	}
}
