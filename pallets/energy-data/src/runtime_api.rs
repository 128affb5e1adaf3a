//! Runtime API of the EnergyData pallet, for polkadot.js (`api.call.energyDataApi.*`), the
//! market's off-chain tools and auditors.

use crate::types::{DeviceId, EnergyDataBlock, IntervalIndex, ReadingProof};

sp_api::decl_runtime_apis! {
	/// Queries of sealed energy data.
	pub trait EnergyDataApi {
		/// The interval of the best block.
		fn current_interval() -> IntervalIndex;
		/// The sealed data block of an interval, if sealed.
		fn data_block(interval: IntervalIndex) -> Option<EnergyDataBlock>;
		/// A device's reading in a sealed interval and its Merkle proof against the block's
		/// `readings_root`; `None` if the interval is not sealed, the device has no reading in it,
		/// or the raw readings were already pruned.
		fn reading_proof(interval: IntervalIndex, device: DeviceId) -> Option<ReadingProof>;
	}
}
