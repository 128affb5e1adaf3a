//! Non-neural baselines from an interval's features to each generator's position between its
//! limits (0 = `Pmin`, 1 = `Pmax`, see [`crate::Grid::fractions`]): ridge regression and
//! k-nearest neighbours. Both are deterministic and dependency-free.

use crate::Error;

/// Ridge regression on standardized features, one linear map per output, clipped to `[0, 1]`.
#[derive(Clone, Debug)]
pub struct Ridge {
	mean: Vec<f64>,
	scale: Vec<f64>,
	/// `w[o]`: one weight per feature, then the intercept.
	w: Vec<Vec<f64>>,
}

/// Per-feature mean and standard deviation (1 where a feature is constant).
fn standardize(x: &[Vec<f32>]) -> (Vec<f64>, Vec<f64>) {
	let f = x.first().map_or(0, Vec::len);
	let n = x.len().max(1) as f64;
	let mut mean = vec![0.0; f];
	for row in x {
		for (m, v) in mean.iter_mut().zip(row) {
			*m += f64::from(*v) / n;
		}
	}
	let mut var = vec![0.0; f];
	for row in x {
		for ((s, v), m) in var.iter_mut().zip(row).zip(&mean) {
			*s += (f64::from(*v) - m).powi(2) / n;
		}
	}
	let scale = var.iter().map(|v| if *v > 1e-18 { v.sqrt() } else { 1.0 }).collect();
	(mean, scale)
}

fn check_shapes(x: &[Vec<f32>], y: &[Vec<f32>]) -> Result<(usize, usize), Error> {
	let f = x.first().map_or(0, Vec::len);
	let o = y.first().map_or(0, Vec::len);
	if x.is_empty() || x.len() != y.len() || x.iter().any(|r| r.len() != f) || y.iter().any(|r| r.len() != o) {
		return Err(Error::Input(format!("{} inputs and {} targets of uneven lengths", x.len(), y.len())));
	}
	Ok((f, o))
}

/// Solves `A X = B` for symmetric positive definite `A` (row-major `n × n`) by Cholesky, with
/// `B` given as columns. `None` when `A` is not positive definite.
pub(crate) fn cholesky_solve(mut a: Vec<f64>, n: usize, b: &mut [Vec<f64>]) -> Option<()> {
	for j in 0..n {
		let mut d = *a.get(j * n + j)?;
		for k in 0..j {
			d -= a.get(j * n + k)?.powi(2);
		}
		if d.is_nan() || d <= 0.0 {
			return None;
		}
		let d = d.sqrt();
		*a.get_mut(j * n + j)? = d;
		for i in j + 1..n {
			let mut s = *a.get(i * n + j)?;
			for k in 0..j {
				s -= a.get(i * n + k)? * a.get(j * n + k)?;
			}
			*a.get_mut(i * n + j)? = s / d;
		}
	}
	for col in b.iter_mut() {
		// L z = b, then Lᵀ x = z.
		for i in 0..n {
			let mut s = *col.get(i)?;
			for k in 0..i {
				s -= a.get(i * n + k)? * col.get(k)?;
			}
			*col.get_mut(i)? = s / a.get(i * n + i)?;
		}
		for i in (0..n).rev() {
			let mut s = *col.get(i)?;
			for k in i + 1..n {
				s -= a.get(k * n + i)? * col.get(k)?;
			}
			*col.get_mut(i)? = s / a.get(i * n + i)?;
		}
	}
	Some(())
}

impl Ridge {
	/// Fits `y ≈ W·[standardized x, 1]` with penalty `lambda` (per sample) on the weights.
	pub fn fit(x: &[Vec<f32>], y: &[Vec<f32>], lambda: f64) -> Result<Ridge, Error> {
		let (f, o) = check_shapes(x, y)?;
		let (mean, scale) = standardize(x);
		let d = f + 1;
		let mut xtx = vec![0.0; d * d];
		let mut xty = vec![vec![0.0; d]; o];
		let mut row = vec![0.0; d];
		for (xr, yr) in x.iter().zip(y) {
			for (k, r) in row.iter_mut().enumerate() {
				*r = match (xr.get(k), mean.get(k), scale.get(k)) {
					(Some(v), Some(m), Some(s)) => (f64::from(*v) - m) / s,
					_ => 1.0,
				};
			}
			for (i, ri) in row.iter().enumerate() {
				if *ri == 0.0 {
					continue;
				}
				if let Some(line) = xtx.get_mut(i * d..i * d + i + 1) {
					for (a, rj) in line.iter_mut().zip(&row) {
						*a += ri * rj;
					}
				}
			}
			for (col, yv) in xty.iter_mut().zip(yr) {
				let yv = f64::from(*yv);
				for (c, r) in col.iter_mut().zip(&row) {
					*c += r * yv;
				}
			}
		}
		let n = x.len() as f64;
		for i in 0..d {
			for j in 0..i {
				let v = xtx.get(i * d + j).copied().unwrap_or(0.0);
				if let Some(t) = xtx.get_mut(j * d + i) {
					*t = v;
				}
			}
			// No penalty on the intercept.
			if i < f {
				if let Some(v) = xtx.get_mut(i * d + i) {
					*v += lambda * n;
				}
			}
		}
		cholesky_solve(xtx, d, &mut xty).ok_or_else(|| Error::Solver("ridge normal equations not positive definite".into()))?;
		Ok(Ridge { mean, scale, w: xty })
	}

	/// Prediction for one input row, clipped to `[0, 1]`.
	pub fn predict(&self, x: &[f32]) -> Vec<f32> {
		let z: Vec<f64> =
			x.iter().zip(self.mean.iter().zip(&self.scale)).map(|(v, (m, s))| (f64::from(*v) - m) / s).collect();
		self.w
			.iter()
			.map(|w| {
				let v: f64 = z.iter().zip(w).map(|(a, b)| a * b).sum::<f64>() + w.get(z.len()).copied().unwrap_or(0.0);
				v.clamp(0.0, 1.0) as f32
			})
			.collect()
	}
}

/// k-nearest neighbours (Euclidean on standardized features): the mean target of the `k`
/// closest training rows.
#[derive(Clone, Debug)]
pub struct Knn {
	k: usize,
	mean: Vec<f64>,
	scale: Vec<f64>,
	x: Vec<Vec<f32>>,
	y: Vec<Vec<f32>>,
}

impl Knn {
	/// Keeps the standardized training set.
	pub fn fit(x: &[Vec<f32>], y: &[Vec<f32>], k: usize) -> Result<Knn, Error> {
		check_shapes(x, y)?;
		if k == 0 {
			return Err(Error::Input("k must be at least 1".into()));
		}
		let (mean, scale) = standardize(x);
		let x = x.iter().map(|r| Self::z(&mean, &scale, r)).collect();
		Ok(Knn { k, mean, scale, x, y: y.to_vec() })
	}

	fn z(mean: &[f64], scale: &[f64], r: &[f32]) -> Vec<f32> {
		r.iter().zip(mean.iter().zip(scale)).map(|(v, (m, s))| ((f64::from(*v) - m) / s) as f32).collect()
	}

	/// Prediction for one input row.
	pub fn predict(&self, x: &[f32]) -> Vec<f32> {
		let z = Self::z(&self.mean, &self.scale, x);
		let mut d: Vec<(f32, usize)> = self
			.x
			.iter()
			.enumerate()
			.map(|(i, r)| (r.iter().zip(&z).map(|(a, b)| (a - b) * (a - b)).sum::<f32>(), i))
			.collect();
		let k = self.k.min(d.len());
		if k == 0 {
			return Vec::new();
		}
		d.select_nth_unstable_by(k - 1, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
		let o = self.y.first().map_or(0, Vec::len);
		let mut out = vec![0.0f32; o];
		for (_, i) in d.iter().take(k) {
			if let Some(y) = self.y.get(*i) {
				for (a, v) in out.iter_mut().zip(y) {
					*a += v / k as f32;
				}
			}
		}
		out
	}
}
