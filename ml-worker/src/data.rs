//! Datasets of scenarios with their optimal dispatch (the dispatch crate's
//! [`Solved`](gridbrain_dispatch::compare::Solved)), as tensors, and the quality metrics of a
//! predictor under the line-safe repair.

use anyhow::Result;
use candle_core::{Device, Tensor};
use gridbrain_dispatch::{compare, Grid};

/// Scenarios with their model inputs, optimal positions between the generator limits and
/// optimal costs.
pub type Dataset = compare::Solved;

/// A dataset's inputs and targets as tensors.
pub trait ToTensors {
	/// `(x, y)` of shapes `(n, features)` and `(n, generators)`.
	fn tensors(&self, device: &Device) -> Result<(Tensor, Tensor)>;
}

impl ToTensors for Dataset {
	fn tensors(&self, device: &Device) -> Result<(Tensor, Tensor)> {
		let n = self.len();
		let fx = self.x.first().map_or(0, Vec::len);
		let fy = self.y.first().map_or(0, Vec::len);
		let x = Tensor::from_vec(self.x.concat(), (n, fx), device)?;
		let y = Tensor::from_vec(self.y.concat(), (n, fy), device)?;
		Ok((x, y))
	}
}

/// Quality of a predictor on a dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
	/// Scenarios evaluated.
	pub n: usize,
	/// Mean of (cost after repair − optimum) / optimum. Every repaired dispatch is checked
	/// feasible (the repair falls back to the solver otherwise), and a gap is never averaged
	/// over a dispatch that violates a limit.
	pub mean_gap: f64,
	/// Largest such gap.
	pub worst_gap: f64,
	/// Share of scenarios violating a limit (balance, generator or branch) by more than
	/// [`TOLERANCE_MW`] before repair.
	pub infeasible_before: f64,
	/// The same after repair (0 unless the repair is broken: it is checked, not assumed).
	pub infeasible_after: f64,
	/// Share of scenarios whose repair failed its certificate and took the solver's optimum.
	pub fallback: f64,
}

/// Violation tolerance, MW.
pub const TOLERANCE_MW: f64 = 0.01;

impl std::fmt::Display for Metrics {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(
			f,
			"mean gap {:.3} %, worst gap {:.3} %, infeasible before repair {:.1} %, after {:.1} %, fallback {:.1} % ({} scenarios)",
			100.0 * self.mean_gap,
			100.0 * self.worst_gap,
			100.0 * self.infeasible_before,
			100.0 * self.infeasible_after,
			100.0 * self.fallback,
			self.n
		)
	}
}

/// Evaluates `predict` (inputs → positions between the limits) on `data`, with the
/// line-safe repair.
pub fn evaluate(grid: &Grid, data: &Dataset, mut predict: impl FnMut(&[f32]) -> Result<Vec<f32>>) -> Result<Metrics> {
	let start = std::time::Instant::now();
	let rows: Vec<Vec<f32>> = data.x.iter().map(|x| predict(x)).collect::<Result<_>>()?;
	let e = compare::evaluate(grid, data, &rows, start.elapsed().as_secs_f64(), None)?;
	let before = data
		.scenarios
		.iter()
		.zip(&rows)
		.filter(|(s, row)| {
			!grid.problem.violation(&grid.setpoints(row, s), &s.loads_mw, &s.pmax_mw).within(TOLERANCE_MW)
		})
		.count();
	Ok(Metrics {
		n: e.n,
		mean_gap: e.mean_gap,
		worst_gap: e.worst_gap,
		infeasible_before: before as f64 / data.len().max(1) as f64,
		infeasible_after: e.infeasible_after,
		fallback: e.fallback,
	})
}
