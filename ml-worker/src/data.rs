//! Datasets of scenarios with their optimal dispatch, and the quality metrics of a predictor.

use anyhow::Result;
use candle_core::{Device, Tensor};
use gridbrain_dispatch::{network::invert, Grid, Profiles, Scenario, WarmStart};
use std::io::Write;

/// Scenarios with their model inputs, optimal capacity fractions and optimal costs.
#[derive(Clone, Debug, Default)]
pub struct Dataset {
	/// The scenarios.
	pub scenarios: Vec<Scenario>,
	/// Model inputs.
	pub x: Vec<Vec<f32>>,
	/// Optimal set-point / available capacity per generator.
	pub y: Vec<Vec<f32>>,
	/// Optimal cost, $/h.
	pub cost: Vec<f64>,
	/// Seconds spent in the LP/QP solver.
	pub solve_seconds: f64,
}

impl Dataset {
	/// Solves the scenarios of `hours` (printing progress to stderr when `progress`).
	pub fn build(grid: &Grid, profiles: &Profiles, hours: &[usize], progress: bool) -> Result<Dataset> {
		let mut d = Dataset::default();
		let start = std::time::Instant::now();
		let mut warm = WarmStart::default();
		for (k, &h) in hours.iter().enumerate() {
			let Some(s) = grid.scenario(profiles, h) else { continue };
			let opt = grid.problem.solve_warm(&s.loads_mw, &s.pmax_mw, &mut warm)?;
			d.x.push(grid.features(&s));
			d.y.push(
				opt.pg_mw
					.iter()
					.zip(&s.pmax_mw)
					.map(|(p, m)| if *m > 1e-9 { (p / m).clamp(0.0, 1.0) as f32 } else { 0.0 })
					.collect(),
			);
			d.cost.push(opt.cost);
			d.scenarios.push(s);
			if progress && (k + 1) % 500 == 0 {
				eprint!("\r  solved {}/{} scenarios", k + 1, hours.len());
				let _ = std::io::stderr().flush();
			}
		}
		d.solve_seconds = start.elapsed().as_secs_f64();
		if progress && hours.len() >= 500 {
			eprintln!("\r  solved {} scenarios in {:.1} s", hours.len(), d.solve_seconds);
		}
		Ok(d)
	}

	/// Number of samples.
	pub fn len(&self) -> usize {
		self.x.len()
	}

	/// Whether empty.
	pub fn is_empty(&self) -> bool {
		self.x.is_empty()
	}

	/// Inputs and targets as tensors.
	pub fn tensors(&self, device: &Device) -> Result<(Tensor, Tensor)> {
		let n = self.len();
		let fx = self.x.first().map_or(0, Vec::len);
		let fy = self.y.first().map_or(0, Vec::len);
		let x = Tensor::from_vec(self.x.concat(), (n, fx), device)?;
		let y = Tensor::from_vec(self.y.concat(), (n, fy), device)?;
		Ok((x, y))
	}

	/// Concatenation of datasets.
	pub fn concat(parts: &[Dataset]) -> Dataset {
		let mut d = Dataset::default();
		for p in parts {
			d.scenarios.extend(p.scenarios.iter().cloned());
			d.x.extend(p.x.iter().cloned());
			d.y.extend(p.y.iter().cloned());
			d.cost.extend(p.cost.iter().copied());
			d.solve_seconds += p.solve_seconds;
		}
		d
	}
}

/// Quality of a predictor on a dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Metrics {
	/// Scenarios evaluated.
	pub n: usize,
	/// Mean of (cost after repair − optimum) / optimum. Every repaired dispatch is feasible
	/// (the repair falls back to the solver otherwise), so no gap is averaged over a dispatch
	/// that violates a limit.
	pub mean_gap: f64,
	/// Largest such gap.
	pub worst_gap: f64,
	/// Share of scenarios violating a limit by more than [`TOLERANCE_MW`] before repair.
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

/// Set-points (MW) from predicted capacity fractions and the available capacities.
pub fn setpoints(fractions: &[f32], pmax_mw: &[f64]) -> Vec<f64> {
	fractions.iter().zip(pmax_mw).map(|(f, m)| f64::from(*f) * m).collect()
}

/// Evaluates `predict` (inputs → capacity fractions) on `data`, with the line-safe repair.
pub fn evaluate(grid: &Grid, data: &Dataset, mut predict: impl FnMut(&[f32]) -> Result<Vec<f32>>) -> Result<Metrics> {
	let mut m = Metrics { n: data.len(), ..Default::default() };
	if data.is_empty() {
		return Ok(m);
	}
	let (mut gaps, mut before, mut after, mut fallback) = (0.0, 0usize, 0usize, 0usize);
	let mut warm = WarmStart::default();
	for ((s, x), &opt) in data.scenarios.iter().zip(&data.x).zip(&data.cost) {
		let frac = predict(x)?;
		let pg = setpoints(&frac, &s.pmax_mw);
		if !grid.problem.violation(&pg, &s.loads_mw, &s.pmax_mw).within(TOLERANCE_MW) {
			before += 1;
		}
		let repaired = grid.problem.repair(&pg, &s.loads_mw, &s.pmax_mw, &mut warm)?;
		if repaired.fallback {
			fallback += 1;
		}
		if !grid.problem.violation(&repaired.pg_mw, &s.loads_mw, &s.pmax_mw).within(TOLERANCE_MW) {
			after += 1;
			continue;
		}
		let gap = (grid.problem.cost(&repaired.pg_mw) - opt) / opt.abs().max(1e-9);
		gaps += gap;
		m.worst_gap = m.worst_gap.max(gap);
	}
	let n = data.len() as f64;
	m.mean_gap = gaps / (data.len() - after).max(1) as f64;
	m.infeasible_before = before as f64 / n;
	m.infeasible_after = after as f64 / n;
	m.fallback = fallback as f64 / n;
	Ok(m)
}

/// The linear baseline: ridge least squares from inputs (plus a constant) to capacity
/// fractions, clipped to `[0, 1]`.
#[derive(Clone, Debug)]
pub struct LinearBaseline {
	/// `w[o]` has one weight per input and the intercept last.
	pub w: Vec<Vec<f64>>,
}

impl LinearBaseline {
	/// Fits on `data` with ridge penalty `lambda`.
	pub fn fit(data: &Dataset, lambda: f64) -> Result<LinearBaseline> {
		let f = data.x.first().map_or(0, Vec::len) + 1;
		let o = data.y.first().map_or(0, Vec::len);
		let mut xtx = vec![vec![0.0f64; f]; f];
		let mut xty = vec![vec![0.0f64; o]; f];
		for (x, y) in data.x.iter().zip(&data.y) {
			let row: Vec<f64> = x.iter().map(|v| f64::from(*v)).chain([1.0]).collect();
			for i in 0..f {
				for j in 0..f {
					xtx[i][j] += row[i] * row[j];
				}
				for k in 0..o {
					xty[i][k] += row[i] * f64::from(y[k]);
				}
			}
		}
		for (i, r) in xtx.iter_mut().enumerate() {
			r[i] += lambda;
		}
		let inv = invert(xtx).ok_or_else(|| anyhow::Error::msg("singular normal equations"))?;
		let w = (0..o)
			.map(|k| (0..f).map(|i| (0..f).map(|j| inv[i][j] * xty[j][k]).sum()).collect())
			.collect();
		Ok(LinearBaseline { w })
	}

	/// Capacity fractions for one input row.
	pub fn predict(&self, x: &[f32]) -> Vec<f32> {
		self.w
			.iter()
			.map(|w| {
				let v: f64 = x.iter().map(|v| f64::from(*v)).chain([1.0]).zip(w).map(|(a, b)| a * b).sum();
				v.clamp(0.0, 1.0) as f32
			})
			.collect()
	}
}
