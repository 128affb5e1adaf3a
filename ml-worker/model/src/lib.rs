//! # gridbrain-model
//!
//! The dispatch model: an MLP with a linear skip path from an interval's state to each
//! generator's position between its limits (0 = `Pmin`, 1 = the available `Pmax`; sigmoid
//! outputs, so generator limits hold by construction; the power balance and the branch ratings
//! are restored by the line-safe repair of `gridbrain-dispatch`).
//!
//! `examples/device-bench.rs` measures its training and inference throughput on the CPU and,
//! built with `--features cuda`, on a GPU.

use anyhow::{Context, Result};
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{linear, AdamW, Linear, Module, Optimizer, ParamsAdamW, VarBuilder, VarMap};
use gridbrain_aggregation as agg;

/// Hidden units per layer.
pub const HIDDEN: usize = 64;

/// A small deterministic PRNG (SplitMix64) for initialization and shuffling, so the same seed
/// gives the same model and the same update bytes on every CPU.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
	/// A generator seeded with `seed`.
	pub fn new(seed: u64) -> Rng {
		Rng(seed)
	}

	/// The next 64 random bits.
	pub fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
		z ^ (z >> 31)
	}

	/// Uniform in `[-1, 1)`.
	pub fn symmetric(&mut self) -> f32 {
		((self.next_u64() >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
	}

	/// A permutation of `0..n`.
	pub fn permutation(&mut self, n: usize) -> Vec<usize> {
		let mut v: Vec<usize> = (0..n).collect();
		for i in (1..n).rev() {
			let j = (self.next_u64() % (i as u64 + 1)) as usize;
			v.swap(i, j);
		}
		v
	}
}

/// The network with its parameters.
pub struct DispatchNet {
	l1: Linear,
	l2: Linear,
	l3: Linear,
	skip: Linear,
	varmap: VarMap,
	device: Device,
	/// Input width.
	pub inputs: usize,
	/// Output width (generators).
	pub outputs: usize,
}

impl DispatchNet {
	/// A network with parameters drawn from `seed` (uniform ±1/√fan_in, biases 0).
	pub fn new(inputs: usize, outputs: usize, seed: u64, device: &Device) -> Result<DispatchNet> {
		let varmap = VarMap::new();
		let vb = VarBuilder::from_varmap(&varmap, DType::F32, device);
		let l1 = linear(inputs, HIDDEN, vb.pp("l1"))?;
		let l2 = linear(HIDDEN, HIDDEN, vb.pp("l2"))?;
		let l3 = linear(HIDDEN, outputs, vb.pp("l3"))?;
		let skip = linear(inputs, outputs, vb.pp("skip"))?;
		let net = DispatchNet { l1, l2, l3, skip, varmap, device: device.clone(), inputs, outputs };
		net.init(seed)?;
		Ok(net)
	}

	/// A network sized for `grid`: its features in, one fraction per generator out.
	pub fn for_grid(grid: &gridbrain_dispatch::Grid, seed: u64, device: &Device) -> Result<DispatchNet> {
		DispatchNet::new(grid.feature_count(), grid.problem.gen_count(), seed, device)
	}

	fn sorted_vars(&self) -> Result<Vec<(String, Var)>> {
		let data = self.varmap.data().lock().map_err(|_| anyhow::Error::msg("parameter lock poisoned"))?;
		let mut v: Vec<(String, Var)> = data.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
		v.sort_by(|a, b| a.0.cmp(&b.0));
		Ok(v)
	}

	fn init(&self, seed: u64) -> Result<()> {
		let mut rng = Rng::new(seed);
		for (name, var) in self.sorted_vars()? {
			let dims = var.dims().to_vec();
			let n: usize = dims.iter().product();
			let values: Vec<f32> = if name.ends_with("bias") {
				vec![0.0; n]
			} else {
				let fan_in = dims.last().copied().unwrap_or(1).max(1) as f32;
				let bound = 1.0 / fan_in.sqrt();
				(0..n).map(|_| rng.symmetric() * bound).collect()
			};
			var.set(&Tensor::from_vec(values, dims, &self.device)?)?;
		}
		Ok(())
	}

	/// The device the parameters live on.
	pub fn device(&self) -> &Device {
		&self.device
	}

	/// Positions between the limits, in `[0, 1]`, for a batch `x` of shape `(n, inputs)`.
	pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
		let h = self.l1.forward(x)?.relu()?;
		let h = self.l2.forward(&h)?.relu()?;
		// A linear path beside the hidden layers: the network starts from (and improves on)
		// a linear model.
		let z = (self.l3.forward(&h)? + self.skip.forward(x)?)?;
		Ok(candle_nn::ops::sigmoid(&z)?)
	}

	/// Predicts the positions of one input row.
	pub fn predict(&self, features: &[f32]) -> Result<Vec<f32>> {
		let x = Tensor::from_slice(features, (1, self.inputs), &self.device)?;
		Ok(self.forward(&x)?.squeeze(0)?.to_vec1::<f32>()?)
	}

	/// Trains `epochs` passes of AdamW over `(x, y)` in shuffled mini-batches (order drawn from
	/// `seed`); returns the mean MSE of the last epoch.
	pub fn train(
		&mut self,
		x: &Tensor,
		y: &Tensor,
		epochs: usize,
		batch: usize,
		lr: f64,
		seed: u64,
	) -> Result<f32> {
		self.train_scheduled(x, y, epochs, batch, |_| lr, seed)
	}

	/// As [`train`](Self::train), with the learning rate of epoch `e` (from 0) given by `lr(e)`.
	pub fn train_scheduled(
		&mut self,
		x: &Tensor,
		y: &Tensor,
		epochs: usize,
		batch: usize,
		lr: impl Fn(usize) -> f64,
		seed: u64,
	) -> Result<f32> {
		let n = x.dim(0)?;
		if n == 0 {
			return Err(anyhow::Error::msg("no training samples"));
		}
		let params = ParamsAdamW { lr: lr(0), weight_decay: 1e-4, ..Default::default() };
		let mut opt = AdamW::new(self.varmap.all_vars(), params)?;
		let mut rng = Rng::new(seed);
		let mut last = 0.0;
		for e in 0..epochs {
			opt.set_learning_rate(lr(e));
			let order = rng.permutation(n);
			let mut sum = 0.0f32;
			let mut batches = 0usize;
			for chunk in order.chunks(batch.max(1)) {
				let idx: Vec<u32> = chunk.iter().map(|&i| i as u32).collect();
				let idx = Tensor::from_vec(idx, chunk.len(), &self.device)?;
				let xb = x.index_select(&idx, 0)?;
				let yb = y.index_select(&idx, 0)?;
				let loss = candle_nn::loss::mse(&self.forward(&xb)?, &yb)?;
				opt.backward_step(&loss)?;
				sum += loss.to_scalar::<f32>()?;
				batches += 1;
			}
			last = sum / batches.max(1) as f32;
		}
		Ok(last)
	}

	/// Mean squared error on `(x, y)`.
	pub fn loss(&self, x: &Tensor, y: &Tensor) -> Result<f32> {
		let d = (self.forward(x)? - y)?;
		Ok(d.sqr()?.mean_all()?.to_scalar::<f32>()?)
	}

	/// The parameters in fixed point (the form that is hashed, exchanged and aggregated).
	pub fn to_fixed(&self) -> Result<agg::Model> {
		let mut tensors = Vec::new();
		for (name, var) in self.sorted_vars()? {
			let shape: Vec<u32> = var.dims().iter().map(|&d| d as u32).collect();
			let values = var.as_tensor().flatten_all()?.to_vec1::<f32>()?;
			tensors.push(agg::Tensor::from_f32(name, shape, &values).map_err(agg_err)?);
		}
		agg::Model::new(tensors).map_err(agg_err)
	}

	/// Loads fixed-point parameters (same layout) into the network.
	pub fn load_fixed(&self, model: &agg::Model) -> Result<()> {
		for (name, var) in self.sorted_vars()? {
			let t = model.tensor(&name).with_context(|| format!("model has no tensor {name}"))?;
			let dims: Vec<usize> = t.shape.iter().map(|&d| d as usize).collect();
			if dims != var.dims() {
				return Err(anyhow::Error::msg(format!("tensor {name}: shape {dims:?}, expected {:?}", var.dims())));
			}
			var.set(&Tensor::from_vec(t.to_f32(), dims, &self.device)?)?;
		}
		Ok(())
	}

	/// Saves the parameters as safetensors (f32).
	pub fn save(&self, path: &std::path::Path) -> Result<()> {
		self.varmap.save(path).with_context(|| format!("writing {}", path.display()))
	}

	/// Loads parameters saved by [`DispatchNet::save`].
	pub fn load(&mut self, path: &std::path::Path) -> Result<()> {
		self.varmap.load(path).with_context(|| format!("reading {}", path.display()))
	}
}

/// The share of the base learning rate a cosine schedule ends at and keeps after its end.
pub const COSINE_FLOOR: f64 = 0.02;

/// The learning rate of epoch `epoch` (from 0) under a cosine decay from `base` over `total`
/// epochs down to `COSINE_FLOOR · base`, held there after its end; `total = 0`: `base` always.
pub fn cosine_lr(base: f64, epoch: usize, total: usize) -> f64 {
	if total == 0 {
		return base;
	}
	let t = epoch.min(total) as f64 / total as f64;
	base * (COSINE_FLOOR + (1.0 - COSINE_FLOOR) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()))
}

/// Converts an aggregation error.
pub fn agg_err(e: agg::Error) -> anyhow::Error {
	anyhow::Error::msg(format!("fixed-point model: {e:?}"))
}
