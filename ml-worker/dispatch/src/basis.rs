//! Bases of the optimum, the library of those seen in training, and the dual simplex.
//!
//! The DC-OPF of the PGLib grids is an LP (linear costs; the added renewables have tiny linear
//! costs too), so its optimum is fixed by its **basis**: which generators sit at their lower or
//! upper limit, which are free, and which branches are held at their rating (and in which
//! direction). Given a basis, the optimum is the solution of one small linear system, the KKT
//! conditions of the free generators:
//!
//! ```text
//! c1_g + 2·c2_g·P_g − λ + Σ_h μ_h·s_h·PTDF_hg = 0      every free generator g
//! Σ_free P_g = demand − Σ_fixed P_g                    the power balance
//! s_h·F_h(P) = rating_h                                every held branch h (direction s_h)
//! ```
//!
//! (unknowns: the free set-points, the energy price λ and the congestion prices μ). Its size is
//! the number of free generators plus the held branches plus one: 16 on average on case300
//! and 23 on case1354, against 99 and 300 generators and 411 and 1,991 rated branches.
//!
//! A solution is the **optimum** when it is
//! - *primal feasible*: free generators within their limits, every branch within its rating
//!   (checked with a power flow from scratch, [`DispatchProblem::certify`]), and
//! - *dual feasible*: every congestion price `μ_h ≥ 0`, and every generator held at a limit
//!   would lose by moving off it (reduced cost `≥ 0` at the lower limit, `≤ 0` at the upper).
//!
//! Both are checked, so a certified basis gives the optimum (within the certificate's
//! tolerances), whatever proposed it: the library below is untrusted input.
//!
//! Bases recur. The hourly scenarios of a year on case300 have 653 distinct optimal bases in
//! 3,768 training hours, and the held-out hours' own basis is among them in 92 % of cases
//! (case1354: 74 % with half the training hours). A [`BasisLibrary`] holds the training
//! optima's bases with their counts. The repair ([`DispatchProblem::repair_with`]) reads a
//! prediction as a guess of the statuses, tries the library's bases nearest to it, then a few
//! dual simplex pivots ([`DispatchProblem::dual_simplex`]), and falls back to the dual simplex
//! as a solver ([`DispatchProblem::solve_simplex`]).

use crate::{
	opf::{line_tolerance, WarmStart},
	DispatchProblem, Error, Repaired,
};
use std::collections::HashMap;

/// A generator within this share of its range (at least this many MW) of a limit is at it,
/// when a basis is read from an optimum.
pub const STATUS_TOLERANCE: f64 = 1e-5;

/// A branch loaded to within this share of its rating is held at it, when a basis is read from
/// an optimum.
pub const HELD_TOLERANCE: f64 = 1e-6;

/// In a prediction, a generator within this share of its range of a limit is guessed at it.
pub const GUESS_SNAP: f64 = 0.02;

/// Library bases the repair tries, nearest to the prediction first.
pub const TRIES: usize = 2;

/// Most dual simplex pivots from the nearest library basis before the repair gives up on the
/// optimum.
pub const MAX_PIVOTS: usize = 8;

/// Most dual simplex pivots of the solver ([`DispatchProblem::solve_simplex`], the repair's
/// fallback).
pub const COLD_PIVOTS: usize = 64;

/// Smallest pivot a dual simplex step takes (a smaller one would make the next basis nearly
/// singular).
const PIVOT_TOLERANCE: f64 = 1e-7;

/// A held branch's row (its PTDF over the free generators) whose part independent of the
/// earlier rows is smaller than this share of it is dependent (see `drop_dependent_held`).
const DEPENDENT: f64 = 1e-6;

/// A held branch is aimed this share of its rating inside it.
const HELD_MARGIN: f64 = 1e-9;

/// Regularization of the KKT system (keeps degenerate bases solvable; far below the
/// certificate's tolerances).
const REGULARIZATION: f64 = 1e-10;

/// One optimal basis: statuses of the generators as bit sets, and the held branches.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Basis {
	/// Bit `g`: generator `g` at its lower limit (also every generator whose limits coincide).
	pub lower: Vec<u64>,
	/// Bit `g`: generator `g` at its upper limit.
	pub upper: Vec<u64>,
	/// Branches held at their rating, with the direction of their flow (`true`: from → to).
	pub held: Vec<(u32, bool)>,
}

fn bit(bits: &[u64], g: usize) -> bool {
	bits.get(g / 64).is_some_and(|w| w >> (g % 64) & 1 == 1)
}

fn clear(bits: &mut [u64], g: usize) {
	if let Some(w) = bits.get_mut(g / 64) {
		*w &= !(1 << (g % 64));
	}
}

fn set(bits: &mut [u64], g: usize) {
	if let Some(w) = bits.get_mut(g / 64) {
		*w |= 1 << (g % 64);
	}
}

/// Statuses of set-points `pg_mw`: generators within `snap` of their range (at least `snap_mw`)
/// from a limit are at it.
fn statuses(problem: &DispatchProblem, pg_mw: &[f64], pmax_mw: &[f64], snap: f64, snap_mw: f64) -> (Vec<u64>, Vec<u64>) {
	let pmin = problem.pmin();
	let words = problem.gen_count().div_ceil(64);
	let (mut lower, mut upper) = (vec![0; words], vec![0; words]);
	for (g, (p, (lo, hi))) in pg_mw.iter().zip(pmin.iter().zip(pmax_mw)).enumerate() {
		let span = hi - lo;
		let tol = (snap * span).max(snap_mw);
		if span <= 1e-9 || !p.is_finite() || *p <= lo + tol {
			set(&mut lower, g);
		} else if *p >= hi - tol {
			set(&mut upper, g);
		}
	}
	(lower, upper)
}

impl Basis {
	/// The basis of an optimal dispatch `pg_mw` (see [`STATUS_TOLERANCE`], [`HELD_TOLERANCE`]).
	///
	/// An interior-point solver stops at the centre of the optimal face when the optimum is not
	/// unique (ties of cost), so more generators may be free than there are rows (the balance
	/// and the held branches); their prices would then be over-determined. A crossover moves
	/// such a dispatch along the face, at no cost (or a saving), until a free generator reaches
	/// a limit or a branch its rating, and repeats until the basis is a vertex's.
	pub fn of(problem: &DispatchProblem, pg_mw: &[f64], loads_mw: &[f64], pmax_mw: &[f64]) -> Basis {
		let (lower, upper) = statuses(problem, pg_mw, pmax_mw, STATUS_TOLERANCE, STATUS_TOLERANCE);
		let held = problem
			.flows(pg_mw, loads_mw)
			.iter()
			.zip(&problem.network.branches)
			.enumerate()
			.filter(|(_, (f, br))| br.limit_mw.is_some_and(|lim| f.abs() >= (1.0 - HELD_TOLERANCE) * lim))
			.map(|(l, (f, _))| (l as u32, *f > 0.0))
			.collect();
		let mut basis = Basis { lower, upper, held };
		let mut p = pg_mw.to_vec();
		for _ in 0..problem.gen_count() {
			problem.drop_dependent_held(&mut basis, pmax_mw);
			if !problem.crossover_step(&mut basis, &mut p, loads_mw, pmax_mw) {
				break;
			}
		}
		basis
	}

	/// Generators neither at a limit nor fixed.
	pub fn free(&self, gens: usize) -> Vec<usize> {
		(0..gens).filter(|&g| !bit(&self.lower, g) && !bit(&self.upper, g)).collect()
	}
}

/// The distinct optimal bases of a set of training scenarios, with how often each occurred.
#[derive(Clone, Debug, Default)]
pub struct BasisLibrary {
	bases: Vec<Basis>,
	counts: Vec<usize>,
	index: HashMap<Basis, usize>,
	/// Every basis's `lower` then `upper` words, one stride after another (a scan over the
	/// library reads one contiguous array).
	bits: Vec<u64>,
	/// Words per bit set.
	words: usize,
}

/// Bases ranked by their generator statuses' distance to a prediction, before the finer score.
const SHORTLIST: usize = 8;

impl BasisLibrary {
	/// An empty library.
	pub fn new() -> BasisLibrary {
		BasisLibrary::default()
	}

	/// A library of `bases`.
	pub fn from_bases<'a>(bases: impl IntoIterator<Item = &'a Basis>) -> BasisLibrary {
		let mut lib = BasisLibrary::new();
		for b in bases {
			lib.insert(b.clone());
		}
		lib
	}

	/// Adds one occurrence of `basis` (bit sets of different lengths are padded with zeros to
	/// the longest seen).
	pub fn insert(&mut self, basis: Basis) {
		if let Some(c) = self.index.get(&basis).and_then(|&i| self.counts.get_mut(i)) {
			*c = c.saturating_add(1);
			return;
		}
		let words = basis.lower.len().max(basis.upper.len());
		if words > self.words {
			self.words = words;
			self.bits.clear();
			for b in &self.bases {
				for set in [&b.lower, &b.upper] {
					self.bits.extend((0..words).map(|w| set.get(w).copied().unwrap_or(0)));
				}
			}
		}
		for set in [&basis.lower, &basis.upper] {
			self.bits.extend((0..self.words).map(|w| set.get(w).copied().unwrap_or(0)));
		}
		self.index.insert(basis.clone(), self.bases.len());
		self.bases.push(basis);
		self.counts.push(1);
	}

	/// Distinct bases.
	pub fn len(&self) -> usize {
		self.bases.len()
	}

	/// Whether empty.
	pub fn is_empty(&self) -> bool {
		self.bases.is_empty()
	}

	/// Whether `basis` is in the library.
	pub fn contains(&self, basis: &Basis) -> bool {
		self.index.contains_key(basis)
	}

	/// Up to `n` bases nearest to the statuses guessed from `pg_mw`, nearest first. Every basis
	/// is ranked by the generators whose status differs from the guess (generators within
	/// [`GUESS_SNAP`] of their range from a limit are guessed at it), and the [`SHORTLIST`]
	/// nearest are ordered by how far the prediction is from each basis's statuses (Σ over the
	/// generators of the distance, in shares of their range, from the position to the limit or
	/// to the free interval), then by how often the basis occurred.
	pub fn nearest(&self, problem: &DispatchProblem, pg_mw: &[f64], pmax_mw: &[f64], n: usize) -> Vec<&Basis> {
		let (lower, upper) = statuses(problem, pg_mw, pmax_mw, GUESS_SNAP, 0.0);
		let words = self.words;
		let stride = 2 * words;
		// One sortable key per basis: distance, then count (descending), then position; the
		// `short` smallest kept in order as the scan goes.
		let pmin = problem.pmin();
		let short = SHORTLIST.max(n).min(self.bases.len());
		if short == 0 {
			return Vec::new();
		}
		let mut keys: Vec<u64> = Vec::with_capacity(short + 1);
		for (i, (bits, &c)) in self.bits.chunks_exact(stride.max(1)).zip(&self.counts).enumerate() {
			let (bl, bu) = bits.split_at(words);
			let mut d = 0u32;
			for ((bl, bu), (gl, gu)) in bl.iter().zip(bu).zip(lower.iter().zip(&upper)) {
				d += ((bl ^ gl) | (bu ^ gu)).count_ones();
			}
			let key = (u64::from(d) << 44) | ((0xF_FFFF - (c.min(0xF_FFFF) as u64)) << 24) | (i as u64 & 0xFF_FFFF);
			if keys.len() == short && keys.last().is_some_and(|&worst| key >= worst) {
				continue;
			}
			let at = keys.partition_point(|&k| k < key);
			keys.insert(at, key);
			keys.truncate(short);
		}
		// Per generator: the distance of its position to the free interval, and how much more
		// (or less) the distance to the lower or upper limit is; a basis's score is the first
		// summed over all generators plus the second over those it puts at a limit.
		let mut base = 0.0;
		let (mut to_lower, mut to_upper) = (vec![0.0; pg_mw.len()], vec![0.0; pg_mw.len()]);
		for (g, ((p, lo), (dl, du))) in
			pg_mw.iter().zip(pmin).zip(to_lower.iter_mut().zip(to_upper.iter_mut())).enumerate()
		{
			let span = pmax_mw.get(g).copied().unwrap_or(*lo) - lo;
			let u = if span > 1e-9 && p.is_finite() { ((p - lo) / span).clamp(0.0, 1.0) } else { 0.0 };
			let free = (GUESS_SNAP - u).max(u - (1.0 - GUESS_SNAP)).max(0.0);
			base += free;
			*dl = u - free;
			*du = 1.0 - u - free;
		}
		let over_bits = |words: &[u64], delta: &[f64]| -> f64 {
			let mut sum = 0.0;
			for (w, &word) in words.iter().enumerate() {
				let mut x = word;
				while x != 0 {
					sum += delta.get(w * 64 + x.trailing_zeros() as usize).copied().unwrap_or(0.0);
					x &= x - 1;
				}
			}
			sum
		};
		let mut scored: Vec<(f64, u64)> = keys
			.iter()
			.filter_map(|&k| {
				let i = (k & 0xFF_FFFF) as usize;
				let bits = self.bits.get(i * stride..(i + 1) * stride)?;
				let (bl, bu) = bits.split_at(words);
				Some((base + over_bits(bl, &to_lower) + over_bits(bu, &to_upper), k & ((1 << 44) - 1)))
			})
			.collect();
		scored.sort_unstable_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
		scored.iter().take(n).filter_map(|&(_, k)| self.bases.get((k & 0xFF_FFFF) as usize)).collect()
	}
}

/// An LU factorization with partial pivoting of a dense `n × n` matrix (row-major).
struct Lu {
	a: Vec<f64>,
	swaps: Vec<usize>,
	n: usize,
}

impl Lu {
	/// `None` when the matrix is singular.
	fn factor(mut a: Vec<f64>, n: usize) -> Option<Lu> {
		let mut swaps = Vec::with_capacity(n);
		for k in 0..n {
			let (piv, big) = (k..n)
				.map(|i| (i, a.get(i * n + k).map_or(0.0, |v| v.abs())))
				.fold((k, -1.0), |acc, x| if x.1 > acc.1 { x } else { acc });
			if big.is_nan() || big <= 1e-14 {
				return None;
			}
			if piv != k {
				for j in 0..n {
					a.swap(k * n + j, piv * n + j);
				}
			}
			swaps.push(piv);
			let d = *a.get(k * n + k)?;
			for i in k + 1..n {
				let f = *a.get(i * n + k)? / d;
				*a.get_mut(i * n + k)? = f;
				if f == 0.0 {
					continue;
				}
				for j in k + 1..n {
					let v = *a.get(k * n + j)?;
					*a.get_mut(i * n + j)? -= f * v;
				}
			}
		}
		Some(Lu { a, swaps, n })
	}

	/// Solves `A · x = b` in place; `None` when the result is not finite.
	fn solve(&self, b: &mut [f64]) -> Option<()> {
		let n = self.n;
		for (k, &piv) in self.swaps.iter().enumerate() {
			if piv != k {
				b.swap(k, piv);
			}
		}
		for i in 0..n {
			let mut s = *b.get(i)?;
			for j in 0..i {
				s -= self.a.get(i * n + j)? * b.get(j)?;
			}
			*b.get_mut(i)? = s;
		}
		for i in (0..n).rev() {
			let mut s = *b.get(i)?;
			for j in i + 1..n {
				s -= self.a.get(i * n + j)? * b.get(j)?;
			}
			*b.get_mut(i)? = s / self.a.get(i * n + i)?;
		}
		b.iter().all(|v| v.is_finite()).then_some(())
	}
}

/// A basis's KKT solution, before the limits of its free generators are checked.
struct Kkt {
	/// Set-points: fixed generators at their limit, free ones as solved (possibly outside).
	p: Vec<f64>,
	/// Free generators.
	free: Vec<usize>,
	/// Held branches: index, direction (±1), rating.
	held: Vec<(usize, f64, f64)>,
	/// Energy price, $/MWh.
	lambda: f64,
	/// Congestion price of each held branch (≥ 0 when dual feasible).
	mu: Vec<f64>,
	/// Per generator, Σ over the held branches of price × direction × PTDF: what congestion
	/// adds to its reduced cost.
	congestion: Vec<f64>,
	/// The factored system (for the sensitivities of a pivot).
	lu: Lu,
}

/// A basis's solution: set-points and whether the basis is dual feasible (then, if the
/// set-points pass the certificate, they are the optimum).
#[derive(Clone, Debug, PartialEq)]
pub struct BasisSolution {
	/// Set-points, MW (within the generator limits and the balance; the branches are not yet
	/// checked).
	pub pg_mw: Vec<f64>,
	/// Every congestion price non-negative and every generator at a limit priced to stay.
	pub dual_feasible: bool,
}

/// The optimum found by the dual simplex.
#[derive(Clone, Debug, PartialEq)]
pub struct Vertex {
	/// Set-points, MW: primal and dual feasible, and they passed the certificate.
	pub pg_mw: Vec<f64>,
	/// Its basis (the warm start of a similar scenario).
	pub basis: Basis,
	/// Pivots made.
	pub pivots: usize,
}

/// A generator's limit in a basis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Limit {
	Lower,
	Upper,
}

/// What leaves the basis in a dual simplex pivot: the worst primal violation.
enum Leaving {
	/// A free generator above its upper limit.
	Upper(usize),
	/// A free generator below its lower limit.
	Lower(usize),
	/// A branch over its rating, in a direction.
	Branch(usize, f64),
}

impl DispatchProblem {
	/// Linear and quadratic cost coefficients of generator `g`.
	fn cost_coefficients(&self, g: usize) -> (f64, f64) {
		self.gen_index.get(g).and_then(|&i| self.case.costs.get(i)).map_or((0.0, 0.0), |c| (c.c1, c.c2))
	}

	fn ptdf(&self, l: usize, g: usize) -> f64 {
		self.ptdf_row(l).get(g).copied().unwrap_or(0.0)
	}

	/// The generators `basis` leaves free that have a range under `pmax_mw` (one whose limits
	/// coincide in this scenario is fixed, whatever the basis says).
	fn ranged_free(&self, basis: &Basis, pmax_mw: &[f64]) -> Vec<usize> {
		let pmin = self.pmin();
		basis
			.free(self.gen_count())
			.into_iter()
			.filter(|&g| {
				let (lo, hi) = self.limits(pmin, pmax_mw, g);
				hi - lo > 1e-9
			})
			.collect()
	}

	/// Which limit `basis` holds generator `g` at, when it has a range under `pmax_mw`; `None`
	/// for a free generator and for one whose limits coincide (it is fixed either way). A basis
	/// that marks both limits means the lower one.
	fn at_limit(&self, basis: &Basis, pmin: &[f64], pmax_mw: &[f64], g: usize) -> Option<Limit> {
		let (lo, hi) = self.limits(pmin, pmax_mw, g);
		if hi - lo <= 1e-9 {
			None
		} else if bit(&basis.lower, g) {
			Some(Limit::Lower)
		} else if bit(&basis.upper, g) {
			Some(Limit::Upper)
		} else {
			None
		}
	}

	/// Limits of generator `g` under `pmax_mw`.
	fn limits(&self, pmin: &[f64], pmax_mw: &[f64], g: usize) -> (f64, f64) {
		let lo = pmin.get(g).copied().unwrap_or(0.0);
		(lo, pmax_mw.get(g).copied().unwrap_or(lo).max(lo))
	}

	/// The KKT system of `basis` (see the module docs), solved.
	fn kkt(&self, basis: &Basis, loads_mw: &[f64], pmax_mw: &[f64], pmin: &[f64], load_flows: &[f64]) -> Option<Kkt> {
		let ng = self.gen_count();
		let mut p: Vec<f64> = (0..ng)
			.map(|g| {
				// (A basis that marks a generator at both limits means the lower one, as
				// everywhere else.)
				let (lo, hi) = self.limits(pmin, pmax_mw, g);
				if bit(&basis.upper, g) && !bit(&basis.lower, g) {
					hi
				} else {
					lo
				}
			})
			.collect();
		let free = self.ranged_free(basis, pmax_mw);
		let held: Vec<(usize, f64, f64)> = basis
			.held
			.iter()
			.filter_map(|&(l, positive)| {
				let lim = self.network.branches.get(l as usize)?.limit_mw?;
				Some((l as usize, if positive { 1.0 } else { -1.0 }, lim))
			})
			.collect();
		let (nf, nh) = (free.len(), held.len());
		let n = nf + 1 + nh;
		let mut a = vec![0.0; n * n];
		let mut b = vec![0.0; n];
		let mut put = |i: usize, j: usize, v: f64| {
			if let Some(x) = a.get_mut(i * n + j) {
				*x += v;
			}
		};
		for (i, &g) in free.iter().enumerate() {
			let (c1, c2) = self.cost_coefficients(g);
			put(i, i, 2.0 * c2 + REGULARIZATION);
			put(i, nf, -1.0);
			put(nf, i, 1.0);
			for (j, &(h, s, _)) in held.iter().enumerate() {
				let v = s * self.ptdf(h, g);
				put(i, nf + 1 + j, v);
				put(nf + 1 + j, i, v);
			}
			if let Some(x) = b.get_mut(i) {
				*x = -c1;
			}
			if let Some(x) = p.get_mut(g) {
				*x = 0.0;
			}
		}
		put(nf, nf, -REGULARIZATION);
		let fixed_total: f64 = p.iter().sum();
		if let Some(x) = b.get_mut(nf) {
			*x = self.demand(loads_mw) - fixed_total;
		}
		for (j, &(h, s, lim)) in held.iter().enumerate() {
			put(nf + 1 + j, nf + 1 + j, -REGULARIZATION);
			// Flow of the held branch with the free generators at 0.
			let base = load_flows.get(h).copied().unwrap_or(0.0)
				+ p.iter().zip(self.ptdf_row(h)).map(|(x, a)| x * a).sum::<f64>();
			// Aim a hair inside the rating (far below the certificate's tolerance, far above
			// rounding) so the flows recomputed from scratch cannot come out over it.
			if let Some(x) = b.get_mut(nf + 1 + j) {
				*x = lim - HELD_MARGIN * lim.max(1.0) - s * base;
			}
		}
		let lu = Lu::factor(a, n)?;
		lu.solve(&mut b)?;
		for (i, &g) in free.iter().enumerate() {
			*p.get_mut(g)? = b.get(i).copied()?;
		}
		let lambda = b.get(nf).copied()?;
		let mu: Vec<f64> = b.iter().skip(nf + 1).copied().collect();
		let congestion = self.congestion(&held, &mu);
		Some(Kkt { p, free, held, lambda, mu, congestion, lu })
	}

	/// Σ over `held` of `prices` × direction × the branch's PTDF, per generator.
	fn congestion(&self, held: &[(usize, f64, f64)], prices: &[f64]) -> Vec<f64> {
		let mut out = vec![0.0; self.gen_count()];
		for (&(h, s, _), m) in held.iter().zip(prices) {
			let f = s * m;
			if f != 0.0 {
				for (o, a) in out.iter_mut().zip(self.ptdf_row(h)) {
					*o += f * a;
				}
			}
		}
		out
	}

	/// Reduced cost of generator `g` in `k`: what a MW more of it would change the cost by.
	fn reduced_cost(&self, k: &Kkt, g: usize) -> f64 {
		let (c1, c2) = self.cost_coefficients(g);
		let x = k.p.get(g).copied().unwrap_or(0.0);
		c1 + 2.0 * c2 * x - k.lambda + k.congestion.get(g).copied().unwrap_or(0.0)
	}

	/// Tolerance of the dual feasibility checks, $/MWh.
	fn dual_tolerance(k: &Kkt) -> f64 {
		1e-6 * (1.0 + k.lambda.abs())
	}

	/// Whether `k` (of `basis`) is dual feasible: every congestion price non-negative, every
	/// generator at a limit (whose limits differ) priced to stay there.
	fn dual_feasible(&self, basis: &Basis, k: &Kkt, pmin: &[f64], pmax_mw: &[f64]) -> bool {
		let eps = Self::dual_tolerance(k);
		k.mu.iter().all(|&m| m >= -eps)
			&& (0..self.gen_count()).all(|g| {
				let d = self.reduced_cost(k, g);
				match self.at_limit(basis, pmin, pmax_mw, g) {
					None => true,
					Some(Limit::Lower) => d >= -eps,
					Some(Limit::Upper) => d <= eps,
				}
			})
	}

	/// The set-points of `k` when every free generator is within its limits (clamped to them
	/// from within a hair).
	fn within_limits(&self, k: &Kkt, pmin: &[f64], pmax_mw: &[f64]) -> Option<Vec<f64>> {
		let mut p = k.p.clone();
		for &g in &k.free {
			let (lo, hi) = self.limits(pmin, pmax_mw, g);
			let x = p.get_mut(g)?;
			let tol = 1e-7 * (hi - lo).max(1.0);
			if !(*x >= lo - tol && *x <= hi + tol) {
				return None;
			}
			*x = x.clamp(lo, hi);
		}
		Some(p)
	}

	/// Drops the held branches whose rows (their PTDF over the free generators) depend on the
	/// balance's and the earlier held branches' (Gram–Schmidt): parallel circuits at their
	/// rating together, or a branch whose flow the free generators can only move as they move
	/// others'. Such a row adds no constraint and would leave the prices indeterminate.
	fn drop_dependent_held(&self, basis: &mut Basis, pmax_mw: &[f64]) {
		let free = self.ranged_free(basis, pmax_mw);
		let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
		let mut accepted: Vec<Vec<f64>> = Vec::new();
		let mut orthogonalize = |row: Vec<f64>| -> bool {
			let size = norm(&row);
			let mut v = row;
			for q in &accepted {
				let dot: f64 = q.iter().zip(&v).map(|(a, b)| a * b).sum();
				for (x, a) in v.iter_mut().zip(q) {
					*x -= dot * a;
				}
			}
			let rest = norm(&v);
			if size <= 0.0 || rest <= DEPENDENT * size {
				return false;
			}
			accepted.push(v.iter().map(|x| x / rest).collect());
			true
		};
		orthogonalize(vec![1.0; free.len()]);
		basis.held.retain(|&(l, _)| orthogonalize(free.iter().map(|&g| self.ptdf(l as usize, g)).collect()));
	}

	/// The merit-order basis: the cheapest generators at their upper limit, the dearest at their
	/// lower, one marginal generator free, no branch held. It is dual feasible (every generator
	/// cheaper than the marginal one would gain by producing more, every dearer one would lose),
	/// so the dual simplex can start from it without knowing anything about the scenario.
	pub fn merit_basis(&self, loads_mw: &[f64], pmax_mw: &[f64]) -> Basis {
		let pmin = self.pmin();
		let words = self.gen_count().div_ceil(64);
		let (mut lower, mut upper) = (vec![0; words], vec![0; words]);
		let mut order: Vec<usize> = (0..self.gen_count()).collect();
		order.sort_by(|&a, &b| self.cost_coefficients(a).0.total_cmp(&self.cost_coefficients(b).0).then(a.cmp(&b)));
		let mut need = self.demand(loads_mw) - pmin.iter().sum::<f64>();
		let mut marginal_found = false;
		for g in order {
			let (lo, hi) = self.limits(pmin, pmax_mw, g);
			let span = hi - lo;
			if marginal_found || span <= 1e-9 {
				set(&mut lower, g);
			} else if need >= span {
				set(&mut upper, g);
				need -= span;
			} else {
				marginal_found = true;
			}
		}
		Basis { lower, upper, held: Vec::new() }
	}

	/// One crossover step (see [`Basis::of`]) on `p` and its `basis`; `false` when the basis has
	/// no more free generators than rows (or no step is possible).
	fn crossover_step(&self, basis: &mut Basis, p: &mut [f64], loads_mw: &[f64], pmax_mw: &[f64]) -> bool {
		let pmin = self.pmin();
		let free = self.ranged_free(basis, pmax_mw);
		let held: Vec<(usize, f64)> =
			basis.held.iter().map(|&(l, positive)| (l as usize, if positive { 1.0 } else { -1.0 })).collect();
		let rows = 1 + held.len();
		let Some((&last, others)) = free.split_last() else { return false };
		if free.len() <= rows {
			return false;
		}
		// A direction along the face: the last free generator +1 MW, the others the least-norm
		// change keeping the balance and the held branches: A_o·d_o = −a_last.
		let coef = |i: usize, g: usize| match i.checked_sub(1).and_then(|j| held.get(j)) {
			None => 1.0,
			Some(&(h, s)) => s * self.ptdf(h, g),
		};
		let mut gram = vec![0.0; rows * rows];
		for i in 0..rows {
			for j in 0..rows {
				if let Some(x) = gram.get_mut(i * rows + j) {
					*x = others.iter().map(|&g| coef(i, g) * coef(j, g)).sum::<f64>() + if i == j { 1e-12 } else { 0.0 };
				}
			}
		}
		let mut y: Vec<f64> = (0..rows).map(|i| -coef(i, last)).collect();
		let Some(lu) = Lu::factor(gram, rows) else { return false };
		if lu.solve(&mut y).is_none() {
			return false;
		}
		let mut d: Vec<(usize, f64)> = others.iter().map(|&g| (g, (0..rows).map(|i| coef(i, g) * y.get(i).copied().unwrap_or(0.0)).sum())).collect();
		d.push((last, 1.0));
		// Downhill (or level) in cost.
		let slope: f64 = d.iter().map(|&(g, v)| self.cost_coefficients(g).0 * v).sum();
		if slope > 0.0 {
			for (_, v) in &mut d {
				*v = -*v;
			}
		}
		// Ratio test over the free generators' limits and the other branches' ratings.
		let mut step = f64::INFINITY;
		let mut blocking: Option<(bool, usize, bool)> = None; // (generator, index, upper/positive)
		for &(g, v) in &d {
			let (lo, hi) = self.limits(pmin, pmax_mw, g);
			let x = p.get(g).copied().unwrap_or(lo);
			let (room, up) = if v > 1e-12 { (hi - x, true) } else if v < -1e-12 { (x - lo, false) } else { continue };
			let t = room.max(0.0) / v.abs();
			if t < step {
				step = t;
				blocking = Some((true, g, up));
			}
		}
		let flows = self.flows(p, loads_mw);
		for (l, (f, br)) in flows.iter().zip(&self.network.branches).enumerate() {
			let Some(lim) = br.limit_mw else { continue };
			if held.iter().any(|&(h, _)| h == l) {
				continue;
			}
			let rate: f64 = d.iter().map(|&(g, v)| v * self.ptdf(l, g)).sum();
			let (room, positive) =
				if rate > 1e-12 { (lim - f, true) } else if rate < -1e-12 { (lim + f, false) } else { continue };
			let t = room.max(0.0) / rate.abs();
			if t < step {
				step = t;
				blocking = Some((false, l, positive));
			}
		}
		let Some((gen, i, up)) = blocking else { return false };
		for &(g, v) in &d {
			let (lo, hi) = self.limits(pmin, pmax_mw, g);
			if let Some(x) = p.get_mut(g) {
				*x = (*x + step * v).clamp(lo, hi);
			}
		}
		if gen {
			set(if up { &mut basis.upper } else { &mut basis.lower }, i);
		} else {
			basis.held.push((i as u32, up));
		}
		true
	}

	/// The solution of `basis` under `loads_mw` and `pmax_mw` (see the module docs), given the
	/// flows of the demand alone `load_flows` (`flows` of zero generation). `None` when its
	/// system is singular or a free generator leaves its limits.
	pub fn solve_basis(
		&self,
		basis: &Basis,
		loads_mw: &[f64],
		pmax_mw: &[f64],
		load_flows: &[f64],
	) -> Option<BasisSolution> {
		let pmin = self.pmin();
		let k = self.kkt(basis, loads_mw, pmax_mw, pmin, load_flows)?;
		let pg_mw = self.within_limits(&k, pmin, pmax_mw)?;
		Some(BasisSolution { pg_mw, dual_feasible: self.dual_feasible(basis, &k, pmin, pmax_mw) })
	}

	/// Dual simplex pivots from a dual feasible `basis` until its solution is primal feasible
	/// (then it is the optimum) or `max_pivots`: each pivot puts the worst violated limit (a
	/// free generator outside its range, or a branch over its rating) into the basis and takes
	/// out the status whose reduced cost (or congestion price) reaches zero first, so the basis
	/// stays dual feasible. Returns the optimum, or `None`. The optimum has passed the
	/// certificate: the generator limits, the balance, and every branch from a power flow
	/// from scratch ([`DispatchProblem::certify`]'s checks and tolerances).
	pub fn dual_simplex(
		&self,
		basis: &Basis,
		loads_mw: &[f64],
		pmax_mw: &[f64],
		load_flows: &[f64],
		max_pivots: usize,
	) -> Option<Vertex> {
		let pmin = self.pmin();
		let mut basis = basis.clone();
		for pivots in 0..=max_pivots {
			let k = self.kkt(&basis, loads_mw, pmax_mw, pmin, load_flows)?;
			// The worst violation: generators first (their flows are meaningless until they are
			// within their limits), then branches.
			let mut leaving = None;
			let mut worst = 0.0;
			for &g in &k.free {
				let (lo, hi) = self.limits(pmin, pmax_mw, g);
				let x = k.p.get(g).copied()?;
				let tol = 1e-7 * (hi - lo).max(1.0);
				if x > hi + tol && x - hi > worst {
					worst = x - hi;
					leaving = Some(Leaving::Upper(g));
				} else if x < lo - tol && lo - x > worst {
					worst = lo - x;
					leaving = Some(Leaving::Lower(g));
				}
			}
			if leaving.is_none() {
				let p = self.within_limits(&k, pmin, pmax_mw)?;
				for (l, (f, br)) in self.flows(&p, loads_mw).iter().zip(&self.network.branches).enumerate() {
					let Some(lim) = br.limit_mw else { continue };
					let excess = (f.abs() - lim) / lim.max(1.0);
					if f.abs() > lim + line_tolerance(lim) && excess > worst {
						worst = excess;
						leaving = Some(Leaving::Branch(l, f.signum()));
					}
				}
				if leaving.is_none() {
					// What is left of the certificate: the balance (the limits were checked
					// above and every branch from a power flow from scratch).
					let balanced = (p.iter().sum::<f64>() - self.demand(loads_mw)).abs() <= crate::repair::BALANCE_TOLERANCE_MW;
					return (balanced && self.dual_feasible(&basis, &k, pmin, pmax_mw))
						.then_some(Vertex { pg_mw: p, basis, pivots });
				}
			}
			if pivots == max_pivots {
				return None;
			}
			let leaving = leaving?;
			// Sensitivities of the prices to the leaving limit's price rising from zero.
			let nf = k.free.len();
			let mut d = vec![0.0; nf + 1 + k.held.len()];
			for (i, &g) in k.free.iter().enumerate() {
				let v = match leaving {
					Leaving::Upper(x) if x == g => -1.0,
					Leaving::Lower(x) if x == g => 1.0,
					Leaving::Branch(l, s) => -s * self.ptdf(l, g),
					_ => 0.0,
				};
				*d.get_mut(i)? = v;
			}
			k.lu.solve(&mut d)?;
			let dlambda = d.get(nf).copied()?;
			let dmu: Vec<f64> = d.iter().skip(nf + 1).copied().collect();
			// Ratio test: the first reduced cost or congestion price to reach zero.
			let mut entering: Option<(f64, bool, usize)> = None; // (ratio, is generator, index)
			// Among ratios within a hair of the smallest, the largest pivot (keeps the next system
			// well conditioned).
			let mut pivot = 0.0;
			let mut consider = |t: f64, size: f64, gen: bool, i: usize| {
				let better = match entering {
					None => true,
					Some((best, _, _)) => t < best - 1e-9 * (1.0 + best) || (t <= best + 1e-9 * (1.0 + best) && size > pivot),
				};
				if better {
					entering = Some((t, gen, i));
					pivot = size;
				}
			};
			let mut rates = self.congestion(&k.held, &dmu);
			if let Leaving::Branch(l, s) = leaving {
				for (r, a) in rates.iter_mut().zip(self.ptdf_row(l)) {
					*r += s * a;
				}
			}
			for g in 0..self.gen_count() {
				let Some(limit) = self.at_limit(&basis, pmin, pmax_mw, g) else { continue };
				let rate = rates.get(g).copied().unwrap_or(0.0) - dlambda;
				let dc = self.reduced_cost(&k, g);
				match limit {
					Limit::Lower if rate < -PIVOT_TOLERANCE => consider(dc.max(0.0) / -rate, -rate, true, g),
					Limit::Upper if rate > PIVOT_TOLERANCE => consider((-dc).max(0.0) / rate, rate, true, g),
					_ => {},
				}
			}
			for (j, (m, dm)) in k.mu.iter().zip(&dmu).enumerate() {
				if *dm < -PIVOT_TOLERANCE {
					consider(m.max(0.0) / -dm, -dm, false, j);
				}
			}
			let (_, gen, i) = entering?;
			match leaving {
				Leaving::Upper(g) => set(&mut basis.upper, g),
				Leaving::Lower(g) => set(&mut basis.lower, g),
				Leaving::Branch(l, s) => basis.held.push((l as u32, s > 0.0)),
			}
			if gen {
				clear(&mut basis.lower, i);
				clear(&mut basis.upper, i);
			} else if i < basis.held.len() {
				basis.held.remove(i);
			}
		}
		None
	}

	/// The repair of `pg_mw` with a library of optimal bases:
	/// 1. the [`TRIES`] library bases nearest to the statuses `pg_mw` suggests are solved in
	///    turn; the first that is dual feasible and passes the certificate is the optimum;
	/// 2. else up to [`MAX_PIVOTS`] dual simplex pivots from the nearest dual feasible one (or
	///    the nearest), certified the same way.
	///
	/// When neither gives the certified optimum, the repair **falls back** (counted in
	/// [`Repaired::fallback`]) to the solver: the dual simplex goes on from that basis up to
	/// [`COLD_PIVOTS`], then from the merit-order basis ([`DispatchProblem::solve_simplex`]), then,
	/// should both fail, the interior-point solver warm-started from `warm`. Every result is the optimum (within the certificate's
	/// tolerances); what the prediction decides is how much work that takes.
	pub fn repair_with(
		&self,
		library: &BasisLibrary,
		pg_mw: &[f64],
		loads_mw: &[f64],
		pmax_mw: &[f64],
		warm: &mut WarmStart,
	) -> Result<Repaired, Error> {
		self.check_setpoints(pg_mw, loads_mw, pmax_mw)?;
		let pmin = self.pmin();
		let load_flows = self.flows(&vec![0.0; self.gen_count()], loads_mw);
		let mut start: Option<(bool, &Basis)> = None;
		let mut tried = 0;
		for basis in library.nearest(self, pg_mw, pmax_mw, TRIES) {
			tried += 1;
			let Some(k) = self.kkt(basis, loads_mw, pmax_mw, pmin, &load_flows) else { continue };
			let dual = self.dual_feasible(basis, &k, pmin, pmax_mw);
			// The dual simplex starts from the nearest dual feasible basis, or else the nearest.
			if start.is_none_or(|(feasible, _)| dual && !feasible) {
				start = Some((dual, basis));
			}
			if !dual {
				continue;
			}
			if let Some(p) = self.within_limits(&k, pmin, pmax_mw) {
				if self.certify(&p, loads_mw, pmax_mw) {
					return Ok(Repaired { pg_mw: p, moves: tried, fallback: false, optimal: true });
				}
			}
		}
		// The local repair: up to MAX_PIVOTS pivots; the fallback goes on up to COLD_PIVOTS from
		// the same basis, then from the merit order.
		let mut moves = tried;
		if let Some((_, b)) = start {
			if let Some(v) = self.simplex_from(b, loads_mw, pmax_mw, &load_flows) {
				let fallback = v.pivots > MAX_PIVOTS;
				return Ok(Repaired { pg_mw: v.pg_mw, moves: tried + v.pivots, fallback, optimal: true });
			}
			moves += COLD_PIVOTS;
		}
		if let Some(v) = self.simplex_from(&self.merit_basis(loads_mw, pmax_mw), loads_mw, pmax_mw, &load_flows) {
			return Ok(Repaired { pg_mw: v.pg_mw, moves: moves + v.pivots, fallback: true, optimal: true });
		}
		let opt = self.solve_warm(loads_mw, pmax_mw, warm)?;
		Ok(Repaired { pg_mw: opt.pg_mw, moves, fallback: true, optimal: true })
	}

	/// Up to [`COLD_PIVOTS`] dual simplex pivots from `start`.
	fn simplex_from(&self, start: &Basis, loads_mw: &[f64], pmax_mw: &[f64], load_flows: &[f64]) -> Option<Vertex> {
		self.dual_simplex(start, loads_mw, pmax_mw, load_flows, COLD_PIVOTS)
	}

	/// The DC-OPF of an LP grid by the dual simplex: from `warm` (the previous scenario's
	/// optimal basis) when it is dual feasible here, else from the merit-order basis; `warm`
	/// is left holding this optimum's basis. `None` when the pivots do not reach a certified
	/// optimum within [`COLD_PIVOTS`] (the caller then uses [`DispatchProblem::solve_warm`]).
	pub fn solve_simplex(&self, loads_mw: &[f64], pmax_mw: &[f64], warm: &mut Option<Basis>) -> Result<Option<Vertex>, Error> {
		self.check_inputs(loads_mw, pmax_mw)?;
		let load_flows = self.flows(&vec![0.0; self.gen_count()], loads_mw);
		let mut v = warm.as_ref().and_then(|b| self.simplex_from(b, loads_mw, pmax_mw, &load_flows));
		if v.is_none() {
			v = self.simplex_from(&self.merit_basis(loads_mw, pmax_mw), loads_mw, pmax_mw, &load_flows);
		}
		if let Some(v) = &v {
			*warm = Some(v.basis.clone());
		}
		Ok(v)
	}
}
