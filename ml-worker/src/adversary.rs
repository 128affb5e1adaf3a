//! Test-only adversarial workers (cargo feature `adversary`, never in a release build): the
//! attacks `scripts/fl-integration.sh` runs against the availability rule.
//!
//! - [`Adversary::Withhold`]: reveals its update on chain but never publishes or serves it.
//! - [`Adversary::WrongLayout`]: reveals, publishes and serves a correctly signed update with
//!   an extra tensor (before availability, this made aggregation fail on every honest worker).
//!
//! Either way honest workers do not attest the update, it is not available, the round
//! finalizes without it and the adversary gets an `Unavailable` strike.

use crate::federated::{from_safetensors, sign_update, to_safetensors, SignedUpdate};
use anyhow::Result;
use ed25519_dalek::SigningKey;
use gridbrain_aggregation as agg;

/// What the adversarial worker does instead of behaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Adversary {
	/// Reveal, but never publish or serve the update.
	Withhold,
	/// Publish a correctly signed update with an extra tensor.
	WrongLayout,
}

impl Adversary {
	/// The update to commit to and publish instead of `honest`.
	pub fn tamper(self, honest: SignedUpdate, key: &SigningKey) -> Result<SignedUpdate> {
		match self {
			Adversary::Withhold => Ok(honest),
			Adversary::WrongLayout => {
				let mut tensors = from_safetensors(&honest.bytes)?.tensors().to_vec();
				tensors.push(agg::Tensor::new("zz.adversary".into(), vec![2], vec![1 << 20, -(1 << 20)]).map_err(crate::model::agg_err)?);
				let bytes = to_safetensors(&agg::Model::new(tensors).map_err(crate::model::agg_err)?)?;
				Ok(sign_update(honest.round, bytes, honest.num_samples, key))
			},
		}
	}

	/// Whether the worker publishes and serves its own update.
	pub fn serves_own_update(self) -> bool {
		self != Adversary::Withhold
	}
}
