//! # gridbrain-merkle
//!
//! A binary Merkle tree over byte-string leaves, used to commit to the readings of an energy
//! data block (`readings_root`) and to prove that one reading is part of it.
//!
//! ## Construction
//!
//! - leaf hash: `H(0x00 ‖ leaf)`; inner node: `H(0x01 ‖ left ‖ right)`, with `H` = blake2-256.
//!   The distinct prefixes keep a leaf from ever being confused with an inner node (second
//!   pre-image attacks).
//! - Levels are built left to right by pairing neighbours; an odd node at the end of a level is
//!   **promoted** unchanged to the next level (never duplicated, so two different leaf lists
//!   can't have the same root by repeating the last leaf).
//! - The **root** commits to the number of leaves as well: `H(0x02 ‖ count ‖ top)`, with `count`
//!   a little-endian `u32` and `top` the top node of the tree (all zeros for no leaves). A proof
//!   therefore cannot be replayed against a different leaf count.
//!
//! A [`Proof`] holds the leaf's index, the number of leaves and the sibling hashes from the leaf
//! level upwards (levels where the node was promoted contribute no sibling). [`verify`] recomputes
//! the root from a leaf and its proof.
//!
//! The same rules are easy to re-implement off-chain (the polkadot.js checks do).

#![cfg_attr(not(feature = "std"), no_std)]

extern crate alloc;

use alloc::vec::Vec;

/// A 32-byte blake2-256 hash.
pub type Hash = [u8; 32];

/// Top node of a tree without leaves.
const EMPTY_TOP: Hash = [0u8; 32];

const LEAF_PREFIX: u8 = 0x00;
const NODE_PREFIX: u8 = 0x01;
const ROOT_PREFIX: u8 = 0x02;

/// The root committing to `leaf_count` leaves whose tree has top node `top`:
/// `blake2_256(0x02 ‖ leaf_count (u32 LE) ‖ top)`.
pub fn commit(leaf_count: u32, top: &Hash) -> Hash {
	let mut buf = [0u8; 37];
	let (prefix, rest) = buf.split_at_mut(1);
	let (count, t) = rest.split_at_mut(4);
	prefix.copy_from_slice(&[ROOT_PREFIX]);
	count.copy_from_slice(&leaf_count.to_le_bytes());
	t.copy_from_slice(top);
	sp_crypto_hashing::blake2_256(&buf)
}

/// The root of a tree without leaves.
pub fn empty_root() -> Hash {
	commit(0, &EMPTY_TOP)
}

/// Hash of a leaf: `blake2_256(0x00 ‖ leaf)`.
pub fn leaf_hash(leaf: &[u8]) -> Hash {
	let mut buf = Vec::with_capacity(leaf.len().saturating_add(1));
	buf.push(LEAF_PREFIX);
	buf.extend_from_slice(leaf);
	sp_crypto_hashing::blake2_256(&buf)
}

/// Hash of an inner node: `blake2_256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
	let mut buf = [0u8; 65];
	let (prefix, rest) = buf.split_at_mut(1);
	let (l, r) = rest.split_at_mut(32);
	prefix.copy_from_slice(&[NODE_PREFIX]);
	l.copy_from_slice(left);
	r.copy_from_slice(right);
	sp_crypto_hashing::blake2_256(&buf)
}

/// The next level up: neighbours paired, an odd last node promoted.
fn next_level(level: &[Hash]) -> Vec<Hash> {
	level
		.chunks(2)
		.map(|pair| match pair {
			[l, r] => node_hash(l, r),
			[single] => *single,
			// `chunks(2)` yields slices of length 1 or 2 only.
			_ => EMPTY_TOP,
		})
		.collect()
}

/// The root over already-hashed leaves (see [`leaf_hash`]); `None` beyond `u32::MAX` leaves.
pub fn root_from_leaf_hashes(leaf_hashes: Vec<Hash>) -> Option<Hash> {
	let count = u32::try_from(leaf_hashes.len()).ok()?;
	let mut level = leaf_hashes;
	while level.len() > 1 {
		level = next_level(&level);
	}
	Some(commit(count, level.first().unwrap_or(&EMPTY_TOP)))
}

/// The Merkle root of `leaves` (in the given order); `None` beyond `u32::MAX` leaves.
pub fn root<L: AsRef<[u8]>>(leaves: &[L]) -> Option<Hash> {
	root_from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l.as_ref())).collect())
}

/// Proof that a leaf is at `leaf_index` among `leaf_count` leaves under some root.
#[derive(Clone, PartialEq, Eq, Debug, Default)]
#[cfg_attr(
	feature = "scale",
	derive(codec::Encode, codec::Decode, codec::DecodeWithMemTracking, scale_info::TypeInfo)
)]
pub struct Proof {
	/// Position of the leaf (0-based).
	pub leaf_index: u32,
	/// Number of leaves in the tree.
	pub leaf_count: u32,
	/// Sibling hashes from the leaf level up; promoted levels have none.
	pub siblings: Vec<Hash>,
}

/// The proof for the leaf at `index` among already-hashed leaves, `None` if out of range.
pub fn proof_from_leaf_hashes(leaf_hashes: Vec<Hash>, index: usize) -> Option<Proof> {
	let leaf_count = u32::try_from(leaf_hashes.len()).ok()?;
	if index >= leaf_hashes.len() {
		return None;
	}
	let leaf_index = u32::try_from(index).ok()?;
	let mut siblings = Vec::new();
	let mut level = leaf_hashes;
	let mut pos = index;
	while level.len() > 1 {
		let sibling = if pos.is_multiple_of(2) { pos.checked_add(1) } else { pos.checked_sub(1) };
		if let Some(s) = sibling.and_then(|s| level.get(s)) {
			siblings.push(*s);
		}
		level = next_level(&level);
		pos /= 2;
	}
	Some(Proof { leaf_index, leaf_count, siblings })
}

/// The proof for `leaves[index]`, `None` if `index` is out of range.
pub fn proof<L: AsRef<[u8]>>(leaves: &[L], index: usize) -> Option<Proof> {
	proof_from_leaf_hashes(leaves.iter().map(|l| leaf_hash(l.as_ref())).collect(), index)
}

/// Whether `leaf` is at `proof.leaf_index` of a tree with `proof.leaf_count` leaves and root
/// `root`. Proofs with the wrong number of siblings for their position are rejected.
pub fn verify(root: &Hash, leaf: &[u8], proof: &Proof) -> bool {
	if proof.leaf_index >= proof.leaf_count {
		return false;
	}
	let mut hash = leaf_hash(leaf);
	let mut pos = proof.leaf_index;
	let mut width = proof.leaf_count;
	let mut siblings = proof.siblings.iter();
	while width > 1 {
		let is_right = !pos.is_multiple_of(2);
		let promoted = !is_right && pos.saturating_add(1) == width;
		if !promoted {
			let Some(sibling) = siblings.next() else { return false };
			hash = if is_right { node_hash(sibling, &hash) } else { node_hash(&hash, sibling) };
		}
		pos /= 2;
		width = width.div_ceil(2);
	}
	siblings.next().is_none() && &commit(proof.leaf_count, &hash) == root
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn root_of<L: AsRef<[u8]>>(leaves: &[L]) -> Hash {
		root(leaves).unwrap()
	}

	fn leaves(n: usize) -> Vec<Vec<u8>> {
		(0..n).map(|i| (i as u32).to_le_bytes().to_vec()).collect()
	}

	#[test]
	fn empty_and_single_leaf_roots() {
		assert_eq!(root_of::<Vec<u8>>(&[]), empty_root());
		assert_eq!(root_of(&[b"a"]), commit(1, &leaf_hash(b"a")));
		assert!(proof::<Vec<u8>>(&[], 0).is_none());
	}

	#[test]
	fn three_leaves_promote_the_last() {
		let l = [b"a", b"b", b"c"];
		let ab = node_hash(&leaf_hash(b"a"), &leaf_hash(b"b"));
		let expected = commit(3, &node_hash(&ab, &leaf_hash(b"c")));
		assert_eq!(root_of(&l), expected);
		let p = proof(&l, 2).unwrap();
		assert_eq!(p.siblings, vec![ab]);
		assert!(verify(&expected, b"c", &p));
	}

	#[test]
	fn duplicating_the_last_leaf_changes_the_root() {
		// The classic odd-level duplication bug makes [a, b, c] and [a, b, c, c] collide.
		assert_ne!(root_of(&[b"a", b"b", b"c"]), root_of(&[b"a", b"b", b"c", b"c"]));
	}

	#[test]
	fn leaf_and_node_hashes_are_domain_separated() {
		let (a, b) = (leaf_hash(b"a"), leaf_hash(b"b"));
		let mut concat = a.to_vec();
		concat.extend_from_slice(&b);
		// A 64-byte leaf equal to two child hashes must not hash like their parent.
		assert_ne!(leaf_hash(&concat), node_hash(&a, &b));
	}

	#[test]
	fn proofs_with_extra_or_missing_siblings_fail() {
		let l = leaves(5);
		let r = root_of(&l);
		let mut p = proof(&l, 1).unwrap();
		assert!(verify(&r, &l[1], &p));
		p.siblings.push([7u8; 32]);
		assert!(!verify(&r, &l[1], &p));
		p.siblings.truncate(1);
		assert!(!verify(&r, &l[1], &p));
	}

	#[test]
	fn a_proof_does_not_verify_under_another_leaf_count() {
		// With 5 and 6 leaves, leaf 0 has the same path shape; the count in the root tells them
		// apart.
		let l = leaves(6);
		let r = root_of(&l);
		let mut p = proof(&l, 0).unwrap();
		p.leaf_count = 5;
		assert!(!verify(&r, &l[0], &p));
	}

	#[test]
	fn out_of_range_index_is_rejected() {
		let l = leaves(4);
		let r = root_of(&l);
		let mut p = proof(&l, 3).unwrap();
		p.leaf_index = 4;
		assert!(!verify(&r, &l[3], &p));
	}

	proptest! {
		#![proptest_config(ProptestConfig::with_cases(64))]

		#[test]
		fn every_proof_verifies(data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..40), 1..70)) {
			let r = root_of(&data);
			for (i, leaf) in data.iter().enumerate() {
				let p = proof(&data, i).unwrap();
				prop_assert!(verify(&r, leaf, &p));
				prop_assert_eq!(p.leaf_count as usize, data.len());
			}
			prop_assert!(proof(&data, data.len()).is_none());
		}

		#[test]
		fn tampering_is_detected(
			data in prop::collection::vec(prop::collection::vec(any::<u8>(), 1..40), 1..70),
			pick in any::<prop::sample::Index>(),
			other in 0usize..70,
			flip in any::<u8>(),
			delta in 1u32..8,
		) {
			let r = root_of(&data);
			let i = pick.index(data.len());
			let p = proof(&data, i).unwrap();
			// A modified leaf does not verify, and changes the root.
			let mut bad = data[i].clone();
			bad[0] ^= flip | 1;
			prop_assert!(!verify(&r, &bad, &p));
			let mut changed = data.clone();
			changed[i] = bad;
			prop_assert_ne!(root_of(&changed), r);
			// A proof moved to another position only verifies where that same leaf value is.
			let mut moved = p.clone();
			moved.leaf_index = (other % data.len()) as u32;
			if verify(&r, &data[i], &moved) {
				prop_assert_eq!(&data[moved.leaf_index as usize], &data[i]);
			}
			// A proof claiming another leaf count never verifies.
			let mut recount = p.clone();
			recount.leaf_count = recount.leaf_count.saturating_add(delta);
			prop_assert!(!verify(&r, &data[i], &recount));
		}

		#[test]
		fn root_from_hashes_matches(data in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..50)) {
			let hashes: Vec<Hash> = data.iter().map(|l| leaf_hash(l)).collect();
			prop_assert_eq!(root_from_leaf_hashes(hashes), root(&data));
		}
	}
}
