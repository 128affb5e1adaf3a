//! Federated updates: fixed-point update bytes (safetensors of i64 tensors), their blake2b-256
//! hash, the worker's ed25519 signature, verification against a revealed hash, and
//! aggregation with the round's rule (`gridbrain-aggregation`, the chain's own maths).

use anyhow::{bail, Result};
use codec::{Decode, Encode};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use gridbrain_aggregation as agg;
use safetensors::{tensor::TensorView, Dtype};

/// Domain separator of the signed message.
pub const SIGNING_DOMAIN: &[u8] = b"gridbrain/fl/update1";

/// Metadata key recording the fixed-point format in update files.
const FORMAT_KEY: &str = "gridbrain.fixed_point";

/// A signed update as workers exchange it.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct SignedUpdate {
	/// Round it belongs to.
	pub round: u32,
	/// safetensors bytes of the fixed-point update (i64 tensors, sorted names).
	pub bytes: Vec<u8>,
	/// blake2b-256 of `bytes` (what the worker reveals on chain).
	pub hash: [u8; 32],
	/// ed25519 signature over `SIGNING_DOMAIN ‖ round (u32 LE) ‖ hash`.
	pub signature: [u8; 64],
	/// Claimed training samples.
	pub num_samples: u64,
}

/// The safetensors bytes of a fixed-point model: one I64 tensor per parameter tensor,
/// little-endian, in name order, with the fixed-point format in the metadata.
pub fn to_safetensors(model: &agg::Model) -> Result<Vec<u8>> {
	let raw: Vec<(String, Vec<usize>, Vec<u8>)> = model
		.tensors()
		.iter()
		.map(|t| {
			let bytes = t.values.iter().flat_map(|v| v.to_le_bytes()).collect();
			(t.name.clone(), t.shape.iter().map(|&d| d as usize).collect(), bytes)
		})
		.collect();
	let views = raw
		.iter()
		.map(|(name, shape, bytes)| Ok((name.clone(), TensorView::new(Dtype::I64, shape.clone(), bytes)?)))
		.collect::<Result<Vec<_>, safetensors::SafeTensorError>>()?;
	let meta = std::collections::HashMap::from([(FORMAT_KEY.to_string(), format!("i64 Q{}", agg::FRAC_BITS))]);
	Ok(safetensors::serialize(views, Some(meta))?)
}

/// Parses [`to_safetensors`] bytes.
pub fn from_safetensors(bytes: &[u8]) -> Result<agg::Model> {
	let (_, meta) = safetensors::SafeTensors::read_metadata(bytes)?;
	let want = format!("i64 Q{}", agg::FRAC_BITS);
	if meta.metadata().as_ref().and_then(|m| m.get(FORMAT_KEY)) != Some(&want) {
		bail!("not a gridbrain fixed-point update ({FORMAT_KEY} must be {want})");
	}
	let st = safetensors::SafeTensors::deserialize(bytes)?;
	let mut tensors = Vec::new();
	for (name, view) in st.tensors() {
		if view.dtype() != Dtype::I64 {
			bail!("tensor {name} is {:?}, expected I64", view.dtype());
		}
		let values = view
			.data()
			.chunks_exact(8)
			.map(|c| i64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
			.collect();
		let shape = view.shape().iter().map(|&d| u32::try_from(d)).collect::<Result<Vec<_>, _>>()?;
		tensors.push(agg::Tensor::new(name, shape, values).map_err(crate::model::agg_err)?);
	}
	agg::Model::new(tensors).map_err(crate::model::agg_err)
}

fn message(round: u32, hash: &[u8; 32]) -> Vec<u8> {
	let mut m = SIGNING_DOMAIN.to_vec();
	m.extend_from_slice(&round.to_le_bytes());
	m.extend_from_slice(hash);
	m
}

/// Builds and signs the update `local − global` of `round` (against the global model's
/// parameters: a velocity it carries under server momentum is not part of updates).
pub fn make_update(
	local: &agg::Model,
	global: &agg::Model,
	round: u32,
	num_samples: u64,
	key: &SigningKey,
) -> Result<SignedUpdate> {
	let delta = local.delta_from(&global.params()).map_err(crate::model::agg_err)?;
	Ok(sign_update(round, to_safetensors(&delta)?, num_samples, key))
}

/// Hashes and signs update `bytes` of `round`.
pub fn sign_update(round: u32, bytes: Vec<u8>, num_samples: u64, key: &SigningKey) -> SignedUpdate {
	let hash = sp_crypto_hashing::blake2_256(&bytes);
	let signature = key.sign(&message(round, &hash)).to_bytes();
	SignedUpdate { round, bytes, hash, signature, num_samples }
}

/// Why a peer's update was not kept. Each is the sender's fault (or an attack), never a reason
/// for the worker to leave its round loop: the update is left out and the reason logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rejected {
	/// The bytes do not hash to the hash the update claims.
	HashMismatch,
	/// The claimed hash is not the one its author revealed on chain.
	NotTheRevealedHash,
	/// The signature does not verify under the author's registered worker key.
	BadSignature,
	/// The author has no valid registered worker key.
	UnknownAuthor,
	/// Not a gridbrain fixed-point safetensors file.
	Malformed(String),
	/// Tensor names or shapes differ from the model's.
	WrongLayout,
}

impl std::fmt::Display for Rejected {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		match self {
			Rejected::HashMismatch => f.write_str("bytes do not match the update's hash"),
			Rejected::NotTheRevealedHash => f.write_str("not the update its author revealed on chain"),
			Rejected::BadSignature => f.write_str("bad signature for the author's registered worker key"),
			Rejected::UnknownAuthor => f.write_str("the author has no valid registered worker key"),
			Rejected::Malformed(e) => write!(f, "malformed update: {e}"),
			Rejected::WrongLayout => f.write_str("tensor layout differs from the model's"),
		}
	}
}

impl std::error::Error for Rejected {}

/// Checks a peer's update on arrival: its bytes against its hash, its signature against the
/// author's registered worker `key`, and its layout against `reference`'s parameters (any model
/// of this grid: every model and update of a grid has the same parameter tensors; a global
/// model's velocity is not part of updates). Returns the decoded update.
pub fn check_update(u: &SignedUpdate, key: &VerifyingKey, reference: &agg::Model) -> Result<agg::Model, Rejected> {
	let model = decode_signed(u, key)?;
	let same = if reference.has_velocity() { model.same_layout(&reference.params()) } else { model.same_layout(reference) };
	if !same {
		return Err(Rejected::WrongLayout);
	}
	Ok(model)
}

/// The update's bytes checked against its hash and its author's `key`, decoded.
fn decode_signed(u: &SignedUpdate, key: &VerifyingKey) -> Result<agg::Model, Rejected> {
	if sp_crypto_hashing::blake2_256(&u.bytes) != u.hash {
		return Err(Rejected::HashMismatch);
	}
	key.verify(&message(u.round, &u.hash), &Signature::from_bytes(&u.signature))
		.map_err(|_| Rejected::BadSignature)?;
	from_safetensors(&u.bytes).map_err(|e| Rejected::Malformed(format!("{e:#}")))
}

/// Checks a peer's update against its worker key and the hash it revealed on chain; returns
/// the decoded update (without a layout check: see [`check_update`]).
pub fn verify_update(u: &SignedUpdate, key: &VerifyingKey, revealed_hash: &[u8; 32]) -> Result<agg::Model> {
	if &u.hash != revealed_hash {
		return Err(Rejected::NotTheRevealedHash.into());
	}
	Ok(decode_signed(u, key)?)
}

/// Local training parameters: one set for every round of `run` and `simulate` (the CLI's
/// `--epochs --batch --lr --seed`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainParams {
	/// Local epochs per round.
	pub epochs: usize,
	/// Mini-batch size.
	pub batch: usize,
	/// Learning rate (AdamW).
	pub lr: f64,
	/// Seed of the initial model; with the round and the worker it also seeds the batch order.
	pub seed: u64,
	/// Cosine decay of the learning rate over this many epochs in all, counted from round 0
	/// (round `r`'s local epoch `j` is epoch `r · epochs + j`), down to
	/// [`COSINE_FLOOR`](crate::model::COSINE_FLOOR) of `lr` and held there; 0: a constant `lr`.
	pub decay_epochs: usize,
}

impl TrainParams {
	/// The learning rate of local epoch `epoch` of `round`.
	pub fn lr_at(&self, round: u32, epoch: usize) -> f64 {
		let global = (round as usize).saturating_mul(self.epochs).saturating_add(epoch);
		crate::model::cosine_lr(self.lr, global, self.decay_epochs)
	}

	/// The batch-order seed of `worker` in `round`.
	pub fn round_seed(&self, round: u32, worker: u64) -> u64 {
		self.seed ^ (u64::from(round) << 32) ^ worker
	}
}

/// One worker's local training in a round, as `run` and `simulate` both do it: the global
/// model `base` loaded into a fresh network for `grid`, `params.epochs` epochs on the shard
/// `(x, y)`; returns the local model in fixed point and the last epoch's training MSE.
pub fn train_local(
	grid: &gridbrain_dispatch::Grid,
	device: &candle_core::Device,
	base: &agg::Model,
	(x, y): &(candle_core::Tensor, candle_core::Tensor),
	params: &TrainParams,
	round: u32,
	worker: u64,
) -> Result<(agg::Model, f32)> {
	let mut net = crate::model::DispatchNet::for_grid(grid, params.seed, device)?;
	net.load_fixed(base)?;
	let loss =
		net.train_scheduled(x, y, params.epochs, params.batch, |e| params.lr_at(round, e), params.round_seed(round, worker))?;
	Ok((net.to_fixed()?, loss))
}

/// The next global model from verified updates with the round's rule and server momentum
/// (any order gives the same bytes).
pub fn aggregate(
	rule: &agg::AggregationRule,
	momentum_ppm: u32,
	global: &agg::Model,
	updates: &[(u64, agg::Model)],
) -> Result<agg::Model> {
	let c: Vec<agg::Contribution<'_>> =
		updates.iter().map(|(n, m)| agg::Contribution { num_samples: *n, update: m }).collect();
	agg::next_global_with_momentum(rule, momentum_ppm, global, &c).map_err(crate::model::agg_err)
}
