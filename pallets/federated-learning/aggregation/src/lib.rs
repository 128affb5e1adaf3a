//! # gridbrain-aggregation
//!
//! The maths of gridbrain's federated-learning rounds, without FRAME, shared by the
//! FederatedLearning pallet (rules, commitments, quorum) and the ml-worker (everything):
//!
//! - [`Model`]: named tensors of **fixed-point** parameters (`i64`, [`FRAC_BITS`] fractional
//!   bits), converted from and to `f32` deterministically ([`to_fixed`], [`from_fixed`]), with one
//!   canonical byte encoding ([`Model::encode`]) whose blake2b-256 is the model's hash
//!   ([`Model::hash`]).
//! - [`AggregationRule`]: FedAvg weighted by claimed samples with a cap, coordinate-wise trimmed
//!   mean, coordinate-wise median; [`aggregate`] applies one to a round's updates and
//!   [`next_global`] adds the result to the global model; [`next_global_with_momentum`] does so
//!   with server momentum (the global model then carries its velocity, see below).
//! - [`commitment`]: the commit–reveal commitment `blake2b-256(update_hash ‖ salt ‖ account)`.
//! - [`quorum_reached`]: the ≥ 2/3 rule of round finalization (and of the agreed dispatch).
//! - [`agreement`]: the agreed dispatch's coordinate-wise median, the conversion of metered
//!   per-zone energy to power at a bus, and the realised imbalance of a plan.
//!
//! ## Determinism
//!
//! Every honest worker must compute the *same bytes* from the same updates, on any machine and in
//! any input order, because the round finalizes on equal hashes. So all aggregation is integer
//! arithmetic: sums are exact (`i128`), each rule's result depends only on the multiset of
//! `(value, weight)` pairs of a coordinate (sorting for the trimmed mean and the median; exact sums
//! for FedAvg), and every division rounds toward −∞ ([`i128::div_euclid`]). The only float
//! operations are the conversions, which are exact (`f32 → f64`, multiplication by a power of
//! two) or correctly rounded by IEEE 754.
//!
//! ## Server momentum
//!
//! With momentum `β = momentum_ppm / 10⁶` (`< 1`), a round's step is the aggregate plus `β`
//! times the previous step (heavy-ball momentum on the server, FedAvgM of Hsu et al., 2019):
//! `v' = aggregate + ⌊β·v⌋`, `params' = params + v'`. The velocity `v'` travels **inside** the
//! global model as tensors named [`VELOCITY_PREFIX`] + the parameter's name, so the model's hash
//! covers it, every worker that adopts a global model has it, and no other state has to be
//! agreed. A model without velocity tensors has velocity 0; with `β = 0` the result carries none
//! and equals [`next_global`]. Updates are always taken against the parameters
//! ([`Model::params`]). An adversarial step that got through the rule keeps acting on later
//! rounds, decaying by `β` per round (its total effect is at most `1/(1 − β)` times its own).
//!
//! ## Robustness
//!
//! With `n` updates and trim fraction `t`, the trimmed mean drops `k = ⌊n·t⌋` values at each end of
//! every coordinate, so when at most `k` updates are adversarial (sign-flipped, huge, constant)
//! each coordinate of the result lies between the smallest and the largest honest value. The
//! median has the same bound for fewer than `n/2` adversaries. FedAvg has no such bound; its
//! sample cap only limits how much one update can claim.

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::{string::String, vec::Vec};
#[cfg(feature = "scale")]
use codec::{Decode, DecodeWithMemTracking, Encode, MaxEncodedLen};
#[cfg(feature = "scale")]
use scale_info::TypeInfo;

pub mod agreement;
#[cfg(test)]
mod tests;

/// Fractional bits of the fixed-point parameters: resolution 2⁻²⁴ ≈ 6·10⁻⁸, range ±5.5·10¹¹.
pub const FRAC_BITS: u32 = 24;
/// `2^FRAC_BITS` as a float (exact).
const SCALE: f64 = 16_777_216.0;
/// Parts per million: the unit of [`AggregationRule::TrimmedMean::trim_ppm`].
pub const PPM: u32 = 1_000_000;
/// First bytes of an encoded model.
pub const MAGIC: [u8; 4] = *b"GBFX";
/// Version of the encoding.
pub const ENCODING_VERSION: u32 = 1;

/// Prefix of the velocity tensors a global model carries under server momentum (see the
/// crate docs): `velocity/l1.weight` is the velocity of `l1.weight`.
pub const VELOCITY_PREFIX: &str = "velocity/";
/// The name of the velocity tensor of parameter tensor `param`.
fn velocity_name(param: &str) -> String {
	let mut name = String::from(VELOCITY_PREFIX);
	name.push_str(param);
	name
}

/// Highest accepted server momentum, parts per million (β = 0.99).
pub const MAX_MOMENTUM_PPM: u32 = 990_000;

/// Why a model or an aggregation was rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
	/// A parameter is NaN or infinite.
	NonFinite,
	/// Two tensors have the same name.
	DuplicateTensor,
	/// A tensor's number of values differs from the product of its shape (or overflows).
	ShapeMismatch,
	/// Models to combine don't have the same tensor names and shapes.
	LayoutMismatch,
	/// No update to aggregate.
	NoUpdates,
	/// FedAvg: every update claims zero samples.
	NoWeight,
	/// The rule's parameters are out of range (see [`AggregationRule::validate`]).
	InvalidRule,
	/// Bytes are not a model encoding (magic, version, lengths, trailing bytes).
	Malformed,
	/// An intermediate result does not fit (can't happen below 2⁶⁴ updates).
	Overflow,
}

/// How a round combines its updates. Set by the chain's admin origin; every round records the
/// rule it runs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "scale", derive(Encode, Decode, DecodeWithMemTracking, MaxEncodedLen, TypeInfo))]
pub enum AggregationRule {
	/// Mean weighted by `min(num_samples, max_samples)` (McMahan et al.'s FedAvg with a cap on
	/// what a worker may claim). Not robust to malicious updates.
	FedAvg {
		/// Cap on the samples one update may claim (≥ 1).
		max_samples: u64,
	},
	/// Coordinate-wise mean after dropping the `⌊n·trim_ppm/10⁶⌋` smallest and largest values.
	TrimmedMean {
		/// Fraction trimmed at each end, in parts per million (`< 500_000`).
		trim_ppm: u32,
	},
	/// Coordinate-wise median (the mean of the two middle values, rounded down, for even `n`).
	Median,
}

impl AggregationRule {
	/// Checks the parameters: `max_samples ≥ 1`; `trim_ppm < 500_000` (so at least one value
	/// survives trimming).
	pub fn validate(&self) -> Result<(), Error> {
		match *self {
			Self::FedAvg { max_samples: 0 } => Err(Error::InvalidRule),
			Self::TrimmedMean { trim_ppm } if trim_ppm >= PPM / 2 => Err(Error::InvalidRule),
			_ => Ok(()),
		}
	}

	/// Values dropped at each end of a coordinate of `n` values (trimmed mean only; 0 otherwise).
	pub fn trimmed_per_side(&self, n: usize) -> usize {
		match *self {
			Self::TrimmedMean { trim_ppm } => {
				let k = (n as u128)
					.saturating_mul(u128::from(trim_ppm.min(PPM / 2 - 1)))
					.checked_div(u128::from(PPM))
					.unwrap_or(0);
				usize::try_from(k).unwrap_or(0)
			},
			_ => 0,
		}
	}
}

/// Converts a parameter to fixed point, rounding half away from zero and saturating at the `i64`
/// range. Exact and identical on every IEEE 754 machine.
pub fn to_fixed(x: f32) -> Result<i64, Error> {
	if !x.is_finite() {
		return Err(Error::NonFinite);
	}
	// f32 → f64 is exact, and so is the multiplication by 2^24 (53-bit mantissa).
	let y = f64::from(x) * SCALE;
	// `as` truncates toward zero and saturates.
	let t = y as i64;
	if y.abs() >= 9_007_199_254_740_992.0 {
		// |y| ≥ 2^53: y is already an integer (or beyond i64, saturated).
		return Ok(t);
	}
	// |t| < 2^53, so `t as f64` and the subtraction are exact.
	let frac = y - t as f64;
	Ok(if frac >= 0.5 {
		t.saturating_add(1)
	} else if frac <= -0.5 {
		t.saturating_sub(1)
	} else {
		t
	})
}

/// Converts a fixed-point parameter back to `f32` (correctly rounded).
pub fn from_fixed(v: i64) -> f32 {
	(v as f64 / SCALE) as f32
}

/// One named tensor of fixed-point values, row-major.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tensor {
	/// Name, e.g. `layer1.weight`.
	pub name: String,
	/// Dimensions.
	pub shape: Vec<u32>,
	/// `shape.iter().product()` values.
	pub values: Vec<i64>,
}

impl Tensor {
	/// A tensor, checking that `values` matches `shape`.
	pub fn new(name: String, shape: Vec<u32>, values: Vec<i64>) -> Result<Self, Error> {
		if element_count(&shape) != Some(values.len()) {
			return Err(Error::ShapeMismatch);
		}
		Ok(Self { name, shape, values })
	}

	/// A tensor from `f32` values (see [`to_fixed`]).
	pub fn from_f32(name: String, shape: Vec<u32>, values: &[f32]) -> Result<Self, Error> {
		let values = values.iter().map(|&x| to_fixed(x)).collect::<Result<Vec<_>, _>>()?;
		Self::new(name, shape, values)
	}

	/// The values as `f32`.
	pub fn to_f32(&self) -> Vec<f32> {
		self.values.iter().map(|&v| from_fixed(v)).collect()
	}
}

fn element_count(shape: &[u32]) -> Option<usize> {
	shape
		.iter()
		.try_fold(1usize, |acc, &d| acc.checked_mul(usize::try_from(d).ok()?))
}

/// A model: tensors sorted by name, names unique. The canonical form of parameters (and of
/// updates, which are models too) for hashing and aggregation.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Model {
	tensors: Vec<Tensor>,
}

impl Model {
	/// A model of `tensors` (in any order; duplicate names are rejected).
	pub fn new(mut tensors: Vec<Tensor>) -> Result<Self, Error> {
		tensors.sort_by(|a, b| a.name.cmp(&b.name));
		if tensors.windows(2).any(|w| matches!(w, [a, b] if a.name == b.name)) {
			return Err(Error::DuplicateTensor);
		}
		for t in &tensors {
			if element_count(&t.shape) != Some(t.values.len()) {
				return Err(Error::ShapeMismatch);
			}
		}
		Ok(Self { tensors })
	}

	/// The tensors, sorted by name.
	pub fn tensors(&self) -> &[Tensor] {
		&self.tensors
	}

	/// The tensor called `name`.
	pub fn tensor(&self, name: &str) -> Option<&Tensor> {
		self.tensors
			.binary_search_by(|t| t.name.as_str().cmp(name))
			.ok()
			.and_then(|i| self.tensors.get(i))
	}

	/// Number of parameters.
	pub fn len(&self) -> usize {
		self.tensors.iter().map(|t| t.values.len()).fold(0usize, usize::saturating_add)
	}

	/// Whether the model has no parameters.
	pub fn is_empty(&self) -> bool {
		self.len() == 0
	}

	/// Whether `other` has the same tensor names and shapes.
	pub fn same_layout(&self, other: &Model) -> bool {
		self.tensors.len() == other.tensors.len() &&
			self.tensors
				.iter()
				.zip(&other.tensors)
				.all(|(a, b)| a.name == b.name && a.shape == b.shape)
	}

	fn zip_with(&self, other: &Model, f: impl Fn(i64, i64) -> i64) -> Result<Model, Error> {
		if !self.same_layout(other) {
			return Err(Error::LayoutMismatch);
		}
		let tensors = self
			.tensors
			.iter()
			.zip(&other.tensors)
			.map(|(a, b)| Tensor {
				name: a.name.clone(),
				shape: a.shape.clone(),
				values: a.values.iter().zip(&b.values).map(|(&x, &y)| f(x, y)).collect(),
			})
			.collect();
		Ok(Model { tensors })
	}

	/// The parameter tensors: every tensor but the velocity ([`VELOCITY_PREFIX`]).
	pub fn params(&self) -> Model {
		Model { tensors: self.tensors.iter().filter(|t| !t.name.starts_with(VELOCITY_PREFIX)).cloned().collect() }
	}

	/// The velocity of each parameter tensor (named as the parameter); zeros where the model
	/// carries none.
	pub fn velocity(&self) -> Model {
		let tensors = self
			.tensors
			.iter()
			.filter(|t| !t.name.starts_with(VELOCITY_PREFIX))
			.map(|p| {
				match self.tensor(&velocity_name(&p.name)) {
					Some(v) if v.shape == p.shape => Tensor { name: p.name.clone(), shape: p.shape.clone(), values: v.values.clone() },
					_ => Tensor { name: p.name.clone(), shape: p.shape.clone(), values: alloc::vec![0; p.values.len()] },
				}
			})
			.collect();
		Model { tensors }
	}

	/// Whether the model carries velocity tensors.
	pub fn has_velocity(&self) -> bool {
		self.tensors.iter().any(|t| t.name.starts_with(VELOCITY_PREFIX))
	}

	/// `self − base` per parameter (saturating): the update of a local model.
	pub fn delta_from(&self, base: &Model) -> Result<Model, Error> {
		self.zip_with(base, i64::saturating_sub)
	}

	/// `self + delta` per parameter (saturating).
	pub fn apply(&self, delta: &Model) -> Result<Model, Error> {
		self.zip_with(delta, i64::saturating_add)
	}

	/// The canonical bytes: `MAGIC`, version, `FRAC_BITS`, tensor count, then per tensor (by
	/// name) the name's length and UTF-8 bytes, the rank and dimensions, and the values; all
	/// integers little-endian (`u32`, values `i64`).
	pub fn encode(&self) -> Vec<u8> {
		let mut out = Vec::with_capacity(self.len().saturating_mul(8).saturating_add(64));
		out.extend_from_slice(&MAGIC);
		out.extend_from_slice(&ENCODING_VERSION.to_le_bytes());
		out.extend_from_slice(&FRAC_BITS.to_le_bytes());
		out.extend_from_slice(&len_u32(self.tensors.len()).to_le_bytes());
		for t in &self.tensors {
			out.extend_from_slice(&len_u32(t.name.len()).to_le_bytes());
			out.extend_from_slice(t.name.as_bytes());
			out.extend_from_slice(&len_u32(t.shape.len()).to_le_bytes());
			for d in &t.shape {
				out.extend_from_slice(&d.to_le_bytes());
			}
			for v in &t.values {
				out.extend_from_slice(&v.to_le_bytes());
			}
		}
		out
	}

	/// Parses [`Model::encode`]'s bytes; rejects anything else, including non-canonical forms
	/// (unsorted or duplicate names, trailing bytes).
	pub fn decode(bytes: &[u8]) -> Result<Model, Error> {
		let mut r = Reader(bytes);
		if r.take(4)? != MAGIC.as_slice() ||
			r.u32()? != ENCODING_VERSION ||
			r.u32()? != FRAC_BITS
		{
			return Err(Error::Malformed);
		}
		let count = r.u32()?;
		let mut tensors = Vec::new();
		for _ in 0..count {
			let name_len = usize::try_from(r.u32()?).map_err(|_| Error::Malformed)?;
			let name = core::str::from_utf8(r.take(name_len)?).map_err(|_| Error::Malformed)?;
			let rank = r.u32()?;
			let shape = (0..rank).map(|_| r.u32()).collect::<Result<Vec<_>, _>>()?;
			let n = element_count(&shape).ok_or(Error::Malformed)?;
			let raw = r.take(n.checked_mul(8).ok_or(Error::Malformed)?)?;
			let values = raw
				.chunks_exact(8)
				.map(|c| <[u8; 8]>::try_from(c).map(i64::from_le_bytes).map_err(|_| Error::Malformed))
				.collect::<Result<Vec<_>, _>>()?;
			tensors.push(Tensor { name: name.into(), shape, values });
		}
		if !r.0.is_empty() {
			return Err(Error::Malformed);
		}
		if tensors.windows(2).any(|w| matches!(w, [a, b] if a.name >= b.name)) {
			return Err(Error::Malformed);
		}
		Ok(Model { tensors })
	}

	/// blake2b-256 of [`Model::encode`]: the hash that goes on chain.
	pub fn hash(&self) -> [u8; 32] {
		sp_crypto_hashing::blake2_256(&self.encode())
	}
}

fn len_u32(n: usize) -> u32 {
	u32::try_from(n).unwrap_or(u32::MAX)
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
	fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
		if self.0.len() < n {
			return Err(Error::Malformed);
		}
		let (head, tail) = self.0.split_at(n);
		self.0 = tail;
		Ok(head)
	}

	fn u32(&mut self) -> Result<u32, Error> {
		let b = self.take(4)?;
		<[u8; 4]>::try_from(b).map(u32::from_le_bytes).map_err(|_| Error::Malformed)
	}
}

/// One worker's update in a round.
#[derive(Clone, Copy, Debug)]
pub struct Contribution<'a> {
	/// Training samples the worker claims (FedAvg weight, capped).
	pub num_samples: u64,
	/// The update (local model − global model).
	pub update: &'a Model,
}

/// Combines one coordinate's `(value, samples)` pairs with `rule`; reorders `column`.
pub fn aggregate_column(rule: &AggregationRule, column: &mut [(i64, u64)]) -> Result<i64, Error> {
	if column.is_empty() {
		return Err(Error::NoUpdates);
	}
	match *rule {
		AggregationRule::FedAvg { max_samples } => {
			let mut num: i128 = 0;
			let mut den: i128 = 0;
			for &(v, samples) in column.iter() {
				let w = i128::from(samples.min(max_samples));
				num = w.checked_mul(i128::from(v)).and_then(|p| num.checked_add(p)).ok_or(Error::Overflow)?;
				den = den.checked_add(w).ok_or(Error::Overflow)?;
			}
			if den == 0 {
				return Err(Error::NoWeight);
			}
			narrow(num.div_euclid(den))
		},
		AggregationRule::TrimmedMean { .. } => {
			column.sort_unstable_by_key(|&(v, _)| v);
			let k = rule.trimmed_per_side(column.len());
			let end = column.len().saturating_sub(k);
			let kept = column.get(k..end).filter(|s| !s.is_empty()).ok_or(Error::InvalidRule)?;
			let mut sum: i128 = 0;
			for &(v, _) in kept {
				sum = sum.checked_add(i128::from(v)).ok_or(Error::Overflow)?;
			}
			narrow(sum.div_euclid(kept.len() as i128))
		},
		AggregationRule::Median => {
			column.sort_unstable_by_key(|&(v, _)| v);
			let mid = column.len() / 2;
			let upper = column.get(mid).map(|&(v, _)| v).ok_or(Error::NoUpdates)?;
			if column.len() % 2 == 1 {
				return Ok(upper);
			}
			let lower = column
				.get(mid.wrapping_sub(1))
				.map(|&(v, _)| v)
				.ok_or(Error::NoUpdates)?;
			narrow(
				i128::from(lower)
					.checked_add(i128::from(upper))
					.ok_or(Error::Overflow)?
					.div_euclid(2),
			)
		},
	}
}

fn narrow(v: i128) -> Result<i64, Error> {
	i64::try_from(v).map_err(|_| Error::Overflow)
}

/// Aggregates `updates` coordinate by coordinate with `rule`. The result does not depend on the
/// order of `updates`. All updates must share one layout.
pub fn aggregate(rule: &AggregationRule, updates: &[Contribution<'_>]) -> Result<Model, Error> {
	rule.validate()?;
	let first = updates.first().ok_or(Error::NoUpdates)?.update;
	if updates.iter().any(|c| !c.update.same_layout(first)) {
		return Err(Error::LayoutMismatch);
	}
	if matches!(rule, AggregationRule::FedAvg { .. }) &&
		updates.iter().all(|c| c.num_samples == 0)
	{
		return Err(Error::NoWeight);
	}
	let mut column = Vec::with_capacity(updates.len());
	let mut tensors = Vec::with_capacity(first.tensors.len());
	for (ti, t) in first.tensors.iter().enumerate() {
		let mut values = Vec::with_capacity(t.values.len());
		for j in 0..t.values.len() {
			column.clear();
			for c in updates {
				let v = c
					.update
					.tensors
					.get(ti)
					.and_then(|u| u.values.get(j))
					.copied()
					.ok_or(Error::LayoutMismatch)?;
				column.push((v, c.num_samples));
			}
			values.push(aggregate_column(rule, &mut column)?);
		}
		tensors.push(Tensor { name: t.name.clone(), shape: t.shape.clone(), values });
	}
	Ok(Model { tensors })
}

/// The next global model: `base + aggregate(rule, updates)` (without server momentum: a
/// velocity `base` carries is dropped). Its [`Model::hash`] is the
/// aggregate hash workers submit and the chain records as the global model's `params_hash`.
pub fn next_global(
	rule: &AggregationRule,
	base: &Model,
	updates: &[Contribution<'_>],
) -> Result<Model, Error> {
	next_global_with_momentum(rule, 0, base, updates)
}

/// The next global model with server momentum `momentum_ppm` (see the crate docs):
/// `v' = aggregate(rule, updates) + ⌊momentum·v⌋` (per parameter, rounded toward −∞, saturating)
/// and `params' = params + v'`, where `params` and `v` are `base`'s ([`Model::params`],
/// [`Model::velocity`]). The result carries `v'` as velocity tensors when `momentum_ppm > 0`
/// and none when it is 0 (then it equals [`next_global`]). Updates must have the layout of
/// `base`'s parameters. Fails with [`Error::InvalidRule`] when `momentum_ppm` exceeds
/// [`MAX_MOMENTUM_PPM`]. Like [`aggregate`], the result does not depend on the order of
/// `updates`.
pub fn next_global_with_momentum(
	rule: &AggregationRule,
	momentum_ppm: u32,
	base: &Model,
	updates: &[Contribution<'_>],
) -> Result<Model, Error> {
	rule.validate()?;
	if momentum_ppm > MAX_MOMENTUM_PPM {
		return Err(Error::InvalidRule);
	}
	let params = base.params();
	if updates.iter().any(|c| !c.update.same_layout(&params)) {
		return Err(Error::LayoutMismatch);
	}
	let step = aggregate(rule, updates)?;
	if momentum_ppm == 0 {
		return params.apply(&step);
	}
	let beta = i128::from(momentum_ppm);
	let carried = base.velocity().zip_with(&step, |v, d| {
		let kept = (i128::from(v).saturating_mul(beta)).div_euclid(i128::from(PPM));
		// |kept| ≤ |v| (β < 1), so it fits an i64.
		i64::try_from(kept).unwrap_or(if kept < 0 { i64::MIN } else { i64::MAX }).saturating_add(d)
	})?;
	let next = params.apply(&carried)?;
	let mut tensors = next.tensors;
	tensors.extend(carried.tensors.into_iter().map(|t| Tensor { name: velocity_name(&t.name), ..t }));
	Model::new(tensors)
}

/// The commit–reveal commitment: `blake2b-256(update_hash ‖ salt ‖ account)`, where `account` is
/// the SCALE encoding of the committing account (its 32 bytes for `AccountId32`). Binding the
/// account means a copied commitment can't be revealed by anyone else.
pub fn commitment(update_hash: &[u8; 32], salt: &[u8; 32], account: &[u8]) -> [u8; 32] {
	let mut buf = Vec::with_capacity(64usize.saturating_add(account.len()));
	buf.extend_from_slice(update_hash);
	buf.extend_from_slice(salt);
	buf.extend_from_slice(account);
	sp_crypto_hashing::blake2_256(&buf)
}

/// Votes needed out of `participants` for a quorum: `⌈2·participants / 3⌉` (at least 1).
pub fn quorum_threshold(participants: u32) -> u32 {
	let p = u64::from(participants);
	let t = (p.saturating_mul(2).saturating_add(2)) / 3;
	u32::try_from(t).unwrap_or(u32::MAX).max(1)
}

/// Whether `votes` out of `participants` reach the ≥ 2/3 quorum.
pub fn quorum_reached(votes: u32, participants: u32) -> bool {
	participants > 0 && votes >= quorum_threshold(participants)
}
