//! The pallets benchmarked by `gridbrain-node benchmark pallet`.

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_transaction_payment, TransactionPayment]
	[pallet_energy_data, EnergyData]
	[pallet_energy_market, EnergyMarket]
	[pallet_federated_learning, FederatedLearning]
	[pallet_dispatch, Dispatch]
);
