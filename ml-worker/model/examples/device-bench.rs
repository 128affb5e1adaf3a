//! Throughput of the dispatch model on the CPU and, built with `--features cuda` on a machine
//! with a GPU, on CUDA device 0, in one run: training samples/s (AdamW mini-batches, as the
//! worker trains) and batched inference scenarios/s (the forward pass alone: the line-safe
//! repair runs on the CPU either way).
//!
//! ```sh
//! cargo run --release -p gridbrain-model --example device-bench -- [pglib300|pglib1354 ...]
//! cargo run --release -p gridbrain-model --features cuda --example device-bench   # needs nvcc
//! ```
//!
//! Inputs are the grid's real features for every hour of the shipped 2016 profiles; the targets
//! are a constant (throughput does not depend on the values). The network is the worker's
//! (`DispatchNet`), sized for the grid. Prints one markdown table with GPU/CPU ratios.

use anyhow::Result;
use candle_core::{Device, Tensor};
use gridbrain_dispatch::{Grid, Profiles};
use gridbrain_model::DispatchNet;
use std::time::Instant;

/// Training epochs timed per device and batch size (after one warm-up epoch).
const EPOCHS: usize = 3;
/// Training mini-batch sizes: the worker's default, then a large one.
const TRAIN_BATCHES: [usize; 2] = [64, 1024];
/// Inference batch sizes.
const INFER_BATCHES: [usize; 4] = [1, 64, 1024, 8784];
/// Each inference figure is timed over at least this long.
const MIN_SECONDS: f64 = 0.5;

struct Row {
	what: String,
	cpu: f64,
	gpu: Option<f64>,
}

fn main() -> Result<()> {
	let names: Vec<String> = std::env::args().skip(1).collect();
	let names = if names.is_empty() { vec!["pglib300".to_string(), "pglib1354".to_string()] } else { names };
	let cpu = Device::Cpu;
	let gpu = match Device::cuda_if_available(0) {
		Ok(d @ Device::Cuda(_)) => Some(d),
		_ => {
			eprintln!("no CUDA device (built without `--features cuda`, or no GPU): CPU figures only");
			None
		},
	};
	println!(
		"CPU threads: {}; GPU: {}",
		std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
		if gpu.is_some() { "CUDA device 0" } else { "none" }
	);
	let profiles = Profiles::shipped();
	let mut rows = Vec::new();
	for name in &names {
		let grid = match name.as_str() {
			"ieee14" => Grid::ieee14(),
			"pglib118" => Grid::pglib118(),
			"pglib300" => Grid::pglib300(),
			"pglib1354" => Grid::pglib1354(),
			other => anyhow::bail!("unknown grid {other} (ieee14, pglib118, pglib300, pglib1354)"),
		}
		.map_err(|e| anyhow::Error::msg(format!("{name}: {e:?}")))?;
		let (f, g) = (grid.feature_count(), grid.problem.gen_count());
		let mut features = Vec::with_capacity(profiles.hours.len() * f);
		for h in 0..profiles.hours.len() {
			let s = grid.scenario(&profiles, h).ok_or_else(|| anyhow::Error::msg("hour out of range"))?;
			features.extend(grid.features(&s));
		}
		let n = profiles.hours.len();
		eprintln!("{name}: {n} scenarios, {f} features, {g} generators");
		let targets = vec![0.5f32; n * g];
		for &batch in &TRAIN_BATCHES {
			let cpu_rate = train_rate(&cpu, &features, &targets, n, f, g, batch)?;
			let gpu_rate = gpu.as_ref().map(|d| train_rate(d, &features, &targets, n, f, g, batch)).transpose()?;
			rows.push(Row { what: format!("{name}: training, batch {batch} (samples/s)"), cpu: cpu_rate, gpu: gpu_rate });
		}
		for &batch in &INFER_BATCHES {
			let cpu_rate = infer_rate(&cpu, &features, n, f, g, batch)?;
			let gpu_rate = gpu.as_ref().map(|d| infer_rate(d, &features, n, f, g, batch)).transpose()?;
			rows.push(Row { what: format!("{name}: inference, batch {batch} (scenarios/s)"), cpu: cpu_rate, gpu: gpu_rate });
		}
	}
	println!("| what | CPU | GPU | GPU / CPU |");
	println!("|---|---|---|---|");
	for r in rows {
		match r.gpu {
			Some(g) => println!("| {} | {:.0} | {:.0} | {:.2} |", r.what, r.cpu, g, g / r.cpu),
			None => println!("| {} | {:.0} | - | - |", r.what, r.cpu),
		}
	}
	Ok(())
}

/// Training samples per second on `device`: `EPOCHS` epochs after one warm-up epoch.
fn train_rate(device: &Device, features: &[f32], targets: &[f32], n: usize, f: usize, g: usize, batch: usize) -> Result<f64> {
	let x = Tensor::from_slice(features, (n, f), device)?;
	let y = Tensor::from_slice(targets, (n, g), device)?;
	let mut net = DispatchNet::new(f, g, 7, device)?;
	net.train(&x, &y, 1, batch, 1e-3, 1)?;
	let start = Instant::now();
	// `train` reads each mini-batch's loss back to the host: the device is synchronized.
	net.train(&x, &y, EPOCHS, batch, 1e-3, 2)?;
	Ok((EPOCHS * n) as f64 / start.elapsed().as_secs_f64())
}

/// Inference scenarios per second on `device`: `batch` rows copied from the host, the forward
/// pass, the positions read back to the host (as the repair needs them), repeated for at least
/// `MIN_SECONDS`.
fn infer_rate(device: &Device, features: &[f32], n: usize, f: usize, g: usize, batch: usize) -> Result<f64> {
	let net = DispatchNet::new(f, g, 7, device)?;
	let batch = batch.min(n);
	let rows = &features[..batch * f];
	// Warm-up (kernel loading, allocator).
	let _ = net.forward(&Tensor::from_slice(rows, (batch, f), device)?)?.to_vec2::<f32>()?;
	let start = Instant::now();
	let mut done = 0usize;
	while start.elapsed().as_secs_f64() < MIN_SECONDS {
		let out = net.forward(&Tensor::from_slice(rows, (batch, f), device)?)?.to_vec2::<f32>()?;
		done += out.len();
	}
	Ok(done as f64 / start.elapsed().as_secs_f64())
}
