//! # gridbrain runtime
//!
//! The state transition function of the gridbrain solochain: peer-to-peer renewable-energy
//! trading backed by signed meter readings, plus the coordination of a federated-learning
//! dispatch model trained by the validators.
//!
//! ## Composition
//!
//! | index | pallet               | role                                                  |
//! |-------|----------------------|-------------------------------------------------------|
//! | 0     | `System`             | accounts, events, block bookkeeping                   |
//! | 1     | `Timestamp`          | block time (inherent)                                 |
//! | 2     | `Aura`               | block authoring (round-robin slots)                   |
//! | 3     | `Grandpa`            | finality                                              |
//! | 4     | `Balances`           | the native token, with holds                          |
//! | 5     | `TransactionPayment` | fees                                                  |
//! | 6     | `Sudo`               | admin origin on dev/local networks                    |
//! | 10    | `EnergyData`         | meters, signed readings, sealed energy data blocks    |
//! | 11    | `EnergyMarket`       | order books per interval, escrow, settlement          |
//!
//! Pallet indices are explicit and must never be reused or reordered (polkadot.js and every
//! signed transaction encode them).
//!
//! ## Time
//!
//! Blocks are [`MILLISECS_PER_BLOCK`] apart. Energy is accounted per *interval* of
//! [`INTERVAL_BLOCKS`] blocks (1 minute on dev/local networks).

#![cfg_attr(not(feature = "std"), no_std)]
// `construct_runtime`-style macros expand to large types.
#![recursion_limit = "256"]

#[cfg(feature = "std")]
include!(concat!(env!("OUT_DIR"), "/wasm_binary.rs"));

extern crate alloc;

pub mod apis;
#[cfg(feature = "runtime-benchmarks")]
mod benchmarks;
pub mod configs;
/// Database weights measured on the reference machine (`scripts/benchmark-storage.sh`).
pub mod db_weights;
pub mod genesis_config_presets;
pub mod weights;

use alloc::{borrow::Cow, vec::Vec};
use sp_runtime::{
	generic, impl_opaque_keys,
	traits::{BlakeTwo256, IdentifyAccount, Verify},
	MultiAddress, MultiSignature,
};
use sp_version::{runtime_version, RuntimeVersion};

pub use frame_system::Call as SystemCall;
pub use pallet_balances::Call as BalancesCall;
pub use pallet_timestamp::Call as TimestampCall;
#[cfg(any(feature = "std", test))]
pub use sp_runtime::BuildStorage;

pub use apis::RuntimeApi;

/// Opaque types used by the node, which does not need to know the runtime's extrinsic format.
pub mod opaque {
	use super::*;
	pub use sp_runtime::OpaqueExtrinsic as UncheckedExtrinsic;

	/// Opaque block header type.
	pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
	/// Opaque block type.
	pub type Block = generic::Block<Header, UncheckedExtrinsic>;
	/// Opaque block identifier type.
	pub type BlockId = generic::BlockId<Block>;

	impl_opaque_keys! {
		/// The session keys of a validator: Aura (sr25519) and GRANDPA (ed25519).
		pub struct SessionKeys {
			pub aura: Aura,
			pub grandpa: Grandpa,
		}
	}
}

/// Runtime version. Bump `spec_version` on every runtime change, and `transaction_version`
/// whenever call indices or argument encodings change.
#[runtime_version]
pub const VERSION: RuntimeVersion = RuntimeVersion {
	spec_name: Cow::Borrowed("gridbrain"),
	impl_name: Cow::Borrowed("gridbrain-node"),
	authoring_version: 1,
	spec_version: 116,
	impl_version: 1,
	apis: apis::RUNTIME_API_VERSIONS,
	transaction_version: 3,
	system_version: 1,
};

/// Target block time. Changing it after genesis bricks block production.
pub const MILLISECS_PER_BLOCK: u64 = 6000;
/// Aura slot duration, equal to the block time.
pub const SLOT_DURATION: u64 = MILLISECS_PER_BLOCK;

/// Blocks per minute.
pub const MINUTES: BlockNumber = 60_000 / (MILLISECS_PER_BLOCK as BlockNumber);
/// Blocks per hour.
pub const HOURS: BlockNumber = MINUTES * 60;
/// Blocks per day.
pub const DAYS: BlockNumber = HOURS * 24;

/// Blocks per energy accounting interval (1 minute on dev/local networks; a production network
/// would use 15 minutes).
pub const INTERVAL_BLOCKS: BlockNumber = MINUTES;

/// One whole token (12 decimals).
pub const UNIT: Balance = 1_000_000_000_000;
/// One thousandth of a token.
pub const MILLI_UNIT: Balance = 1_000_000_000;
/// One millionth of a token.
pub const MICRO_UNIT: Balance = 1_000_000;
/// Token symbol shown by wallets.
pub const TOKEN_SYMBOL: &str = "GRID";
/// Token decimals shown by wallets.
pub const TOKEN_DECIMALS: u8 = 12;
/// SS58 address prefix (42 = generic Substrate).
pub const SS58_PREFIX: u16 = 42;

/// Minimum balance an account must keep to exist.
pub const EXISTENTIAL_DEPOSIT: Balance = MILLI_UNIT;

/// Block number type.
pub type BlockNumber = u32;
/// Signature type of transactions.
pub type Signature = MultiSignature;
/// Account identifier: the public key of the signing scheme.
pub type AccountId = <<Signature as Verify>::Signer as IdentifyAccount>::AccountId;
/// Token balance.
pub type Balance = u128;
/// Transaction counter of an account.
pub type Nonce = u32;
/// Block and state hash.
pub type Hash = sp_core::H256;

/// The address format of transactions.
pub type Address = MultiAddress<AccountId, ()>;
/// Block header type.
pub type Header = generic::Header<BlockNumber, BlakeTwo256>;
/// Block type.
pub type Block = generic::Block<Header, UncheckedExtrinsic>;
/// Signed block with justifications.
pub type SignedBlock = generic::SignedBlock<Block>;
/// Block identifier.
pub type BlockId = generic::BlockId<Block>;

/// The transaction extensions checked for every signed transaction, in order.
pub type TxExtension = (
	frame_system::CheckNonZeroSender<Runtime>,
	frame_system::CheckSpecVersion<Runtime>,
	frame_system::CheckTxVersion<Runtime>,
	frame_system::CheckGenesis<Runtime>,
	frame_system::CheckEra<Runtime>,
	frame_system::CheckNonce<Runtime>,
	frame_system::CheckWeight<Runtime>,
	pallet_transaction_payment::ChargeTransactionPayment<Runtime>,
);

/// The extensions of an immortal signed transaction with `nonce` and `tip` (the order of
/// [`TxExtension`]), for tools and tests that build or price transactions.
pub fn tx_extension(nonce: Nonce, tip: Balance) -> TxExtension {
	(
		frame_system::CheckNonZeroSender::new(),
		frame_system::CheckSpecVersion::new(),
		frame_system::CheckTxVersion::new(),
		frame_system::CheckGenesis::new(),
		frame_system::CheckEra::from(generic::Era::Immortal),
		frame_system::CheckNonce::from(nonce),
		frame_system::CheckWeight::new(),
		pallet_transaction_payment::ChargeTransactionPayment::from(tip),
	)
}

/// Unchecked extrinsic type.
pub type UncheckedExtrinsic =
	generic::UncheckedExtrinsic<Address, RuntimeCall, Signature, TxExtension>;
/// The payload being signed in transactions.
pub type SignedPayload = generic::SignedPayload<RuntimeCall, TxExtension>;

/// Runtime migrations beyond those of the pallets. Each release lists its migrations here.
#[allow(unused_parens)]
type Migrations = (
	// 106: devices carry their meter certificate (EnergyData storage version 1 -> 2).
	pallet_energy_data::migrations::v2::MigrateV1ToV2<Runtime>,
	// 107: one order book per (interval, zone, side), order deposits (EnergyMarket 1 -> 2).
	pallet_energy_market::migrations::v2::MigrateV1ToV2<Runtime>,
	// 108: an index of the zone pairs, one read per order (EnergyMarket 2 -> 3).
	pallet_energy_market::migrations::v3::MigrateV2ToV3<Runtime>,
	// 110: an attest (availability) phase in every round (FederatedLearning 1 -> 2).
	pallet_federated_learning::migrations::v2::MigrateV1ToV2<Runtime>,
	// 113: an interval's trade count is its statistics' (EnergyMarket 3 -> 4: TradeCount gone).
	pallet_energy_market::migrations::v4::MigrateV3ToV4<Runtime>,
	// 116: a sell's fills count against its device's slot (EnergyMarket 4 -> 5).
	pallet_energy_market::migrations::v5::MigrateV4ToV5<Runtime>,
);

/// Executive: dispatches to the pallets.
pub type Executive = frame_executive::Executive<
	Runtime,
	Block,
	frame_system::ChainContext<Runtime>,
	Runtime,
	AllPalletsWithSystem,
	Migrations,
>;

#[frame_support::runtime]
mod runtime {
	#[runtime::runtime]
	#[runtime::derive(
		RuntimeCall,
		RuntimeEvent,
		RuntimeError,
		RuntimeOrigin,
		RuntimeFreezeReason,
		RuntimeHoldReason,
		RuntimeSlashReason,
		RuntimeLockId,
		RuntimeTask,
		RuntimeViewFunction
	)]
	pub struct Runtime;

	#[runtime::pallet_index(0)]
	pub type System = frame_system;

	#[runtime::pallet_index(1)]
	pub type Timestamp = pallet_timestamp;

	#[runtime::pallet_index(2)]
	pub type Aura = pallet_aura;

	#[runtime::pallet_index(3)]
	pub type Grandpa = pallet_grandpa;

	#[runtime::pallet_index(4)]
	pub type Balances = pallet_balances;

	#[runtime::pallet_index(5)]
	pub type TransactionPayment = pallet_transaction_payment;

	#[runtime::pallet_index(6)]
	pub type Sudo = pallet_sudo;

	#[runtime::pallet_index(10)]
	pub type EnergyData = pallet_energy_data;

	#[runtime::pallet_index(11)]
	pub type EnergyMarket = pallet_energy_market;

	#[runtime::pallet_index(12)]
	pub type FederatedLearning = pallet_federated_learning;

	#[runtime::pallet_index(13)]
	pub type Dispatch = pallet_dispatch;
}
