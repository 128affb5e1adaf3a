//! Block stuffing against federated learning (issue: "FL calls are Normal class without
//! priority: stuffing the blocks of the 5-block reveal phase with transfers earns honest workers
//! `NotRevealed` strikes").
//!
//! On the development preset, Alice's worker commits in round 0; in the first block of the
//! reveal phase an attacker fills the block with transfers until the normal class is exhausted
//! (the next transfer is rejected with `ExhaustsResources`). Alice's reveal is still applied in
//! that block, and the transaction pool ranks it above a transfer paying the same tip.

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

#[test]
fn transfers_filling_the_reveal_phase_do_not_keep_a_reveal_out() {
	let storage = common::preset_storage("development");
	sp_io::TestExternalities::new(storage).execute_with(|| {
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

		// The pool's view before the block: the reveal outranks a transfer with the same tip.
		let reveal = RuntimeCall::FederatedLearning(pallet_federated_learning::Call::reveal_update {
			round: 0,
			update_hash,
			salt,
			num_samples: 100,
			train_loss: 1,
		});
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
		let mut transfers = 1u32;
		let mut fees: Balance = 0;
		let free_before = frame_system::Account::<Runtime>::get(AccountId::from(attacker.public())).data.free;
		loop {
			let xt = chain.signed(&attacker, transfer.clone(), 0);
			match Executive::apply_extrinsic(xt) {
				Ok(r) => {
					r.unwrap();
					transfers += 1;
				},
				Err(TransactionValidityError::Invalid(InvalidTransaction::ExhaustsResources)) => break,
				Err(e) => panic!("transfer {transfers} rejected with {e:?}"),
			}
			assert!(transfers < 100_000, "the normal class never filled up");
		}
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
		let revealed = frame_system::Pallet::<Runtime>::read_events_no_consensus().any(|r| {
			matches!(
				r.event,
				RuntimeEvent::FederatedLearning(pallet_federated_learning::Event::UpdateRevealed { round: 0, .. })
			)
		});
		assert!(revealed, "UpdateRevealed in the stuffed block");
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
