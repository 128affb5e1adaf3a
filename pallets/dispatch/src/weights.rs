//! Weights for `pallet_dispatch`: placeholder until `scripts/benchmark-pallets.sh dispatch`
//! regenerates this file.

#![allow(missing_docs)]

use core::marker::PhantomData;
use frame_support::{
    traits::Get,
    weights::{constants::RocksDbWeight, Weight},
};

/// Weight functions needed by `pallet_dispatch`.
pub trait WeightInfo {
    fn submit_plan() -> Weight;
    fn submit_plan_agree(p: u32) -> Weight;
    fn set_grid_map(p: u32) -> Weight;
    fn expire_plans(p: u32) -> Weight;
    fn account_interval() -> Weight;
}

/// Weights for `pallet_dispatch` using the runtime's database weights.
pub struct SubstrateWeight<T>(PhantomData<T>);
impl<T: frame_system::Config> WeightInfo for SubstrateWeight<T> {
    fn submit_plan() -> Weight {
        Weight::from_parts(100_000_000, 20_000)
            .saturating_add(T::DbWeight::get().reads_writes(40, 3))
    }
    fn submit_plan_agree(p: u32) -> Weight {
        Weight::from_parts(200_000_000, 20_000)
            .saturating_add(Weight::from_parts(5_000_000, 9_000).saturating_mul(p.into()))
            .saturating_add(T::DbWeight::get().reads_writes(40, 5))
            .saturating_add(
                T::DbWeight::get()
                    .reads_writes(1, 1)
                    .saturating_mul(p.into()),
            )
    }
    fn set_grid_map(p: u32) -> Weight {
        Weight::from_parts(50_000_000, 2_000)
            .saturating_add(T::DbWeight::get().reads_writes(20, 20))
            .saturating_add(T::DbWeight::get().writes(1).saturating_mul(p.into()))
    }
    fn expire_plans(p: u32) -> Weight {
        Weight::from_parts(30_000_000, 2_000)
            .saturating_add(T::DbWeight::get().reads_writes(1, 2))
            .saturating_add(T::DbWeight::get().writes(1).saturating_mul(p.into()))
    }
    fn account_interval() -> Weight {
        Weight::from_parts(60_000_000, 10_000).saturating_add(T::DbWeight::get().reads_writes(3, 4))
    }
}

// For backwards compatibility and tests.
impl WeightInfo for () {
    fn submit_plan() -> Weight {
        Weight::from_parts(100_000_000, 20_000)
            .saturating_add(RocksDbWeight::get().reads_writes(40, 3))
    }
    fn submit_plan_agree(p: u32) -> Weight {
        Weight::from_parts(200_000_000, 20_000)
            .saturating_add(Weight::from_parts(5_000_000, 9_000).saturating_mul(p.into()))
            .saturating_add(RocksDbWeight::get().reads_writes(40, 5))
    }
    fn set_grid_map(p: u32) -> Weight {
        Weight::from_parts(50_000_000, 2_000)
            .saturating_add(RocksDbWeight::get().writes(1).saturating_mul(p.into()))
    }
    fn expire_plans(p: u32) -> Weight {
        Weight::from_parts(30_000_000, 2_000)
            .saturating_add(RocksDbWeight::get().writes(1).saturating_mul(p.into()))
    }
    fn account_interval() -> Weight {
        Weight::from_parts(60_000_000, 10_000)
            .saturating_add(RocksDbWeight::get().reads_writes(3, 4))
    }
}
