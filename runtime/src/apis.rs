//! Runtime APIs: what the node and clients (polkadot.js, the ml-worker) call into the runtime.

use alloc::vec::Vec;
use frame_support::{
	genesis_builder_helper::{build_state, get_preset},
	weights::Weight,
};
use pallet_grandpa::AuthorityId as GrandpaId;
use sp_api::impl_runtime_apis;
use sp_consensus_aura::sr25519::AuthorityId as AuraId;
use sp_core::{crypto::KeyTypeId, OpaqueMetadata};
use sp_runtime::{
	traits::{Block as BlockT, NumberFor},
	transaction_validity::{TransactionSource, TransactionValidity},
	ApplyExtrinsicResult, ExtrinsicInclusionMode,
};
use sp_version::RuntimeVersion;

use super::opaque::SessionKeys;

use super::{
	AccountId, Aura, Balance, Block, BlockNumber, Dispatch, EnergyData, EnergyMarket, Executive, FederatedLearning, Grandpa, InherentDataExt, Nonce, Runtime,
	RuntimeCall, RuntimeGenesisConfig, System, TransactionPayment, VERSION,
};

impl_runtime_apis! {
	impl sp_api::Core<Block> for Runtime {
		fn version() -> RuntimeVersion {
			VERSION
		}

		fn execute_block(block: <Block as BlockT>::LazyBlock) {
			Executive::execute_block(block)
		}

		fn initialize_block(header: &<Block as BlockT>::Header) -> ExtrinsicInclusionMode {
			Executive::initialize_block(header)
		}
	}

	impl sp_api::Metadata<Block> for Runtime {
		fn metadata() -> OpaqueMetadata {
			OpaqueMetadata::new(Runtime::metadata().into())
		}

		fn metadata_at_version(version: u32) -> Option<OpaqueMetadata> {
			Runtime::metadata_at_version(version)
		}

		fn metadata_versions() -> Vec<u32> {
			Runtime::metadata_versions()
		}
	}

	impl sp_block_builder::BlockBuilder<Block> for Runtime {
		fn apply_extrinsic(extrinsic: <Block as BlockT>::Extrinsic) -> ApplyExtrinsicResult {
			Executive::apply_extrinsic(extrinsic)
		}

		fn finalize_block() -> <Block as BlockT>::Header {
			Executive::finalize_block()
		}

		fn inherent_extrinsics(data: sp_inherents::InherentData) -> Vec<<Block as BlockT>::Extrinsic> {
			data.create_extrinsics()
		}

		fn check_inherents(
			block: <Block as BlockT>::LazyBlock,
			data: sp_inherents::InherentData,
		) -> sp_inherents::CheckInherentsResult {
			data.check_extrinsics(&block)
		}
	}

	impl sp_transaction_pool::runtime_api::TaggedTransactionQueue<Block> for Runtime {
		fn validate_transaction(
			source: TransactionSource,
			tx: <Block as BlockT>::Extrinsic,
			block_hash: <Block as BlockT>::Hash,
		) -> TransactionValidity {
			Executive::validate_transaction(source, tx, block_hash)
		}
	}

	impl sp_offchain::OffchainWorkerApi<Block> for Runtime {
		fn offchain_worker(header: &<Block as BlockT>::Header) {
			Executive::offchain_worker(header)
		}
	}

	impl sp_consensus_aura::AuraApi<Block, AuraId> for Runtime {
		fn slot_duration() -> sp_consensus_aura::SlotDuration {
			sp_consensus_aura::SlotDuration::from_millis(Aura::slot_duration())
		}

		fn authorities() -> Vec<AuraId> {
			pallet_aura::Authorities::<Runtime>::get().into_inner()
		}
	}

	impl sp_session::SessionKeys<Block> for Runtime {
		fn generate_session_keys(
			owner: Vec<u8>,
			seed: Option<Vec<u8>>,
		) -> sp_session::OpaqueGeneratedSessionKeys {
			SessionKeys::generate(&owner, seed).into()
		}

		fn decode_session_keys(encoded: Vec<u8>) -> Option<Vec<(Vec<u8>, KeyTypeId)>> {
			SessionKeys::decode_into_raw_public_keys(&encoded)
		}
	}

	impl sp_consensus_grandpa::GrandpaApi<Block> for Runtime {
		fn grandpa_authorities() -> sp_consensus_grandpa::AuthorityList {
			Grandpa::grandpa_authorities()
		}

		fn current_set_id() -> sp_consensus_grandpa::SetId {
			Grandpa::current_set_id()
		}

		fn submit_report_equivocation_unsigned_extrinsic(
			_equivocation_proof: sp_consensus_grandpa::EquivocationProof<
				<Block as BlockT>::Hash,
				NumberFor<Block>,
			>,
			_key_owner_proof: sp_consensus_grandpa::OpaqueKeyOwnershipProof,
		) -> Option<()> {
			// Equivocation reporting needs a session/offences stack this solochain does not run.
			None
		}

		fn generate_key_ownership_proof(
			_set_id: sp_consensus_grandpa::SetId,
			_authority_id: GrandpaId,
		) -> Option<sp_consensus_grandpa::OpaqueKeyOwnershipProof> {
			// `KeyOwnerProof` is the uninhabited `Void`: no proof can exist.
			None
		}
	}

	impl frame_system_rpc_runtime_api::AccountNonceApi<Block, AccountId, Nonce> for Runtime {
		fn account_nonce(account: AccountId) -> Nonce {
			System::account_nonce(account)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentApi<Block, Balance> for Runtime {
		fn query_info(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment_rpc_runtime_api::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_info(uxt, len)
		}
		fn query_fee_details(
			uxt: <Block as BlockT>::Extrinsic,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_fee_details(uxt, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_transaction_payment_rpc_runtime_api::TransactionPaymentCallApi<Block, Balance, RuntimeCall>
		for Runtime
	{
		fn query_call_info(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::RuntimeDispatchInfo<Balance> {
			TransactionPayment::query_call_info(call, len)
		}
		fn query_call_fee_details(
			call: RuntimeCall,
			len: u32,
		) -> pallet_transaction_payment::FeeDetails<Balance> {
			TransactionPayment::query_call_fee_details(call, len)
		}
		fn query_weight_to_fee(weight: Weight) -> Balance {
			TransactionPayment::weight_to_fee(weight)
		}
		fn query_length_to_fee(length: u32) -> Balance {
			TransactionPayment::length_to_fee(length)
		}
	}

	impl pallet_energy_data::runtime_api::EnergyDataApi<Block> for Runtime {
		fn current_interval() -> pallet_energy_data::IntervalIndex {
			EnergyData::current_interval()
		}

		fn data_block(
			interval: pallet_energy_data::IntervalIndex,
		) -> Option<pallet_energy_data::EnergyDataBlock> {
			EnergyData::data_block(interval)
		}

		fn reading_proof(
			interval: pallet_energy_data::IntervalIndex,
			device: pallet_energy_data::DeviceId,
		) -> Option<pallet_energy_data::ReadingProof> {
			EnergyData::reading_proof(interval, device)
		}
	}

	impl pallet_federated_learning::runtime_api::FederatedLearningApi<Block, AccountId, Balance, BlockNumber>
		for Runtime
	{
		fn current_round(
		) -> Option<pallet_federated_learning::RoundView<AccountId, BlockNumber>> {
			FederatedLearning::current_round_view()
		}

		fn round(
			index: pallet_federated_learning::RoundIndex,
		) -> Option<pallet_federated_learning::RoundView<AccountId, BlockNumber>> {
			FederatedLearning::round_view(index)
		}

		fn round_submissions(
			index: pallet_federated_learning::RoundIndex,
		) -> pallet_federated_learning::RoundSubmissions<AccountId> {
			FederatedLearning::round_submissions(index)
		}

		fn global_model() -> Option<pallet_federated_learning::GlobalModelInfo<BlockNumber>> {
			pallet_federated_learning::GlobalModel::<Runtime>::get()
		}

		fn workers(
		) -> Vec<pallet_federated_learning::runtime_api::WorkerView<AccountId, Balance, BlockNumber>> {
			FederatedLearning::workers_view()
		}

		fn strikes(who: AccountId) -> u32 {
			pallet_federated_learning::Strikes::<Runtime>::get(who)
		}
	}

	impl pallet_dispatch::runtime_api::DispatchApi<Block, AccountId, BlockNumber> for Runtime {
		fn grid_map() -> Option<pallet_dispatch::runtime_api::GridMapView> {
			Dispatch::grid_map_view()
		}

		fn dispatch_for(
			interval: pallet_energy_data::IntervalIndex,
		) -> Option<pallet_dispatch::runtime_api::DispatchView<BlockNumber>> {
			Dispatch::dispatch_view(interval)
		}

		fn pending_plans(
			interval: pallet_energy_data::IntervalIndex,
		) -> Option<pallet_dispatch::PendingView<AccountId>> {
			Dispatch::pending_view(interval)
		}

		fn recent(count: u32) -> Vec<pallet_dispatch::runtime_api::DispatchView<BlockNumber>> {
			Dispatch::recent_views(count)
		}
	}

	impl pallet_energy_market::runtime_api::EnergyMarketApi<Block, AccountId> for Runtime {
		fn order_book(
			interval: pallet_energy_market::IntervalIndex,
			zone: pallet_energy_market::ZoneId,
		) -> pallet_energy_market::OrderBookView<AccountId> {
			EnergyMarket::order_book(interval, zone)
		}

		fn open_orders(
			who: AccountId,
		) -> Vec<(pallet_energy_market::OrderId, pallet_energy_market::Order<AccountId>)> {
			EnergyMarket::open_orders(&who)
		}

		fn account_trades(
			who: AccountId,
			interval: pallet_energy_market::IntervalIndex,
		) -> Vec<(pallet_energy_market::TradeIndex, pallet_energy_market::Trade<AccountId>)> {
			EnergyMarket::account_trades(&who, interval)
		}

		fn interval_stats(
			interval: pallet_energy_market::IntervalIndex,
		) -> pallet_energy_market::IntervalStatsView {
			EnergyMarket::interval_stats(interval)
		}
	}

	impl sp_genesis_builder::GenesisBuilder<Block> for Runtime {
		fn build_state(config: Vec<u8>) -> sp_genesis_builder::Result {
			build_state::<RuntimeGenesisConfig>(config)
		}

		fn get_preset(id: &Option<sp_genesis_builder::PresetId>) -> Option<Vec<u8>> {
			get_preset::<RuntimeGenesisConfig>(id, crate::genesis_config_presets::get_preset)
		}

		fn preset_names() -> Vec<sp_genesis_builder::PresetId> {
			crate::genesis_config_presets::preset_names()
		}
	}

	#[cfg(feature = "runtime-benchmarks")]
	impl frame_benchmarking::Benchmark<Block> for Runtime {
		fn benchmark_metadata(extra: bool) -> (
			Vec<frame_benchmarking::BenchmarkList>,
			Vec<frame_support::traits::StorageInfo>,
		) {
			use frame_benchmarking::BenchmarkList;
			use frame_support::traits::StorageInfoTrait;
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use frame_benchmarking::baseline::Pallet as BaselineBench;
			use super::*;

			let mut list = Vec::<BenchmarkList>::new();
			list_benchmarks!(list, extra);

			let storage_info = AllPalletsWithSystem::storage_info();
			(list, storage_info)
		}

		#[allow(non_local_definitions)]
		fn dispatch_benchmark(
			config: frame_benchmarking::BenchmarkConfig,
		) -> Result<Vec<frame_benchmarking::BenchmarkBatch>, alloc::string::String> {
			use frame_benchmarking::{baseline, BenchmarkBatch};
			use frame_system_benchmarking::Pallet as SystemBench;
			use frame_system_benchmarking::extensions::Pallet as SystemExtensionsBench;
			use frame_support::traits::TrackedStorageKey;
			use frame_benchmarking::baseline::Pallet as BaselineBench;
			use super::*;

			impl frame_system_benchmarking::Config for Runtime {}
			impl pallet_transaction_payment::BenchmarkConfig for Runtime {}
			impl baseline::Config for Runtime {}

			use frame_support::traits::WhitelistedStorageKeys;
			let whitelist: Vec<TrackedStorageKey> = AllPalletsWithSystem::whitelisted_storage_keys();

			let mut batches = Vec::<BenchmarkBatch>::new();
			let params = (&config, &whitelist);
			add_benchmarks!(params, batches);

			Ok(batches)
		}
	}

	#[cfg(feature = "try-runtime")]
	impl frame_try_runtime::TryRuntime<Block> for Runtime {
		fn on_runtime_upgrade(checks: frame_try_runtime::UpgradeCheckSelect) -> (Weight, Weight) {
			let weight = Executive::try_runtime_upgrade(checks)
				.map_err(|e| alloc::format!("try_runtime_upgrade failed: {e:?}"));
			match weight {
				Ok(w) => (w, super::configs::RuntimeBlockWeights::get().max_block),
				// try-runtime is an off-chain tool: stopping loudly is the intended behaviour.
				#[allow(clippy::panic)]
				Err(e) => panic!("{e}"),
			}
		}

		fn execute_block(
			block: <Block as BlockT>::LazyBlock,
			state_root_check: bool,
			signature_check: bool,
			select: frame_try_runtime::TryStateSelect,
		) -> Weight {
			match Executive::try_execute_block(block, state_root_check, signature_check, select) {
				Ok(w) => w,
				#[allow(clippy::panic)]
				Err(e) => panic!("execute_block failed: {e:?}"),
			}
		}
	}
}
