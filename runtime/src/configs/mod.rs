//! Configuration of every pallet in the runtime.

use frame_support::{
	derive_impl,
	dispatch::DispatchClass,
	parameter_types,
	traits::{ConstBool, ConstU128, ConstU32, ConstU64, ConstU8, VariantCountOf},
	weights::{
		constants::WEIGHT_REF_TIME_PER_SECOND,
		ConstantMultiplier, IdentityFee, Weight,
	},
};
use pallet_transaction_payment::{ConstFeeMultiplier, FungibleAdapter, Multiplier};
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use frame_support::PalletId;
use frame_system::EnsureRoot;
use sp_runtime::{
	traits::{AccountIdConversion, One},
	Perbill,
};
use sp_version::RuntimeVersion;

use super::{
	AccountId, Aura, Balance, Balances, Block, BlockNumber, Hash, Nonce, PalletInfo, Runtime,
	RuntimeCall, RuntimeEvent, RuntimeFreezeReason, RuntimeHoldReason, RuntimeOrigin, RuntimeTask,
	System, EXISTENTIAL_DEPOSIT, INTERVAL_BLOCKS, MICRO_UNIT, MILLISECS_PER_BLOCK, MILLI_UNIT, SLOT_DURATION,
	SS58_PREFIX,
	UNIT, VERSION,
};

/// Share of the block weight and length available to normal (user) transactions; the rest is
/// reserved for operational transactions and hooks.
const NORMAL_DISPATCH_RATIO: Perbill = Perbill::from_percent(75);

/// Maximum number of Aura/GRANDPA authorities.
pub const MAX_AUTHORITIES: u32 = 32;

parameter_types! {
	pub const BlockHashCount: BlockNumber = 2400;
	pub const Version: RuntimeVersion = VERSION;
	/// 2 seconds of compute per 6-second block, 75 % of it for normal transactions, with the
	/// block and extrinsic base weights measured on the same machine as every pallet's weights
	/// (`crate::weights`; FRAME's `with_sensible_defaults` uses Parity's reference constants)
	/// and the extrinsic base net of what the transaction extensions charge themselves.
	pub RuntimeBlockWeights: frame_system::limits::BlockWeights = {
		let block = Weight::from_parts(2u64 * WEIGHT_REF_TIME_PER_SECOND, u64::MAX);
		let normal = Weight::from_parts(
			NORMAL_DISPATCH_RATIO.mul_floor(block.ref_time()),
			NORMAL_DISPATCH_RATIO.mul_floor(block.proof_size()),
		);
		frame_system::limits::BlockWeights::builder()
			.base_block(crate::weights::BlockExecutionWeight::get())
			.for_class(DispatchClass::all(), |weights| {
				weights.base_extrinsic = crate::weights::extrinsic_base_weight();
			})
			.for_class(DispatchClass::Normal, |weights| {
				weights.max_total = Some(normal);
			})
			.for_class(DispatchClass::Operational, |weights| {
				weights.max_total = Some(block);
				weights.reserved = Some(block.saturating_sub(normal));
			})
			.avg_block_initialization(Perbill::from_percent(10))
			// Checked by `runtime/tests/config_sanity.rs`.
			.build_or_panic()
	};
	/// 5 MiB blocks, 75% of it for normal transactions.
	pub RuntimeBlockLength: frame_system::limits::BlockLength =
		frame_system::limits::BlockLength::builder()
			.max_length(5 * 1024 * 1024)
			.modify_max_length_for_class(DispatchClass::Normal, |max| {
				*max = NORMAL_DISPATCH_RATIO.mul_floor(*max)
			})
			.build();
	pub const SS58Prefix: u16 = SS58_PREFIX;
}

#[derive_impl(frame_system::config_preludes::SolochainDefaultConfig)]
impl frame_system::Config for Runtime {
	type Block = Block;
	type BlockWeights = RuntimeBlockWeights;
	type BlockLength = RuntimeBlockLength;
	type AccountId = AccountId;
	type Nonce = Nonce;
	type Hash = Hash;
	type BlockHashCount = BlockHashCount;
	/// The node is ParityDB-only, so weights use ParityDB's measured read/write costs.
	/// Measured on this chain's reference machine (see `crate::db_weights`).
	type DbWeight = crate::db_weights::constants::ParityDbWeight;
	type Version = Version;
	type AccountData = pallet_balances::AccountData<Balance>;
	type SS58Prefix = SS58Prefix;
	type MaxConsumers = ConstU32<16>;
	type SystemWeightInfo = crate::weights::frame_system::WeightInfo<Runtime>;
	type ExtensionsWeightInfo = crate::weights::frame_system_extensions::WeightInfo<Runtime>;
}

impl pallet_aura::Config for Runtime {
	type AuthorityId = AuraId;
	type DisabledValidators = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type AllowMultipleBlocksPerSlot = ConstBool<false>;
	type SlotDuration = pallet_aura::MinimumPeriodTimesTwo<Runtime>;
}

impl pallet_grandpa::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type WeightInfo = ();
	type MaxAuthorities = ConstU32<MAX_AUTHORITIES>;
	type MaxNominators = ConstU32<0>;
	type MaxSetIdSessionEntries = ConstU64<0>;
	type KeyOwnerProof = sp_core::Void;
	type EquivocationReportSystem = ();
}

impl pallet_timestamp::Config for Runtime {
	/// Milliseconds since the Unix epoch.
	type Moment = u64;
	type OnTimestampSet = Aura;
	type MinimumPeriod = ConstU64<{ SLOT_DURATION / 2 }>;
	type WeightInfo = crate::weights::pallet_timestamp::WeightInfo<Runtime>;
}

impl pallet_balances::Config for Runtime {
	type MaxLocks = ConstU32<50>;
	type MaxReserves = ();
	type ReserveIdentifier = [u8; 8];
	type Balance = Balance;
	type RuntimeEvent = RuntimeEvent;
	type DustRemoval = ();
	type ExistentialDeposit = ConstU128<EXISTENTIAL_DEPOSIT>;
	type AccountStore = System;
	type WeightInfo = crate::weights::pallet_balances::WeightInfo<Runtime>;
	type FreezeIdentifier = RuntimeFreezeReason;
	type MaxFreezes = VariantCountOf<RuntimeFreezeReason>;
	/// Holds (escrow, deposits) are keyed by the pallets' `HoldReason`s.
	type RuntimeHoldReason = RuntimeHoldReason;
	type RuntimeFreezeReason = RuntimeFreezeReason;
	type DoneSlashHandler = ();
}

parameter_types! {
	pub FeeMultiplier: Multiplier = Multiplier::one();
	/// Fee per byte of a transaction (0.5 µGRID): filling a block's normal-class length
	/// (3.75 MiB) costs 1.97 GRID, at least what filling its normal-class weight (1.5 s at one
	/// planck per picosecond) costs, so large transactions crowd out others no more cheaply
	/// than heavy ones (`runtime/tests/fl_block_space.rs`). At one planck per byte (runtime
	/// 110) three 1.2 MB remarks filled a block for 0.0003 GRID. A 150-byte order pays
	/// 0.000075 GRID for its bytes.
	pub const TransactionByteFee: Balance = MICRO_UNIT / 2;
}

impl pallet_transaction_payment::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type OnChargeTransaction = FungibleAdapter<Balances, ()>;
	type OperationalFeeMultiplier = ConstU8<5>;
	type WeightToFee = IdentityFee<Balance>;
	type LengthToFee = ConstantMultiplier<Balance, TransactionByteFee>;
	type FeeMultiplierUpdate = ConstFeeMultiplier<FeeMultiplier>;
	type WeightInfo = crate::weights::pallet_transaction_payment::WeightInfo<Runtime>;
}

impl pallet_sudo::Config for Runtime {
	type RuntimeEvent = RuntimeEvent;
	type RuntimeCall = RuntimeCall;
	type WeightInfo = crate::weights::pallet_sudo::WeightInfo<Runtime>;
}

/// Seconds per energy interval.
pub const INTERVAL_SECONDS: u32 = INTERVAL_BLOCKS * (MILLISECS_PER_BLOCK / 1000) as u32;

parameter_types! {
	/// Deposit held per registered device (pays for its storage).
	pub const DeviceDeposit: Balance = 10 * UNIT;
}

impl pallet_energy_data::Config for Runtime {
	/// Registrars are added and removed by sudo (governance on a production chain).
	type AdminOrigin = frame_system::EnsureRoot<AccountId>;
	/// Retiring a device or revoking its certificate cancels its open sell orders.
	type OnDeviceDisabled = crate::EnergyMarket;
	/// Raw readings are kept until the market has settled their interval.
	type ReadingsInUse = crate::EnergyMarket;
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type DeviceDeposit = DeviceDeposit;
	type IntervalBlocks = ConstU32<INTERVAL_BLOCKS>;
	type IntervalSeconds = ConstU32<INTERVAL_SECONDS>;
	/// Readings are accepted for the two intervals after the one they cover.
	type SubmissionWindow = ConstU32<2>;
	/// Raw readings are kept one day (1-minute intervals), then only the sealed blocks remain.
	type RetentionIntervals = ConstU32<{ 24 * 60 }>;
	type MaxDevicesPerAccount = ConstU32<64>;
	type MaxZones = ConstU32<16>;
	type MaxReadingsPerCall = ConstU32<1_000>;
	type MaxReadingsPerInterval = ConstU32<10_000>;
	type MaxIntervalsPerBlock = ConstU32<1>;
	type MaxPrunedPerBlock = ConstU32<2_000>;
	type WeightInfo = pallet_energy_data::weights::SubstrateWeight<Runtime>;
}

parameter_types! {
	/// Receives grid fees and imbalance charges (endowed at genesis so it always exists).
	pub GridOperatorAccount: AccountId = GRID_OPERATOR_PALLET_ID.into_account_truncating();
}

/// Seed of the grid operator's account.
pub const GRID_OPERATOR_PALLET_ID: PalletId = PalletId(*b"gb/gridp");

impl pallet_energy_market::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type AdminOrigin = EnsureRoot<AccountId>;
	type GridOperator = GridOperatorAccount;
	/// 0.5 GRID per kWh sold but not delivered.
	type ImbalancePrice = ConstU128<{ UNIT / 2 }>;
	/// Until the admin sets a band: prices up to 10 GRID per kWh.
	type DefaultPriceCap = ConstU128<{ 10 * UNIT }>;
	/// Gate closure one interval (1 min on dev/local) before delivery.
	type GateClosureIntervals = ConstU32<1>;
	/// Orders up to a day ahead.
	type MaxIntervalsAhead = ConstU32<{ 24 * 60 }>;
	/// Per delivery interval, zone and side (16 zones: 2,048 resting orders per side and
	/// interval); a full book takes a better-priced order by evicting its worst.
	type MaxOrdersPerBook = ConstU32<128>;
	/// 0.1 kWh: order quantities and trades are whole multiples of it.
	type TradeLotWh = ConstU64<100>;
	type MinOrderWh = ConstU64<100>;
	/// 0.001 GRID (the existential deposit): no order is worth nothing after rounding.
	type MinOrderValue = ConstU128<MILLI_UNIT>;
	/// 0.1 GRID held per resting order (about 230 bytes of order, book entry and index).
	type OrderDeposit = ConstU128<{ UNIT / 10 }>;
	/// With 20,000 trades per interval: at least 157 accounts to exhaust an interval.
	type MaxTakerTradesPerInterval = ConstU32<128>;
	type MaxFillsPerOrder = ConstU32<16>;
	type MaxOpenOrdersPerAccount = ConstU32<64>;
	type MaxOrdersPerDeviceInterval = ConstU32<8>;
	type MaxTradesPerInterval = ConstU32<20_000>;
	// 128 (256 before runtime 108): with the weights measured on the CI machine (2026-12-03)
	// the hooks' worst block stays within a quarter of the block weight
	// (`runtime/tests/config_sanity.rs`) while settlement keeps its 500 per block.
	type MaxExpiredPerBlock = ConstU32<128>;
	type MaxSettledPerBlock = ConstU32<500>;
	type MaxSettledPerCall = ConstU32<500>;
	type WeightInfo = pallet_energy_market::weights::SubstrateWeight<Runtime>;
}

/// The validators of the FederatedLearning pallet: the accounts whose 32 public-key bytes are
/// a current Aura authority key. A validator's account and its Aura key are the same sr25519
/// key in the `development` and `local` presets (`//Alice`, `//Bob`, …); an operator whose
/// session key differs registers the worker from the account of its Aura key.
pub struct AuraValidators;

impl pallet_federated_learning::ValidatorSet<AccountId> for AuraValidators {
	fn is_validator(who: &AccountId) -> bool {
		let raw: &[u8] = who.as_ref();
		pallet_aura::Authorities::<Runtime>::get().iter().any(|a| {
			let key: &[u8] = a.as_ref();
			key == raw
		})
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_validator(who: &AccountId) {
		let raw: [u8; 32] = who.clone().into();
		let id = AuraId::from(sp_core::sr25519::Public::from_raw(raw));
		pallet_aura::Authorities::<Runtime>::mutate(|a| {
			if a.is_full() && !a.is_empty() {
				// Benchmarks only: make room by dropping the oldest authority.
				let _ = a.remove(0);
			}
			let _ = a.try_push(id);
		});
	}
}

parameter_types! {
	/// Rounds of the FederatedLearning pallet until the admin changes them: commit 10 blocks
	/// (1 min for local training), reveal 5, attest 3, aggregate 5: a round every 2.3 minutes.
	pub const FlPhaseLengths: pallet_federated_learning::PhaseLengths =
		pallet_federated_learning::PhaseLengths { commit: 10, reveal: 5, attest: 3, aggregate: 5 };
	/// Trim a third at each end: robust to fewer than n/3 bad updates, the chain's own fault
	/// bound (with 3 workers this is the median).
	pub const FlDefaultRule: pallet_federated_learning::AggregationRule =
		pallet_federated_learning::AggregationRule::TrimmedMean { trim_ppm: 333_334 };
}

impl pallet_federated_learning::Config for Runtime {
	type Currency = Balances;
	type RuntimeHoldReason = RuntimeHoldReason;
	type Validators = AuraValidators;
	type AdminOrigin = EnsureRoot<AccountId>;
	/// 10 GRID per registered worker (its peer id and key are stored on chain).
	type WorkerDeposit = ConstU128<{ 10 * UNIT }>;
	type DefaultRule = FlDefaultRule;
	type MaxWorkers = ConstU32<MAX_AUTHORITIES>;
	type MaxPeerIdLen = ConstU32<64>;
	type DefaultPhaseLengths = FlPhaseLengths;
	type MinParticipants = ConstU32<1>;
	type StrikeThreshold = ConstU32<3>;
	/// One strike forgiven per 10 finalized rounds voted with the quorum (about 25 minutes).
	type StrikeDecayRounds = ConstU32<10>;
	/// Rounds (with their submissions) kept for queries: about half an hour.
	type HistoryDepth = ConstU32<16>;
	type WeightInfo = pallet_federated_learning::weights::SubstrateWeight<Runtime>;
}

/// The participants of the agreed dispatch: the FederatedLearning workers that would take part
/// in a round opening now (registered, their validator a current authority, fewer than
/// `StrikeThreshold` strikes); a worker account bound with `setWorkerAccount` submits for its
/// validator; the model version is the latest finalized global model's.
pub struct FlParticipants;

impl pallet_dispatch::Participants<AccountId> for FlParticipants {
	fn participants() -> alloc::vec::Vec<AccountId> {
		pallet_federated_learning::Pallet::<Runtime>::eligible_workers()
	}

	fn principal(signer: AccountId) -> AccountId {
		pallet_federated_learning::Pallet::<Runtime>::principal(signer)
	}

	fn model_version() -> Option<u64> {
		pallet_federated_learning::GlobalModel::<Runtime>::get().map(|m| u64::from(m.version))
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn add_participant(who: &AccountId) {
		use frame_support::traits::fungible::Mutate as _;
		use pallet_federated_learning::ValidatorSet as _;
		let _ = Balances::set_balance(who, 1_000 * UNIT);
		AuraValidators::add_validator(who);
		let raw: [u8; 32] = who.clone().into();
		// A distinct worker key and a maximal peer id per account.
		let key = sp_core::ed25519::Public::from_raw(raw.map(|b| b ^ 0x5a));
		let mut peer = raw.to_vec();
		peer.resize(64, 0xab);
		let _ = pallet_federated_learning::Pallet::<Runtime>::register_worker(
			RuntimeOrigin::signed(who.clone()),
			peer.try_into().unwrap_or_default(),
			key,
		);
	}

	#[cfg(feature = "runtime-benchmarks")]
	fn set_model_version(version: u64) {
		pallet_federated_learning::GlobalModel::<Runtime>::put(pallet_federated_learning::GlobalModelInfo {
			version: u32::try_from(version).unwrap_or(u32::MAX),
			round: 0,
			params_hash: Default::default(),
			participants: 0,
			votes: 0,
			total_samples: 0,
			mean_train_loss: 0,
			finalized_at: 0,
		});
	}
}

impl pallet_dispatch::Config for Runtime {
	type Participants = FlParticipants;
	type AdminOrigin = EnsureRoot<AccountId>;
	/// One per validator: FederatedLearning's `MaxWorkers`.
	type MaxParticipants = ConstU32<MAX_AUTHORITIES>;
	/// PGLib PEGASE 1354 has 260 generators; with 40 renewable units, 300 set-points.
	type MaxGenerators = ConstU32<512>;
	/// Plans for the next two intervals (1 minute each on dev/local).
	type SubmissionHorizon = ConstU32<2>;
	/// Agreed dispatches and their imbalances kept for a day of 1-minute intervals.
	type HistoryDepth = ConstU32<{ 24 * 60 }>;
	/// EnergyData seals one interval per block; two per block catch up after a stall.
	type MaxAccountedPerBlock = ConstU32<2>;
	type WeightInfo = pallet_dispatch::weights::SubstrateWeight<Runtime>;
}
