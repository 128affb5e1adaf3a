//! Weights for `pallet_federated_learning`. PROVISIONAL: replaced by the output of
//! `scripts/benchmark-pallets.sh federated-learning`.

#![cfg_attr(rustfmt, rustfmt_skip)]
#![allow(unused_parens)]
#![allow(unused_imports)]
#![allow(missing_docs)]
#![allow(clippy::unnecessary_cast)]

use frame_support::{traits::Get, weights::{Weight, constants::RocksDbWeight}};
use core::marker::PhantomData;

/// Weight functions needed by `pallet_federated_learning`.
pub trait WeightInfo {
	fn register_worker() -> Weight;
	fn deregister_worker() -> Weight;
	fn commit_update() -> Weight;
	fn reveal_update() -> Weight;
	fn submit_aggregate(i: u32, ) -> Weight;
	fn submit_aggregate_finalize(p: u32, ) -> Weight;
	fn set_aggregation_rule() -> Weight;
	fn set_phase_lengths() -> Weight;
	fn reset_strikes() -> Weight;
	fn advance_phase() -> Weight;
	fn close_round(p: u32, ) -> Weight;
	fn open_round(w: u32, ) -> Weight;
}

/// Weights for `pallet_federated_learning` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
	fn register_worker() -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(5, 4)) }
	fn deregister_worker() -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(3, 4)) }
	fn commit_update() -> Weight { Weight::from_parts(30_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(2, 2)) }
	fn reveal_update() -> Weight { Weight::from_parts(40_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(3, 2)) }
	fn submit_aggregate(i: u32, ) -> Weight { Weight::from_parts(40_000_000, 4000).saturating_add(Weight::from_parts(5_000_000, 2600).saturating_mul(i.into())).saturating_add(T::DbWeight::get().reads_writes(3, 3)).saturating_add(T::DbWeight::get().reads((i as u64).into())) }
	fn submit_aggregate_finalize(p: u32, ) -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(Weight::from_parts(20_000_000, 8000).saturating_mul(p.into())).saturating_add(T::DbWeight::get().reads_writes(4, 4)).saturating_add(T::DbWeight::get().reads_writes((5 * p as u64).into(), (p as u64).into())) }
	fn set_aggregation_rule() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1)) }
	fn set_phase_lengths() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(T::DbWeight::get().writes(1)) }
	fn reset_strikes() -> Weight { Weight::from_parts(15_000_000, 2600).saturating_add(T::DbWeight::get().writes(1)) }
	fn advance_phase() -> Weight { Weight::from_parts(20_000_000, 4000).saturating_add(T::DbWeight::get().reads_writes(2, 1)) }
	fn close_round(p: u32, ) -> Weight { Weight::from_parts(20_000_000, 4000).saturating_add(Weight::from_parts(20_000_000, 8000).saturating_mul(p.into())).saturating_add(T::DbWeight::get().reads_writes((3 * p as u64).into(), (p as u64).into())) }
	fn open_round(w: u32, ) -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(Weight::from_parts(20_000_000, 5000).saturating_mul(w.into())).saturating_add(T::DbWeight::get().reads_writes(8, 10)).saturating_add(T::DbWeight::get().reads_writes((3 * w as u64).into(), (4 * w as u64).into())) }
}

// For backwards compatibility and tests.
impl WeightInfo for () {
	fn register_worker() -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(5, 4)) }
	fn deregister_worker() -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(3, 4)) }
	fn commit_update() -> Weight { Weight::from_parts(30_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(2, 2)) }
	fn reveal_update() -> Weight { Weight::from_parts(40_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(3, 2)) }
	fn submit_aggregate(i: u32, ) -> Weight { Weight::from_parts(40_000_000, 4000).saturating_add(RocksDbWeight::get().reads((3 + i as u64).into())) }
	fn submit_aggregate_finalize(p: u32, ) -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes((4 + 5 * p as u64).into(), (4 + p as u64).into())) }
	fn set_aggregation_rule() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1)) }
	fn set_phase_lengths() -> Weight { Weight::from_parts(10_000_000, 0).saturating_add(RocksDbWeight::get().writes(1)) }
	fn reset_strikes() -> Weight { Weight::from_parts(15_000_000, 2600).saturating_add(RocksDbWeight::get().writes(1)) }
	fn advance_phase() -> Weight { Weight::from_parts(20_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes(2, 1)) }
	fn close_round(p: u32, ) -> Weight { Weight::from_parts(20_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes((3 * p as u64).into(), (p as u64).into())) }
	fn open_round(w: u32, ) -> Weight { Weight::from_parts(60_000_000, 4000).saturating_add(RocksDbWeight::get().reads_writes((8 + 3 * w as u64).into(), (10 + 4 * w as u64).into())) }
}
