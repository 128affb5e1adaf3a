//! Weights of the FRAME pallets in the runtime and the block and extrinsic base weights,
//! measured on the same machine as gridbrain's own pallets (`pallets/*/src/weights.rs`) by
//! `scripts/benchmark-pallets.sh frame`. Generated files: regenerate, do not edit.
//!
//! A fee is `weight × IdentityFee` and a block admits 1.5 s of normal-class weight, so each
//! extrinsic's share of a block depends on its call's weight plus the extrinsic base weight
//! plus its transaction extensions' weights. Measured apart (FRAME's reference constants for
//! some, this machine for others), the shares would compare work done on different machines.

pub mod block_weights;
pub mod extrinsic_weights;
pub mod frame_system;
pub mod frame_system_extensions;
pub mod pallet_balances;
pub mod pallet_sudo;
pub mod pallet_timestamp;
pub mod pallet_transaction_payment;

pub use block_weights::BlockExecutionWeight;

use crate::{db_weights::constants::ParityDbWeight, Runtime};
use frame_support::weights::Weight;

/// What the transaction extensions' own weights charge for their execution, without their
/// database accesses (`CheckNonce` and `ChargeTransactionPayment` each read and write one
/// account: 2 reads, 2 writes).
pub fn extensions_execution() -> Weight {
	use ::frame_system::ExtensionsWeightInfo as _;
	use ::pallet_transaction_payment::WeightInfo as _;
	type System = frame_system_extensions::WeightInfo<Runtime>;
	type Payment = pallet_transaction_payment::WeightInfo<Runtime>;
	let checks = [
		System::check_non_zero_sender(),
		System::check_spec_version(),
		System::check_tx_version(),
		System::check_genesis(),
		System::check_mortality_mortal_transaction().max(System::check_mortality_immortal_transaction()),
		System::check_nonce(),
		System::check_weight(),
		Payment::charge_transaction_payment(),
	];
	checks
		.iter()
		.fold(Weight::zero(), |sum, w| sum.saturating_add(*w))
		.saturating_sub(ParityDbWeight::get().reads_writes(2, 2))
}

/// The base weight of every extrinsic: `benchmark overhead`'s figure for a signed
/// `System::remark` (signature check, `apply_extrinsic`, the transaction extensions and the
/// remark) less the extensions' execution, which each extension charges itself on top
/// (polkadot-sdk#9981: counted twice otherwise). What remains is mostly the signature check.
pub fn extrinsic_base_weight() -> Weight {
	extrinsic_weights::ExtrinsicBaseWeight::get().saturating_sub(extensions_execution())
}
