//! A dependency-light PNG chart of per-round metrics: one panel per metric, one coloured line
//! per series, each panel scaled from 0 to its largest value, a grid line at every fifth of the
//! range and a tick per round. No text is drawn; the caller prints the legend.

use anyhow::{Context, Result};
use std::path::Path;

/// Panel size in pixels.
const W: usize = 420;
const H: usize = 300;
const MARGIN: usize = 24;

/// A line: values per round and its colour.
pub struct Series<'a> {
	/// Values by round.
	pub values: &'a [f64],
	/// RGB colour.
	pub color: [u8; 3],
}

struct Canvas {
	width: usize,
	height: usize,
	rgb: Vec<u8>,
}

impl Canvas {
	fn new(width: usize, height: usize) -> Canvas {
		Canvas { width, height, rgb: vec![255; width * height * 3] }
	}

	fn set(&mut self, x: i64, y: i64, c: [u8; 3]) {
		if x < 0 || y < 0 || x as usize >= self.width || y as usize >= self.height {
			return;
		}
		let i = (y as usize * self.width + x as usize) * 3;
		if let Some(px) = self.rgb.get_mut(i..i + 3) {
			px.copy_from_slice(&c);
		}
	}

	fn line(&mut self, (mut x0, mut y0): (i64, i64), (x1, y1): (i64, i64), c: [u8; 3]) {
		let (dx, dy) = ((x1 - x0).abs(), -(y1 - y0).abs());
		let (sx, sy) = (if x0 < x1 { 1 } else { -1 }, if y0 < y1 { 1 } else { -1 });
		let mut err = dx + dy;
		loop {
			self.set(x0, y0, c);
			if x0 == x1 && y0 == y1 {
				break;
			}
			let e2 = 2 * err;
			if e2 >= dy {
				err += dy;
				x0 += sx;
			}
			if e2 <= dx {
				err += dx;
				y0 += sy;
			}
		}
	}
}

/// Writes `panels` (each a list of series over the same rounds) side by side to `path`.
pub fn write_png(path: &Path, panels: &[Vec<Series<'_>>]) -> Result<()> {
	let mut canvas = Canvas::new(W * panels.len().max(1), H);
	for (p, series) in panels.iter().enumerate() {
		let x0 = (p * W + MARGIN) as i64;
		let (x1, y0, y1) = ((p * W + W - MARGIN) as i64, (H - MARGIN) as i64, MARGIN as i64);
		let max = series.iter().flat_map(|s| s.values.iter().copied()).filter(|v| v.is_finite()).fold(0.0, f64::max);
		let max = if max > 0.0 { max } else { 1.0 };
		let rounds = series.iter().map(|s| s.values.len()).max().unwrap_or(0).max(2);
		let grey = [220, 220, 220];
		for k in 1..=5 {
			let y = y0 - (y0 - y1) * k / 5;
			canvas.line((x0, y), (x1, y), grey);
		}
		canvas.line((x0, y0), (x1, y0), [0, 0, 0]);
		canvas.line((x0, y0), (x0, y1), [0, 0, 0]);
		let px = |r: usize| x0 + (x1 - x0) * r as i64 / (rounds as i64 - 1);
		for r in 0..rounds {
			canvas.line((px(r), y0), (px(r), y0 + 4), [0, 0, 0]);
		}
		for s in series {
			let py = |v: f64| y0 - ((y0 - y1) as f64 * (v.max(0.0) / max).min(1.0)) as i64;
			let pts: Vec<(i64, i64)> = s.values.iter().enumerate().map(|(r, v)| (px(r), py(*v))).collect();
			for w in pts.windows(2) {
				if let [a, b] = w {
					canvas.line(*a, *b, s.color);
					canvas.line((a.0, a.1 + 1), (b.0, b.1 + 1), s.color);
				}
			}
			for &(x, y) in &pts {
				for d in -2..=2 {
					canvas.line((x - 2, y + d), (x + 2, y + d), s.color);
				}
			}
		}
	}
	let file = std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
	let mut enc = png::Encoder::new(std::io::BufWriter::new(file), canvas.width as u32, canvas.height as u32);
	enc.set_color(png::ColorType::Rgb);
	enc.set_depth(png::BitDepth::Eight);
	enc.write_header()?.write_image_data(&canvas.rgb)?;
	Ok(())
}
