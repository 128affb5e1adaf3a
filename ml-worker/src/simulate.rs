//! Federated rounds simulated in one process: every worker trains on its own shard, signs its
//! update, every update is verified, and the round's rule aggregates them exactly as the
//! workers of a real network do (and as the chain's quorum expects: same bytes, same hash).

use crate::{
	data::{evaluate, Dataset, Metrics, ToTensors},
	federated::{aggregate, make_update, train_local, verify_update, TrainParams},
	model::DispatchNet,
};
use anyhow::{bail, Result};
use candle_core::Device;
use ed25519_dalek::SigningKey;
use gridbrain_aggregation as agg;
use gridbrain_dispatch::Grid;

/// Settings of a simulation.
#[derive(Clone, Debug)]
pub struct Settings {
	/// Rounds.
	pub rounds: usize,
	/// Local training, as `run` does it (its seed also seeds the initial model).
	pub training: TrainParams,
	/// Aggregation rule.
	pub rule: agg::AggregationRule,
	/// Server momentum, parts per million (0: none), as a round's `momentum_ppm` on chain.
	pub momentum_ppm: u32,
	/// Worker 0 sends its update sign-flipped and scaled by this factor (0 = honest).
	pub sign_flip: f64,
}

/// What one round produced.
#[derive(Clone, Debug)]
pub struct RoundReport {
	/// Round index.
	pub round: usize,
	/// Mean of the workers' last-epoch training MSE.
	pub train_loss: f32,
	/// Held-out MSE of the new global model.
	pub test_loss: f32,
	/// Held-out metrics of the new global model.
	pub metrics: Metrics,
	/// blake2b-256 of the new global model's canonical bytes.
	pub params_hash: [u8; 32],
	/// Seconds the round took.
	pub seconds: f64,
}

/// Runs `settings.rounds` rounds with one worker per shard; `report` is called after each.
pub fn run(
	grid: &Grid,
	shards: &[Dataset],
	test: &Dataset,
	device: &Device,
	settings: &Settings,
	mut report: impl FnMut(&RoundReport),
) -> Result<(DispatchNet, Vec<RoundReport>)> {
	if shards.is_empty() {
		bail!("no shards");
	}
	let global_net = DispatchNet::for_grid(grid, settings.training.seed, device)?;
	let mut global = global_net.to_fixed()?;
	let keys: Vec<SigningKey> = (0..shards.len()).map(|k| SigningKey::from_bytes(&[k as u8 + 1; 32])).collect();
	let tensors: Vec<_> = shards.iter().map(|s| s.tensors(device)).collect::<Result<_>>()?;
	let (tx, ty) = test.tensors(device)?;
	let mut reports = Vec::new();
	for round in 0..settings.rounds {
		let start = std::time::Instant::now();
		let mut updates = Vec::new();
		let mut losses = 0.0;
		let r = u32::try_from(round)?;
		for (k, (xy, shard)) in tensors.iter().zip(shards).enumerate() {
			let (mut local, loss) = train_local(grid, device, &global, xy, &settings.training, r, k as u64)?;
			losses += loss;
			if k == 0 && settings.sign_flip != 0.0 {
				local = sign_flipped(&global, &local, settings.sign_flip)?;
			}
			updates.push((make_update(&local, &global, r, shard.len() as u64, &keys[k])?, keys[k].verifying_key()));
		}
		// Every worker verifies every update against the (revealed) hash and the peer's key...
		let verified: Vec<(u64, agg::Model)> = updates
			.iter()
			.map(|(u, key)| Ok((u.num_samples, verify_update(u, key, &u.hash)?)))
			.collect::<Result<_>>()?;
		// ...and aggregates; workers see updates in different orders but get the same bytes.
		let next = aggregate(&settings.rule, settings.momentum_ppm, &global, &verified)?;
		let mut reversed = verified.clone();
		reversed.reverse();
		if aggregate(&settings.rule, settings.momentum_ppm, &global, &reversed)?.hash() != next.hash() {
			bail!("aggregation depends on the order of updates");
		}
		global = next;
		let eval_net = DispatchNet::for_grid(grid, settings.training.seed, device)?;
		eval_net.load_fixed(&global)?;
		let metrics = evaluate(grid, test, |x| eval_net.predict(x))?;
		let rep = RoundReport {
			round,
			train_loss: losses / shards.len() as f32,
			test_loss: eval_net.loss(&tx, &ty)?,
			metrics,
			params_hash: global.hash(),
			seconds: start.elapsed().as_secs_f64(),
		};
		report(&rep);
		reports.push(rep);
	}
	let net = DispatchNet::for_grid(grid, settings.training.seed, device)?;
	net.load_fixed(&global)?;
	Ok((net, reports))
}

/// `global − scale · (local − global)` (of the global model's parameters): a sign-flipped,
/// scaled update.
pub fn sign_flipped(global: &agg::Model, local: &agg::Model, scale: f64) -> Result<agg::Model> {
	let global = &global.params();
	let delta = local.delta_from(global).map_err(crate::model::agg_err)?;
	let tensors = delta
		.tensors()
		.iter()
		.map(|t| agg::Tensor {
			name: t.name.clone(),
			shape: t.shape.clone(),
			values: t.values.iter().map(|&v| (-(v as f64) * scale) as i64).collect(),
		})
		.collect();
	let flipped = agg::Model::new(tensors).map_err(crate::model::agg_err)?;
	global.apply(&flipped).map_err(crate::model::agg_err)
}
