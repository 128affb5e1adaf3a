//! Test-only adversarial workers (cargo feature `adversary`, never in a release build): the
//! attacks `scripts/fl-integration.sh` runs against the honest workers, one set per round
//! ([`Attacks`]: an attack on the worker's own update, the network attacks, or both).
//!
//! - [`Adversary::WrongLayout`]: reveals, publishes and serves a correctly signed update with
//!   an extra tensor (before availability, this made aggregation fail on every honest worker).
//! - [`Adversary::Withhold`]: reveals its update on chain but never publishes or serves it.
//! - [`Adversary::WithholdFromOne`]: reveals, never gossips, and answers every peer's request
//!   for its update but one honest worker's: enough holders for the update to be available,
//!   one honest worker without it (before availability, this split the honest votes on the
//!   aggregate and earned the left-out worker a `Dissented` strike).
//! - [`Adversary::Flood`]: behaves, and floods gossip with updates under the other
//!   participants' names (signed with its own key), and answers requests for their updates
//!   with those forgeries (before updates were checked on arrival, any peer could overwrite
//!   another worker's update in a cache keyed by the unauthenticated name on the wire).
//! - [`Adversary::Oversize`]: behaves, and sends every peer requests of [`OVERSIZE_REQUEST`]
//!   bytes (a request used to be read up to 8 MiB on up to 100 streams).
//! - [`Adversary::SignFlip`]: a Byzantine update, `base − 20·(local − base)`, correctly signed
//!   and served: the trimmed mean must leave its coordinates out.
//!
//! With wrong layout or withholding, honest workers do not attest the update, it is not
//! available, the round finalizes without it and the adversary gets an `Unavailable` strike.
//! The network attacks cost the honest workers a signature check or a 257-byte read each.

use crate::{
	federated::{from_safetensors, sign_update, to_safetensors, SignedUpdate},
	p2p::WireUpdate,
	simulate::sign_flipped,
};
use anyhow::Result;
use ed25519_dalek::SigningKey;
use gridbrain_aggregation as agg;

/// The scale of a [`Adversary::SignFlip`] update.
pub const SIGN_FLIP_SCALE: f64 = 20.0;
/// Size of each request an [`Adversary::Oversize`] worker sends (peers read at most 257 bytes).
pub const OVERSIZE_REQUEST: usize = 1 << 20;
/// Requests per peer and block an [`Adversary::Oversize`] worker sends.
pub const OVERSIZE_PER_BLOCK: usize = 32;
/// Forged updates per block a [`Adversary::Flood`] worker publishes.
pub const FORGERIES_PER_BLOCK: usize = 16;

/// What the adversarial worker does instead of behaving.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Adversary {
	/// Publish a correctly signed update with an extra tensor.
	WrongLayout,
	/// Reveal, but never publish or serve the update.
	Withhold,
	/// Reveal, never gossip, and serve the update to every peer but one.
	WithholdFromOne,
	/// Flood gossip and answers with updates forged under other workers' names.
	Flood,
	/// Send oversized requests to every peer.
	Oversize,
	/// Send a sign-flipped update scaled by [`SIGN_FLIP_SCALE`].
	SignFlip,
}

impl Adversary {
	/// The model to build the update from instead of the honestly trained `local`.
	pub fn model(self, base: &agg::Model, local: agg::Model) -> Result<agg::Model> {
		match self {
			Adversary::SignFlip => sign_flipped(base, &local, SIGN_FLIP_SCALE),
			_ => Ok(local),
		}
	}

	/// The update to commit to and publish instead of `honest`.
	pub fn tamper(self, honest: SignedUpdate, key: &SigningKey) -> Result<SignedUpdate> {
		match self {
			Adversary::WrongLayout => {
				let mut tensors = from_safetensors(&honest.bytes)?.tensors().to_vec();
				tensors.push(agg::Tensor::new("zz.adversary".into(), vec![2], vec![1 << 20, -(1 << 20)]).map_err(crate::model::agg_err)?);
				let bytes = to_safetensors(&agg::Model::new(tensors).map_err(crate::model::agg_err)?)?;
				Ok(sign_update(honest.round, bytes, honest.num_samples, key))
			},
			_ => Ok(honest),
		}
	}

	/// Whether the worker publishes and serves its own update to every peer.
	pub fn serves_own_update(self) -> bool {
		!matches!(self, Adversary::Withhold | Adversary::WithholdFromOne)
	}

	/// The honest worker [`Adversary::WithholdFromOne`] leaves out: the first other
	/// participant (by account) with a registered peer id.
	pub fn left_out<P: Clone>(own: &[u8; 32], participants: &[[u8; 32]], peers: &[([u8; 32], P)]) -> Option<([u8; 32], P)> {
		let mut others: Vec<&[u8; 32]> = participants.iter().filter(|p| *p != own).collect();
		others.sort();
		others.into_iter().find_map(|p| peers.iter().find(|(a, _)| a == p).cloned())
	}
}

/// `count` updates for `round` under the names of `victims` (in turn), each different (so
/// gossip does not deduplicate them), made from `own`'s bytes and signed with the adversary's
/// `key`, not the victims'.
pub fn forgeries(own: &SignedUpdate, victims: &[[u8; 32]], key: &SigningKey, count: usize, salt: u64) -> Vec<WireUpdate> {
	if victims.is_empty() {
		return Vec::new();
	}
	(0..count)
		.map(|i| {
			let mut bytes = own.bytes.clone();
			// A different tail per forgery: the bytes still hash and sign consistently.
			bytes.extend_from_slice(&salt.wrapping_add(i as u64).to_le_bytes());
			WireUpdate { worker: victims[i % victims.len()], update: sign_update(own.round, bytes, own.num_samples, key) }
		})
		.collect()
}

/// The attacks of one round, written `a+b+…` on the command line (e.g.
/// `sign-flip+flood+oversize`): at most one attack on the worker's own update (wrong layout,
/// withholding, withholding from one, sign flip), with any of the network attacks (flood,
/// oversize), which leave the update alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attacks(Vec<Adversary>);

impl Attacks {
	/// One round's attacks; `None` if empty, repeated or with two attacks on the update.
	pub fn new(attacks: Vec<Adversary>) -> Option<Attacks> {
		let on_update = attacks.iter().filter(|a| !matches!(a, Adversary::Flood | Adversary::Oversize)).count();
		let distinct = attacks.iter().enumerate().all(|(i, a)| !attacks.iter().take(i).any(|b| b == a));
		(!attacks.is_empty() && distinct && on_update <= 1).then_some(Attacks(attacks))
	}

	/// Whether `attack` is one of them.
	pub fn contains(&self, attack: Adversary) -> bool {
		self.0.contains(&attack)
	}

	/// The model to build the update from instead of the honestly trained `local`.
	pub fn model(&self, base: &agg::Model, local: agg::Model) -> Result<agg::Model> {
		self.0.iter().try_fold(local, |m, a| a.model(base, m))
	}

	/// The update to commit to and publish instead of `honest`.
	pub fn tamper(&self, honest: SignedUpdate, key: &SigningKey) -> Result<SignedUpdate> {
		self.0.iter().try_fold(honest, |u, a| a.tamper(u, key))
	}

	/// The withholding attack among them, if any (the worker does not publish or serve its
	/// own update to every peer).
	pub fn withholding(&self) -> Option<Adversary> {
		self.0.iter().copied().find(|a| !a.serves_own_update())
	}
}

impl std::str::FromStr for Attacks {
	type Err = String;

	fn from_str(s: &str) -> Result<Self, Self::Err> {
		use clap::ValueEnum;
		let attacks = s.split('+').map(|a| Adversary::from_str(a.trim(), false)).collect::<Result<Vec<_>, _>>()?;
		Attacks::new(attacks).ok_or_else(|| {
			format!("`{s}`: one round's attacks must be distinct, with at most one of wrong-layout, withhold, withhold-from-one, sign-flip")
		})
	}
}

impl std::fmt::Display for Attacks {
	/// `SignFlip+Flood+Oversize` (the form `scripts/fl-integration.sh` looks for in the log).
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		let names: Vec<String> = self.0.iter().map(|a| format!("{a:?}")).collect();
		f.write_str(&names.join("+"))
	}
}

/// The attacks of `--adversary`, one set per round from the first round the worker trains
/// for; after the last one it behaves.
#[derive(Clone, Debug, Default)]
pub struct Schedule {
	attacks: Vec<Attacks>,
	first: Option<u32>,
}

impl Schedule {
	/// Runs `attacks` in order, one set per round, from the first round the worker trains for.
	pub fn new(attacks: Vec<Attacks>) -> Self {
		Schedule { attacks, first: None }
	}

	/// Runs `attacks` in order, one set per round, from round `first` (behaving before).
	pub fn starting_at(attacks: Vec<Attacks>, first: u32) -> Self {
		Schedule { attacks, first: Some(first) }
	}

	/// Called when the worker trains for `round`: its attacks (the first call fixes the round
	/// the schedule starts at).
	pub fn start(&mut self, round: u32) -> Option<&Attacks> {
		self.first.get_or_insert(round);
		self.at(round)
	}

	/// The attacks of `round`, if the schedule has started and has any for it.
	pub fn at(&self, round: u32) -> Option<&Attacks> {
		let first = self.first?;
		let k = round.checked_sub(first)?;
		self.attacks.get(k as usize)
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::federated::{check_update, make_update, Rejected};

	fn tensor(name: &str, values: Vec<i64>) -> agg::Tensor {
		agg::Tensor::new(name.into(), vec![values.len() as u32], values).unwrap()
	}

	fn attacks(s: &str) -> Attacks {
		s.parse().unwrap()
	}

	#[test]
	fn the_schedule_runs_one_set_of_attacks_per_round_then_behaves() {
		let mut s = Schedule::new(vec![attacks("wrong-layout"), attacks("withhold"), attacks("sign-flip+flood+oversize")]);
		assert_eq!(s.at(5), None, "not started");
		assert_eq!(s.start(5), Some(&attacks("wrong-layout")));
		assert_eq!(s.start(6), Some(&attacks("withhold")));
		assert_eq!(s.at(5), Some(&attacks("wrong-layout")));
		assert_eq!(s.at(4), None);
		let last = s.start(7).cloned().unwrap();
		assert!(last.contains(Adversary::SignFlip) && last.contains(Adversary::Flood) && last.contains(Adversary::Oversize));
		assert!(!last.contains(Adversary::Withhold));
		assert_eq!(last.to_string(), "SignFlip+Flood+Oversize");
		assert_eq!(s.start(8), None, "behaves after the list");
		assert_eq!(Schedule::new(vec![]).start(1), None);
		// From a given round: behaves before it whatever it trains first.
		let mut s = Schedule::starting_at(vec![attacks("withhold"), attacks("flood")], 2);
		assert_eq!(s.start(0), None);
		assert_eq!(s.start(1), None);
		assert_eq!(s.start(2), Some(&attacks("withhold")));
		assert_eq!(s.start(3), Some(&attacks("flood")));
		assert_eq!(s.start(4), None);
	}

	#[test]
	fn a_round_takes_at_most_one_attack_on_the_update_and_no_repeats() {
		assert_eq!(attacks("withhold-from-one+flood").withholding(), Some(Adversary::WithholdFromOne));
		assert_eq!(attacks("flood+oversize").withholding(), None);
		for bad in ["", "wrong-layout+sign-flip", "withhold+withhold-from-one", "flood+flood", "sign-flip+nonsense"] {
			assert!(bad.parse::<Attacks>().is_err(), "{bad} must be refused");
		}
		assert_eq!(Attacks::new(vec![]), None);
	}

	#[test]
	fn every_forgery_is_rejected_under_the_victims_key_and_they_all_differ() {
		let base = agg::Model::new(vec![tensor("a", vec![0; 4])]).unwrap();
		let local = agg::Model::new(vec![tensor("a", vec![1, 2, 3, 4])]).unwrap();
		let adversary = SigningKey::from_bytes(&[1; 32]);
		let victim = SigningKey::from_bytes(&[2; 32]);
		let own = make_update(&local, &base, 3, 10, &adversary).unwrap();
		let forged = forgeries(&own, &[[7; 32], [8; 32]], &adversary, 6, 99);
		assert_eq!(forged.len(), 6);
		assert_eq!(forged.iter().filter(|f| f.worker == [7; 32]).count(), 3);
		let mut hashes: Vec<_> = forged.iter().map(|f| f.update.hash).collect();
		hashes.sort();
		hashes.dedup();
		assert_eq!(hashes.len(), 6, "each forgery is a distinct gossip message");
		for f in &forged {
			assert_eq!(f.update.round, 3);
			assert_eq!(check_update(&f.update, &victim.verifying_key(), &base).err(), Some(Rejected::BadSignature));
		}
		assert!(forgeries(&own, &[], &adversary, 6, 0).is_empty());
	}

	#[test]
	fn wrong_layout_and_sign_flip_tamper_and_the_rest_behave() {
		let base = agg::Model::new(vec![tensor("a", vec![10; 3])]).unwrap();
		let local = agg::Model::new(vec![tensor("a", vec![11, 12, 9])]).unwrap();
		let key = SigningKey::from_bytes(&[1; 32]);
		let honest = make_update(&local, &base, 1, 5, &key).unwrap();
		let wrong = Adversary::WrongLayout.tamper(honest.clone(), &key).unwrap();
		assert_eq!(check_update(&wrong, &key.verifying_key(), &base).err(), Some(Rejected::WrongLayout));
		let flipped = Adversary::SignFlip.model(&base, local.clone()).unwrap();
		assert_eq!(flipped.tensors()[0].values, vec![-10, -30, 30]);
		for a in [Adversary::Withhold, Adversary::WithholdFromOne, Adversary::Flood, Adversary::Oversize, Adversary::SignFlip] {
			assert_eq!(a.tamper(honest.clone(), &key).unwrap(), honest);
		}
		for a in [Adversary::WrongLayout, Adversary::Withhold, Adversary::WithholdFromOne, Adversary::Flood, Adversary::Oversize] {
			assert_eq!(a.model(&base, local.clone()).unwrap(), local);
		}
		// A set applies its one update attack; the network attacks leave the update alone.
		assert_eq!(attacks("sign-flip+flood").model(&base, local.clone()).unwrap(), flipped);
		assert_eq!(attacks("wrong-layout+oversize").tamper(honest.clone(), &key).unwrap(), wrong);
		assert_eq!(attacks("flood+oversize").model(&base, local.clone()).unwrap(), local);
		assert!(!Adversary::Withhold.serves_own_update());
		assert!(!Adversary::WithholdFromOne.serves_own_update());
		assert!(Adversary::Flood.serves_own_update());
	}

	#[test]
	fn withholding_from_one_leaves_out_the_first_other_participant_with_a_peer() {
		let (own, a, b, c) = ([5; 32], [1; 32], [2; 32], [9; 32]);
		let participants = [c, own, b, a];
		let peers = [(c, "pc"), (b, "pb"), (own, "po"), (a, "pa")];
		assert_eq!(Adversary::left_out(&own, &participants, &peers), Some((a, "pa")));
		// Never itself, and only a participant with a known peer.
		assert_eq!(Adversary::left_out(&own, &participants, &peers[..3]), Some((b, "pb")));
		assert_eq!(Adversary::left_out(&own, &[own], &peers), None);
		assert_eq!(Adversary::left_out(&own, &participants, &[] as &[([u8; 32], &str)]), None);
	}
}
