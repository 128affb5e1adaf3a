//! The maths of the **agreed dispatch** (the Dispatch pallet and the ml-worker): the
//! coordinate-wise median of the participants' plans, the conversion of a sealed energy data
//! block's per-zone totals into the power the grid map puts at a bus, and the realised
//! imbalance of a plan against those totals.
//!
//! Units: every power is an `i64` in **kW** (fixed-point MW with three decimals); a load is
//! positive, a net injection (more produced than consumed) negative.
//!
//! ## Why the lower median
//!
//! Of `q` submissions, the median this module takes is the `⌊(q−1)/2⌋`-th smallest value of each
//! coordinate: always one of the submitted values (no rounding), and inside the range of the
//! honest values whenever fewer than half of the `q` submissions are adversarial. The chain takes
//! it once `q ≥ ⌈2n/3⌉` of `n` participants submitted; with fewer than `n/3` adversarial
//! participants, fewer than half of any such `q` are adversarial, so no coalition below the
//! chain's fault bound can move any coordinate outside what honest participants proposed.

use crate::Error;
use alloc::vec::Vec;

/// The coordinate-wise lower median of `rows` (all of one length): coordinate `j` of the result
/// is the `⌊(q−1)/2⌋`-th smallest of the `q` rows' `j`-th values. Independent of the rows' order.
pub fn coordinate_median(rows: &[&[i64]]) -> Result<Vec<i64>, Error> {
	let first = rows.first().ok_or(Error::NoUpdates)?;
	if rows.iter().any(|r| r.len() != first.len()) {
		return Err(Error::LayoutMismatch);
	}
	let k = (rows.len().saturating_sub(1)) / 2;
	let mut column = Vec::with_capacity(rows.len());
	let mut out = Vec::with_capacity(first.len());
	for j in 0..first.len() {
		column.clear();
		for r in rows {
			column.push(r.get(j).copied().ok_or(Error::LayoutMismatch)?);
		}
		let (_, kth, _) = column.select_nth_unstable(k);
		out.push(*kth);
	}
	Ok(out)
}

/// The average net load, in kW at the mapped bus, of a zone that consumed `consumed_wh` and
/// produced `produced_wh` over an interval of `interval_seconds`, where every metered watt
/// stands for `scale` watts at the bus: `(consumed − produced) · 3600 / interval_seconds ·
/// scale / 1000`, rounded toward −∞. `None` when `interval_seconds` is 0 or the result does not
/// fit an `i64` (neither happens with the runtime's bounds: readings are at most `u64::MAX`
/// Wh, the product is computed in `i128`).
pub fn zone_net_kw(
	produced_wh: u64,
	consumed_wh: u64,
	interval_seconds: u32,
	scale: u32,
) -> Option<i64> {
	if interval_seconds == 0 {
		return None;
	}
	let net_wh = i128::from(consumed_wh).checked_sub(i128::from(produced_wh))?;
	let w_at_bus = net_wh.checked_mul(3_600)?.checked_mul(i128::from(scale))?;
	let kw = w_at_bus.div_euclid(i128::from(interval_seconds).checked_mul(1_000)?);
	i64::try_from(kw).ok()
}

/// How far a plan's forecast was from what was metered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imbalance {
	/// Per mapped zone, `actual − forecast` in kW (positive: more net load than planned, which
	/// the grid had to cover by redispatch).
	pub per_zone_kw: Vec<i64>,
	/// `Σ (actual − forecast)`: the net energy the plan missed, as average power.
	pub net_kw: i64,
	/// `Σ |actual − forecast|`: the redispatch the plan needed zone by zone.
	pub absolute_kw: u64,
}

/// The realised imbalance of `forecast_kw` against `actual_kw` (one value per mapped zone, in
/// the same order). Saturates rather than fails: an absurd forecast still gets a (huge) record.
pub fn realised_imbalance(forecast_kw: &[i64], actual_kw: &[i64]) -> Result<Imbalance, Error> {
	if forecast_kw.len() != actual_kw.len() {
		return Err(Error::LayoutMismatch);
	}
	let mut per_zone_kw = Vec::with_capacity(actual_kw.len());
	let mut net_kw: i64 = 0;
	let mut absolute_kw: u64 = 0;
	for (f, a) in forecast_kw.iter().zip(actual_kw) {
		let d = a.saturating_sub(*f);
		per_zone_kw.push(d);
		net_kw = net_kw.saturating_add(d);
		absolute_kw = absolute_kw.saturating_add(d.unsigned_abs());
	}
	Ok(Imbalance {
		per_zone_kw,
		net_kw,
		absolute_kw,
	})
}
