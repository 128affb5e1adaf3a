//! Block stuffing against federated learning (issue: "FL calls are Normal class without
//! priority: stuffing the blocks of the 5-block reveal phase with transfers earns honest workers
//! `NotRevealed` strikes").
//!
//! On the development preset, Alice's worker commits in round 0; in the first block of the
//! reveal phase an attacker fills the block with transfers until the normal class is exhausted
//! (the next transfer is rejected with `ExhaustsResources`). Alice's reveal is still applied in
//! that block, and the transaction pool ranks it above a transfer paying the same tip.
//!
//! The same with the block's *length*: large `system.remark`s fill the normal class's 3.75 MiB
//! in three transactions. With a fee of one planck per byte that cost 0.0003 GRID per block
//! (runtime 110), 5,000 times less than filling it by weight, and kept every order, reading and
//! transfer out of the chain for next to nothing; the byte fee now makes a block's normal-class
//! length cost at least what its normal-class weight costs.

#![allow(clippy::arithmetic_side_effects, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use codec::Encode;
use frame_support::{dispatch::DispatchClass, weights::WeightToFee as _};
use gridbrain_runtime::{
	AccountId, Balance, Executive, Header, Runtime, RuntimeCall, RuntimeEvent, SignedPayload, UncheckedExtrinsic,
	SLOT_DURATION, UNIT,
};
use pallet_federated_learning::{Phase, Rounds};
use sp_core::{crypto::Pair as _, ed25519, sr25519, H256};
use sp_runtime::{
	traits::{Hash as _, Header as _},
	transaction_validity::{InvalidTransaction, TransactionSource, TransactionValidityError},
	Digest, DigestItem, MultiAddress, MultiSignature,
};
use std::collections::HashMap;

struct Chain {
	parent: H256,
	nonces: HashMap<[u8; 32], u32>,
}

impl Chain {
	fn start_block(&mut self) {
		let number = frame_system::Pallet::<Runtime>::block_number() + 1;
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(
				sp_consensus_aura::AURA_ENGINE_ID,
				sp_consensus_aura::Slot::from(u64::from(number)).encode(),
			)],
		};
		Executive::initialize_block(&Header::new(number, H256::zero(), H256::zero(), self.parent, digest));
		let now = u64::from(number) * SLOT_DURATION;
		let inherent = UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set { now }));
		Executive::apply_extrinsic(inherent).unwrap().unwrap();
	}

	fn end_block(&mut self) {
		self.parent = Executive::finalize_block().hash();
	}

	fn next_block(&mut self) {
		self.end_block();
		self.start_block();
	}

	/// A signed extrinsic of `pair` with its next nonce and `tip`.
	fn signed(&mut self, pair: &sr25519::Pair, call: RuntimeCall, tip: Balance) -> UncheckedExtrinsic {
		let nonce = self.nonces.entry(pair.public().0).or_default();
		let ext = gridbrain_runtime::tx_extension(*nonce, tip);
		*nonce += 1;
		let payload = SignedPayload::new(call.clone(), ext.clone()).unwrap();
		let signature = payload.using_encoded(|p| pair.sign(p));
		UncheckedExtrinsic::new_signed(
			call,
			MultiAddress::Id(pair.public().into()),
			MultiSignature::Sr25519(signature),
			ext,
		)
	}

	/// Applies `call` signed by `pair` until the block has no room for another
	/// (`ExhaustsResources`); returns how many were applied, which must stay below `max`.
	fn stuff(&mut self, pair: &sr25519::Pair, call: &RuntimeCall, what: &str, max: u32) -> u32 {
		let mut applied = 0u32;
		loop {
			let xt = self.signed(pair, call.clone(), 0);
			match Executive::apply_extrinsic(xt) {
				Ok(r) => {
					r.unwrap();
					applied += 1;
				},
				Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)) => return applied,
				Err(e) => panic!("{what} {applied} rejected with {e:?}"),
			}
			assert!(applied < max, "the normal class never filled up");
		}
	}

	fn apply_ok(&mut self, pair: &sr25519::Pair, call: RuntimeCall) {
		let xt = self.signed(pair, call, 0);
		Executive::apply_extrinsic(xt).unwrap().unwrap();
	}

	fn phase(&self) -> Option<Phase> {
		Rounds::<Runtime>::get(0).map(|r| r.phase)
	}
}

fn dev(name: &str) -> sr25519::Pair {
	sr25519::Pair::from_string(&format!("//{name}"), None).unwrap()
}

/// Starts the development chain, registers Alice's worker, commits in round 0 and ends the
/// block before the reveal phase's first: the reveal and the parent hash to stuff against.
fn chain_at_reveal() -> (Chain, RuntimeCall) {
	let mut chain = Chain { parent: frame_system::BlockHash::<Runtime>::get(0), nonces: HashMap::new() };
	let alice = dev("Alice");
	let alice_account: [u8; 32] = alice.public().0;
	chain.start_block();
	let worker_key = ed25519::Pair::from_seed(&[7; 32]).public();
	chain.apply_ok(
		&alice,
		RuntimeCall::FederatedLearning(pallet_federated_learning::Call::register_worker {
			peer_id: b"12D3KooWAlice".to_vec().try_into().unwrap(),
			worker_key,
		}),
	);
	// Round 0 opens in a following block; commit in its commit phase.
	while chain.phase() != Some(Phase::Commit) {
		chain.next_block();
	}
	let (update_hash, salt) = (H256::repeat_byte(0xAB), H256::repeat_byte(0x5A));
	let commitment = sp_runtime::traits::BlakeTwo256::hash(
		&[update_hash.as_bytes(), salt.as_bytes(), &alice_account[..]].concat(),
	);
	chain.apply_ok(
		&alice,
		RuntimeCall::FederatedLearning(pallet_federated_learning::Call::commit_update { round: 0, commitment }),
	);
	while chain.phase() != Some(Phase::Reveal) {
		chain.next_block();
	}
	chain.end_block();
	let reveal = RuntimeCall::FederatedLearning(pallet_federated_learning::Call::reveal_update {
		round: 0,
		update_hash,
		salt,
		num_samples: 100,
		train_loss: 1,
	});
	(chain, reveal)
}

fn revealed_in_this_block() -> bool {
	frame_system::Pallet::<Runtime>::read_events_no_consensus().any(|r| {
		matches!(
			r.event,
			RuntimeEvent::FederatedLearning(pallet_federated_learning::Event::UpdateRevealed { round: 0, .. })
		)
	})
}

#[test]
fn transfers_filling_the_reveal_phase_do_not_keep_a_reveal_out() {
	let storage = common::preset_storage("development");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let (mut chain, reveal) = chain_at_reveal();
		let alice = dev("Alice");
		// The pool's view before the block: the reveal outranks a transfer with the same tip.
		let attacker = dev("Bob");
		let transfer = RuntimeCall::Balances(pallet_balances::Call::transfer_keep_alive {
			dest: MultiAddress::Id(dev("Charlie").public().into()),
			value: UNIT,
		});
		let priority = |xt: UncheckedExtrinsic, parent| {
			Executive::validate_transaction(TransactionSource::External, xt, parent).unwrap().priority
		};
		let reveal_xt = chain.signed(&alice, reveal.clone(), 0);
		let transfer_xt = chain.signed(&attacker, transfer.clone(), 0);
		let (reveal_priority, transfer_priority) =
			(priority(reveal_xt.clone(), chain.parent), priority(transfer_xt.clone(), chain.parent));
		assert!(
			reveal_priority > transfer_priority,
			"reveal priority {reveal_priority} must exceed a transfer's {transfer_priority}"
		);

		// The first block of the reveal phase, stuffed with the attacker's transfers.
		chain.start_block();
		Executive::apply_extrinsic(transfer_xt).unwrap().unwrap();
		let mut fees: Balance = 0;
		let free_before = frame_system::Account::<Runtime>::get(AccountId::from(attacker.public())).data.free;
		// The one applied above, and as many more as fit (fewer than 100,000 in all).
		let transfers = 1 + chain.stuff(&attacker, &transfer, "transfer", 99_999);
		let free_after = frame_system::Account::<Runtime>::get(AccountId::from(attacker.public())).data.free;
		fees += free_before - free_after - Balance::from(transfers - 1) * UNIT;
		let weights = <Runtime as frame_system::Config>::BlockWeights::get();
		let normal_max = weights.get(DispatchClass::Normal).max_total.unwrap();
		let used = frame_system::Pallet::<Runtime>::block_weight();
		assert!(
			used.get(DispatchClass::Normal).ref_time() * 100 > normal_max.ref_time() * 99,
			"the transfers filled the normal class: {:?} of {normal_max:?}",
			used.get(DispatchClass::Normal)
		);

		// Alice's reveal still goes in, in the same block.
		Executive::apply_extrinsic(reveal_xt).unwrap().unwrap();
		assert!(revealed_in_this_block(), "UpdateRevealed in the stuffed block");
		chain.end_block();
		assert_eq!(pallet_federated_learning::Reveals::<Runtime>::iter_prefix(0).count(), 1);
		let per_block = <Runtime as pallet_transaction_payment::Config>::WeightToFee::weight_to_fee(&normal_max);
		println!(
			"stuffing one block's normal class took {transfers} transfers and {:.3} GRID of fees \
			 (weight fee of the class alone: {:.3} GRID); the reveal was applied after them",
			fees as f64 / UNIT as f64,
			per_block as f64 / UNIT as f64
		);
	});
}

/// Bytes of each stuffing remark: three fill the normal class's length.
const REMARK_BYTES: usize = 1_200_000;

#[test]
fn remarks_filling_the_block_length_cost_at_least_the_weight_and_do_not_keep_a_reveal_out() {
	let storage = common::preset_storage("development");
	sp_io::TestExternalities::new(storage).execute_with(|| {
		let (mut chain, reveal) = chain_at_reveal();
		let alice = dev("Alice");
		let attacker = dev("Bob");
		let who = AccountId::from(attacker.public());
		let remark = RuntimeCall::System(frame_system::Call::remark { remark: vec![0xAB; REMARK_BYTES] });
		chain.start_block();
		let free_before = frame_system::Account::<Runtime>::get(&who).data.free;
		let remarks = chain.stuff(&attacker, &remark, "remark", 100);
		let fees = free_before - frame_system::Account::<Runtime>::get(&who).data.free;
		let length = <Runtime as frame_system::Config>::BlockLength::get();
		let normal_length = *length.max.get(DispatchClass::Normal);
		let used = frame_system::Pallet::<Runtime>::block_size();
		assert!(
			u64::from(used) + REMARK_BYTES as u64 > u64::from(normal_length),
			"the remarks filled the normal class's length: {used} of {normal_length} bytes"
		);
		// What the same block space costs by weight: the weight fee of the normal class.
		let weights = <Runtime as frame_system::Config>::BlockWeights::get();
		let normal_max = weights.get(DispatchClass::Normal).max_total.unwrap();
		let by_weight = <Runtime as pallet_transaction_payment::Config>::WeightToFee::weight_to_fee(&normal_max);
		assert!(
			fees >= by_weight,
			"filling a block by length ({remarks} remarks, {fees} planck) must cost at least filling it by weight ({by_weight})"
		);
		// Alice's reveal still goes in: operational transactions have their own quarter.
		let reveal_xt = chain.signed(&alice, reveal, 0);
		Executive::apply_extrinsic(reveal_xt).unwrap().unwrap();
		assert!(revealed_in_this_block(), "UpdateRevealed in the stuffed block");
		chain.end_block();
		println!(
			"stuffing one block's normal-class length took {remarks} remarks of {REMARK_BYTES} bytes and {:.3} GRID of fees \
			 (weight fee of the class: {:.3} GRID); the reveal was applied after them",
			fees as f64 / UNIT as f64,
			by_weight as f64 / UNIT as f64
		);
	});
}
