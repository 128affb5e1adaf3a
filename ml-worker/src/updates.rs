//! Peers' updates, checked on arrival.
//!
//! Anything can arrive from the network claiming to be anyone's update. [`UpdateCache`] keeps,
//! per (round, author), the **first copy that verifies**: its bytes hash to its claimed hash,
//! the author's registered worker key signed it, its layout is the model's, and (once the
//! reveal is known) its hash is the one the author revealed on chain. A copy that fails any
//! check is rejected with a [`Rejected`] reason and never replaces what is kept, so nobody can
//! overwrite an honest worker's update by sending copies under its name; only the author can
//! sign a second update, and the second is ignored (a kept copy that turns out not to be the
//! revealed one is dropped at aggregation, so the revealed one can still come in).
//!
//! Pure bookkeeping, no network or chain: the run loop feeds it what it read from the chain.

use crate::{
	federated::{check_update, Rejected},
	p2p::WireUpdate,
};
use ed25519_dalek::VerifyingKey;
use gridbrain_aggregation as agg;
use std::collections::HashMap;

/// An author's account id bytes.
pub type Author = [u8; 32];

/// What the run loop knows from the chain when an update arrives.
pub struct ChainView<'a> {
	/// The round in progress; updates of it and of the round before are accepted.
	pub round: u32,
	/// Its participants.
	pub participants: &'a [Author],
	/// Registered worker keys by account.
	pub keys: &'a HashMap<Author, VerifyingKey>,
	/// Revealed update hashes by (round, author), as far as the loop has seen them.
	pub revealed: &'a HashMap<(u32, Author), [u8; 32]>,
	/// Any model of this grid (for the layout check).
	pub reference: &'a agg::Model,
}

/// What became of an offered update.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
	/// The first valid copy: kept (and to be served to peers).
	Kept,
	/// A valid copy of an update already kept, or a second update signed by the same author.
	AlreadyHeld,
	/// Not a current participant's update of the current or previous round: not looked at.
	Irrelevant,
	/// Failed a check.
	Rejected(Rejected),
}

/// The first valid update per (round, author), for the current and the previous round.
#[derive(Default)]
pub struct UpdateCache {
	kept: HashMap<(u32, Author), (WireUpdate, agg::Model)>,
}

impl UpdateCache {
	/// Checks `u` and keeps it if it is the first valid copy of its author's update.
	pub fn offer(&mut self, u: WireUpdate, view: &ChainView<'_>) -> Offer {
		let r = u.update.round;
		let recent = r == view.round || r.saturating_add(1) == view.round;
		if !recent || !view.participants.contains(&u.worker) {
			return Offer::Irrelevant;
		}
		let key = (r, u.worker);
		if let Some((held, _)) = self.kept.get(&key) {
			if held.update.hash == u.update.hash || !view.revealed.contains_key(&key) {
				return Offer::AlreadyHeld;
			}
		}
		if let Some(hash) = view.revealed.get(&key) {
			if *hash != u.update.hash {
				return Offer::Rejected(Rejected::NotTheRevealedHash);
			}
		}
		let Some(author_key) = view.keys.get(&u.worker) else { return Offer::Rejected(Rejected::UnknownAuthor) };
		match check_update(&u.update, author_key, view.reference) {
			Ok(model) => {
				// A kept copy that is not the revealed update gives way to the one that is.
				if self.kept.get(&key).is_some_and(|(held, _)| view.revealed.get(&key) == Some(&held.update.hash)) {
					return Offer::AlreadyHeld;
				}
				self.kept.insert(key, (u, model));
				Offer::Kept
			},
			Err(e) => Offer::Rejected(e),
		}
	}

	/// The kept update of `author` in `round` if it is the one revealed as `revealed_hash`; a
	/// kept copy that is not is dropped (so the revealed one can be fetched and kept).
	pub fn take_revealed(&mut self, round: u32, author: &Author, revealed_hash: &[u8; 32]) -> Option<&(WireUpdate, agg::Model)> {
		let key = (round, *author);
		if self.kept.get(&key).is_some_and(|(u, _)| &u.update.hash != revealed_hash) {
			self.kept.remove(&key);
		}
		self.kept.get(&key)
	}

	/// Whether it keeps `author`'s update of `round` with hash `hash`.
	pub fn holds(&self, round: u32, author: &Author, hash: &[u8; 32]) -> bool {
		self.kept.get(&(round, *author)).is_some_and(|(u, _)| &u.update.hash == hash)
	}

	/// Forgets rounds before `round - 1`.
	pub fn advance(&mut self, round: u32) {
		self.kept.retain(|(r, _), _| r.saturating_add(1) >= round);
	}

	/// Updates kept.
	pub fn len(&self) -> usize {
		self.kept.len()
	}

	/// Whether nothing is kept.
	pub fn is_empty(&self) -> bool {
		self.kept.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::federated::make_update;
	use ed25519_dalek::SigningKey;

	fn model(values: &[i64], name: &str) -> agg::Model {
		agg::Model::new(vec![agg::Tensor::new(name.into(), vec![values.len() as u32], values.to_vec()).unwrap()]).unwrap()
	}

	struct World {
		base: agg::Model,
		signers: Vec<SigningKey>,
		authors: Vec<Author>,
		keys: HashMap<Author, VerifyingKey>,
		revealed: HashMap<(u32, Author), [u8; 32]>,
	}

	impl World {
		fn new() -> Self {
			let signers: Vec<SigningKey> = (1..=4u8).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
			let authors: Vec<Author> = (1..=4u8).map(|i| [i; 32]).collect();
			let keys = authors.iter().zip(&signers).map(|(a, s)| (*a, s.verifying_key())).collect();
			World { base: model(&[0, 0, 0], "w"), signers, authors, keys, revealed: HashMap::new() }
		}

		fn view(&self, round: u32) -> ChainView<'_> {
			ChainView { round, participants: &self.authors, keys: &self.keys, revealed: &self.revealed, reference: &self.base }
		}

		fn update(&self, i: usize, round: u32, values: &[i64]) -> WireUpdate {
			let update = make_update(&model(values, "w"), &self.base, round, 10, &self.signers[i]).unwrap();
			WireUpdate { worker: self.authors[i], update }
		}
	}

	#[test]
	fn a_flood_under_someone_elses_name_never_replaces_their_update() {
		let mut w = World::new();
		let mut cache = UpdateCache::default();
		let honest = w.update(0, 5, &[1, 2, 3]);
		// Before the genuine copy: forgeries by peer 1 under author 0's name.
		let mut forged = w.update(1, 5, &[9, 9, 9]);
		forged.worker = w.authors[0];
		assert_eq!(cache.offer(forged.clone(), &w.view(5)), Offer::Rejected(Rejected::BadSignature));
		let mut garbage = honest.clone();
		garbage.update.bytes[10] ^= 1;
		assert_eq!(cache.offer(garbage.clone(), &w.view(5)), Offer::Rejected(Rejected::HashMismatch));
		assert!(cache.is_empty());
		assert_eq!(cache.offer(honest.clone(), &w.view(5)), Offer::Kept);
		// After it, while the reveal is not seen yet: further copies are not even checked (no
		// work for a flood) and change nothing.
		for _ in 0..100 {
			assert_eq!(cache.offer(forged.clone(), &w.view(5)), Offer::AlreadyHeld);
		}
		assert_eq!(cache.offer(honest.clone(), &w.view(5)), Offer::AlreadyHeld);
		// Once the reveal is known, copies of anything else are rejected before any hashing,
		// and a copy with a re-computed hash fails on the signature.
		w.revealed.insert((5, w.authors[0]), honest.update.hash);
		assert_eq!(cache.offer(forged, &w.view(5)), Offer::Rejected(Rejected::NotTheRevealedHash));
		let mut rehashed = garbage;
		rehashed.update.hash = sp_crypto_hashing::blake2_256(&rehashed.update.bytes);
		assert_eq!(cache.offer(rehashed.clone(), &w.view(5)), Offer::Rejected(Rejected::NotTheRevealedHash));
		rehashed.update.hash = honest.update.hash;
		assert_eq!(cache.offer(rehashed, &w.view(5)), Offer::AlreadyHeld, "same claimed hash as the kept copy");
		let kept = cache.take_revealed(5, &w.authors[0], &honest.update.hash).unwrap();
		assert_eq!(kept.0, honest);
		assert_eq!(cache.len(), 1);
	}

	#[test]
	fn a_signed_update_of_another_layout_is_rejected_on_arrival() {
		let w = World::new();
		let mut cache = UpdateCache::default();
		// Correctly signed and hashed, but four parameters where the model has three.
		let wide = make_update(&model(&[1, 2, 3, 4], "w"), &model(&[0, 0, 0, 0], "w"), 5, 10, &w.signers[2]).unwrap();
		let wire = WireUpdate { worker: w.authors[2], update: wide };
		assert_eq!(cache.offer(wire, &w.view(5)), Offer::Rejected(Rejected::WrongLayout));
		// Another tensor name with the right shape.
		let renamed = make_update(&model(&[1, 2, 3], "v"), &model(&[0, 0, 0], "v"), 5, 10, &w.signers[2]).unwrap();
		let wire = WireUpdate { worker: w.authors[2], update: renamed };
		assert_eq!(cache.offer(wire, &w.view(5)), Offer::Rejected(Rejected::WrongLayout));
		// Not safetensors at all, signed by its author.
		let bytes = vec![1, 2, 3];
		let hash = sp_crypto_hashing::blake2_256(&bytes);
		let mut junk = make_update(&model(&[1, 2, 3], "w"), &w.base, 5, 10, &w.signers[2]).unwrap();
		junk.bytes = bytes;
		junk.hash = hash;
		junk.signature = {
			use ed25519_dalek::Signer;
			let mut m = crate::federated::SIGNING_DOMAIN.to_vec();
			m.extend_from_slice(&5u32.to_le_bytes());
			m.extend_from_slice(&hash);
			w.signers[2].sign(&m).to_bytes()
		};
		let offer = cache.offer(WireUpdate { worker: w.authors[2], update: junk }, &w.view(5));
		assert!(matches!(offer, Offer::Rejected(Rejected::Malformed(_))), "{offer:?}");
		assert!(cache.is_empty());
	}

	#[test]
	fn the_revealed_update_wins_over_an_earlier_second_one_of_the_same_author() {
		let mut w = World::new();
		let mut cache = UpdateCache::default();
		let first = w.update(3, 7, &[1, 1, 1]);
		let second = w.update(3, 7, &[2, 2, 2]);
		// Before the reveal is seen, the first valid copy is kept and a second one ignored.
		assert_eq!(cache.offer(first.clone(), &w.view(7)), Offer::Kept);
		assert_eq!(cache.offer(second.clone(), &w.view(7)), Offer::AlreadyHeld);
		// The author revealed the second: the first gives way at aggregation...
		w.revealed.insert((7, w.authors[3]), second.update.hash);
		assert!(cache.take_revealed(7, &w.authors[3], &second.update.hash).is_none());
		// ... and on arrival the revealed one is kept, copies of anything else rejected.
		assert_eq!(cache.offer(first.clone(), &w.view(7)), Offer::Rejected(Rejected::NotTheRevealedHash));
		assert_eq!(cache.offer(second.clone(), &w.view(7)), Offer::Kept);
		assert_eq!(cache.take_revealed(7, &w.authors[3], &second.update.hash).unwrap().0, second);
	}

	#[test]
	fn only_current_participants_recent_rounds_are_looked_at() {
		let w = World::new();
		let mut cache = UpdateCache::default();
		assert_eq!(cache.offer(w.update(0, 3, &[1, 1, 1]), &w.view(5)), Offer::Irrelevant, "two rounds old");
		assert_eq!(cache.offer(w.update(0, 6, &[1, 1, 1]), &w.view(5)), Offer::Irrelevant, "a future round");
		let mut stranger = w.update(0, 5, &[1, 1, 1]);
		stranger.worker = [9; 32];
		assert_eq!(cache.offer(stranger, &w.view(5)), Offer::Irrelevant);
		assert_eq!(cache.offer(w.update(1, 4, &[1, 1, 1]), &w.view(5)), Offer::Kept, "the previous round");
		// A participant without a registered key.
		let mut keys = w.keys.clone();
		keys.remove(&w.authors[2]);
		let view = ChainView { keys: &keys, ..w.view(5) };
		assert_eq!(cache.offer(w.update(2, 5, &[1, 1, 1]), &view), Offer::Rejected(Rejected::UnknownAuthor));
		cache.advance(6);
		assert!(cache.is_empty(), "round 4 is forgotten when round 6 starts");
	}
}
