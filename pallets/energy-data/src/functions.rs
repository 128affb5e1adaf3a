//! Internal logic of the EnergyData pallet: validation, sealing, pruning, queries, invariants.

use alloc::{collections::BTreeMap, vec::Vec};
use codec::Encode;
use frame_support::{
	pallet_prelude::*,
	traits::{
		fungible::MutateHold,
		tokens::Precision,
		Get,
	},
};
use sp_core::ed25519;
use frame_system::pallet_prelude::BlockNumberFor;
use sp_runtime::{traits::Zero, SaturatedConversion};
#[cfg(any(feature = "try-runtime", feature = "std", test))]
use {frame_support::traits::fungible::InspectHold, sp_runtime::Saturating};

use crate::{
	pallet::{
		Config, DeviceOf, Devices, DevicesByOwner, EnergyDataBlocks, Error, Event, HoldReason,
		MeterKeys, NextDeviceId, NextToPrune, NextToSeal, Pallet, ReadingCount, Readings,
	},
	types::*,
	WeightInfo, READING_PAYLOAD_TAG,
};

/// A validated reading waiting to be written.
struct Accepted {
	interval: IntervalIndex,
	device: DeviceId,
	values: MeterValues,
}

impl<T: Config> Pallet<T> {
	/// Registers a device for `owner` (see the `register_device` call).
	pub(crate) fn do_register_device(
		owner: T::AccountId,
		kind: DeviceKind,
		capacity_w: u32,
		zone: ZoneId,
		meter_key: ed25519::Public,
	) -> DispatchResult {
		ensure!(capacity_w > 0, Error::<T>::ZeroCapacity);
		ensure!(u32::from(zone) < T::MaxZones::get(), Error::<T>::InvalidZone);
		ensure!(!MeterKeys::<T>::contains_key(meter_key), Error::<T>::MeterKeyInUse);
		let mut owned = DevicesByOwner::<T>::get(&owner);
		let id = NextDeviceId::<T>::get();
		let next_id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		owned.try_push(id).map_err(|_| Error::<T>::TooManyDevices)?;
		let deposit = T::DeviceDeposit::get();
		T::Currency::hold(&HoldReason::DeviceDeposit.into(), &owner, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;

		let registered_in = Self::current_interval();
		Devices::<T>::insert(
			id,
			Device { owner: owner.clone(), kind, capacity_w, zone, meter_key, deposit, registered_in },
		);
		DevicesByOwner::<T>::insert(&owner, owned);
		MeterKeys::<T>::insert(meter_key, id);
		NextDeviceId::<T>::put(next_id);
		Self::deposit_event(Event::DeviceRegistered {
			device: id,
			owner,
			kind,
			capacity_w,
			zone,
			meter_key,
			deposit,
		});
		Ok(())
	}

	/// Retires `who`'s device (see the `retire_device` call).
	pub(crate) fn do_retire_device(who: T::AccountId, device_id: DeviceId) -> DispatchResult {
		let device = Self::active_device(device_id)?;
		ensure!(device.owner == who, Error::<T>::NotDeviceOwner);

		T::Currency::release(
			&HoldReason::DeviceDeposit.into(),
			&who,
			device.deposit,
			Precision::BestEffort,
		)?;
		DevicesByOwner::<T>::mutate_exists(&who, |owned| {
			if let Some(list) = owned {
				list.retain(|d| *d != device_id);
				if list.is_empty() {
					*owned = None;
				}
			}
		});
		MeterKeys::<T>::remove(device.meter_key);
		Devices::<T>::remove(device_id);
		Self::deposit_event(Event::DeviceRetired {
			device: device_id,
			owner: who,
			deposit: device.deposit,
		});
		Ok(())
	}

	/// The interval a block belongs to.
	pub fn interval_of(block: BlockNumberFor<T>) -> IntervalIndex {
		let block: u32 = block.saturated_into();
		// `integrity_test` guarantees IntervalBlocks > 0; `checked_div` keeps this panic-free.
		block.checked_div(T::IntervalBlocks::get()).unwrap_or_default()
	}

	/// The interval of the current block.
	pub fn current_interval() -> IntervalIndex {
		Self::interval_of(frame_system::Pallet::<T>::block_number())
	}

	/// The bytes a meter signs for a reading:
	/// `SCALE(READING_PAYLOAD_TAG, genesis_hash, device, interval, produced_wh, consumed_wh)`.
	pub fn reading_payload(
		device: DeviceId,
		interval: IntervalIndex,
		produced_wh: u64,
		consumed_wh: u64,
	) -> Vec<u8> {
		let genesis = frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero());
		(READING_PAYLOAD_TAG, genesis, device, interval, produced_wh, consumed_wh).encode()
	}

	/// The most energy (Wh) a device of `capacity_w` can produce or consume in one interval.
	pub fn physical_bound_wh(capacity_w: u32) -> u64 {
		let watt_seconds = u64::from(capacity_w).saturating_mul(u64::from(T::IntervalSeconds::get()));
		watt_seconds / 3600
	}

	/// The registered (not retired) device `id`, or why there is none.
	pub(crate) fn active_device(id: DeviceId) -> Result<DeviceOf<T>, Error<T>> {
		match Devices::<T>::get(id) {
			Some(d) => Ok(d),
			None if id < NextDeviceId::<T>::get() => Err(Error::<T>::DeviceRetired),
			None => Err(Error::<T>::UnknownDevice),
		}
	}

	/// Checks one reading against the chain state (but not against the rest of its batch).
	fn validate_reading(
		r: &SignedReading,
		current: IntervalIndex,
	) -> Result<MeterValues, Error<T>> {
		let device = Self::active_device(r.device)?;
		ensure!(r.interval < current, Error::<T>::IntervalNotEnded);
		let age = current.saturating_sub(r.interval);
		ensure!(age <= T::SubmissionWindow::get(), Error::<T>::SubmissionWindowClosed);
		ensure!(r.interval >= NextToSeal::<T>::get(), Error::<T>::SubmissionWindowClosed);
		ensure!(!Readings::<T>::contains_key(r.interval, r.device), Error::<T>::DuplicateReading);
		let bound = Self::physical_bound_wh(device.capacity_w);
		ensure!(r.produced_wh <= bound && r.consumed_wh <= bound, Error::<T>::ExceedsPhysicalBound);
		ensure!(r.produced_wh == 0 || device.kind.can_produce(), Error::<T>::ProductionOnConsumer);
		ensure!(r.consumed_wh == 0 || device.kind.can_consume(), Error::<T>::ConsumptionOnProducer);
		let payload = Self::reading_payload(r.device, r.interval, r.produced_wh, r.consumed_wh);
		ensure!(
			sp_io::crypto::ed25519_verify(&r.signature, &payload, &device.meter_key),
			Error::<T>::BadSignature
		);
		Ok(MeterValues { zone: device.zone, produced_wh: r.produced_wh, consumed_wh: r.consumed_wh })
	}

	/// Validates a whole batch, then stores it; returns the number of readings stored.
	pub(crate) fn do_submit_readings(readings: &[SignedReading]) -> Result<u32, DispatchError> {
		ensure!(!readings.is_empty(), Error::<T>::EmptyBatch);
		let count = u32::try_from(readings.len()).map_err(|_| Error::<T>::BatchTooLarge)?;
		ensure!(count <= T::MaxReadingsPerCall::get(), Error::<T>::BatchTooLarge);

		let current = Self::current_interval();
		let mut accepted = Vec::with_capacity(readings.len());
		let mut per_interval: BTreeMap<IntervalIndex, u32> = BTreeMap::new();
		let mut seen: BTreeMap<(IntervalIndex, DeviceId), ()> = BTreeMap::new();
		for r in readings {
			let values = Self::validate_reading(r, current)?;
			ensure!(seen.insert((r.interval, r.device), ()).is_none(), Error::<T>::DuplicateReading);
			let added = per_interval.entry(r.interval).or_insert(0);
			*added = added.checked_add(1).ok_or(Error::<T>::Overflow)?;
			accepted.push(Accepted { interval: r.interval, device: r.device, values });
		}
		let mut new_counts = Vec::with_capacity(per_interval.len());
		for (interval, added) in per_interval {
			let total =
				ReadingCount::<T>::get(interval).checked_add(added).ok_or(Error::<T>::Overflow)?;
			ensure!(total <= T::MaxReadingsPerInterval::get(), Error::<T>::IntervalFull);
			new_counts.push((interval, total));
		}

		// Verified: write.
		for a in accepted {
			Readings::<T>::insert(a.interval, a.device, a.values);
		}
		for (interval, total) in new_counts {
			ReadingCount::<T>::insert(interval, total);
		}
		Ok(count)
	}

	/// Seals the intervals whose submission window has closed and prunes expired readings, at
	/// most `MaxIntervalsPerBlock` of each. Returns the weight used.
	pub(crate) fn seal_and_prune(current: IntervalIndex) -> Weight {
		let max = T::MaxIntervalsPerBlock::get();
		let mut weight = T::WeightInfo::hook_idle();
		for _ in 0..max {
			let next = NextToSeal::<T>::get();
			// Interval `next` may be sealed once `current > next + SubmissionWindow`.
			if next.saturating_add(T::SubmissionWindow::get()) >= current {
				break;
			}
			let count = Self::seal_interval(next);
			weight = weight.saturating_add(T::WeightInfo::seal_interval(count));
		}
		let mut budget = T::MaxPrunedPerBlock::get();
		for _ in 0..max {
			let next = NextToPrune::<T>::get();
			// Prune `next` once `current >= next + RetentionIntervals`, and only when sealed.
			if budget == 0 ||
				next.saturating_add(T::RetentionIntervals::get()) > current ||
				next >= NextToSeal::<T>::get()
			{
				break;
			}
			let (removed, done) = Self::prune_interval(next, budget);
			weight = weight.saturating_add(T::WeightInfo::prune_interval(removed));
			budget = budget.saturating_sub(removed);
			if !done {
				break;
			}
		}
		weight
	}

	/// The readings of an interval, ascending by device id.
	fn sorted_readings(interval: IntervalIndex) -> Vec<(DeviceId, MeterValues)> {
		let mut readings: Vec<_> = Readings::<T>::iter_prefix(interval).collect();
		readings.sort_unstable_by_key(|(device, _)| *device);
		readings
	}

	/// The Merkle leaf of a reading.
	pub fn leaf(interval: IntervalIndex, device: DeviceId, v: &MeterValues) -> ReadingLeaf {
		ReadingLeaf {
			interval,
			device,
			zone: v.zone,
			produced_wh: v.produced_wh,
			consumed_wh: v.consumed_wh,
		}
	}

	/// Builds the data block of an interval from its stored readings.
	pub(crate) fn build_block(interval: IntervalIndex) -> EnergyDataBlock {
		let readings = Self::sorted_readings(interval);
		let mut per_zone: BTreeMap<ZoneId, ZoneTotals> = BTreeMap::new();
		let (mut produced, mut consumed) = (0u64, 0u64);
		let mut leaves = Vec::with_capacity(readings.len());
		for (device, v) in &readings {
			produced = produced.saturating_add(v.produced_wh);
			consumed = consumed.saturating_add(v.consumed_wh);
			let z = per_zone.entry(v.zone).or_insert(ZoneTotals { zone: v.zone, ..Default::default() });
			z.reading_count = z.reading_count.saturating_add(1);
			z.produced_wh = z.produced_wh.saturating_add(v.produced_wh);
			z.consumed_wh = z.consumed_wh.saturating_add(v.consumed_wh);
			leaves.push(gridbrain_merkle::leaf_hash(&Self::leaf(interval, *device, v).encode()));
		}
		let reading_count = u32::try_from(readings.len()).unwrap_or(u32::MAX);
		EnergyDataBlock {
			interval,
			reading_count,
			total_produced_wh: produced,
			total_consumed_wh: consumed,
			// At most MaxZones (≤ MAX_ZONES_BOUND) zones are possible, so nothing is truncated.
			per_zone: BoundedVec::truncate_from(per_zone.into_values().collect()),
			readings_root: gridbrain_merkle::root_from_leaf_hashes(leaves)
				.unwrap_or_else(gridbrain_merkle::empty_root),
		}
	}

	/// Seals one interval (the oldest unsealed one) and advances `NextToSeal`; returns its
	/// number of readings.
	pub(crate) fn seal_interval(interval: IntervalIndex) -> u32 {
		let block = Self::build_block(interval);
		let count = block.reading_count;
		Self::deposit_event(Event::EnergyDataBlockSealed {
			interval,
			reading_count: block.reading_count,
			total_produced_wh: block.total_produced_wh,
			total_consumed_wh: block.total_consumed_wh,
			readings_root: block.readings_root,
		});
		EnergyDataBlocks::<T>::insert(interval, block);
		NextToSeal::<T>::put(interval.saturating_add(1));
		count
	}

	/// Removes up to `limit` readings of an interval (the oldest unpruned one) and, once it is
	/// empty, advances `NextToPrune`; returns how many were removed and whether the interval is
	/// now fully pruned.
	pub(crate) fn prune_interval(interval: IntervalIndex, limit: u32) -> (u32, bool) {
		let keys: Vec<DeviceId> =
			Readings::<T>::iter_key_prefix(interval).take(limit as usize).collect();
		for device in &keys {
			Readings::<T>::remove(interval, device);
		}
		let removed = u32::try_from(keys.len()).unwrap_or(u32::MAX);
		let left = ReadingCount::<T>::get(interval).saturating_sub(removed);
		if left == 0 {
			ReadingCount::<T>::remove(interval);
			NextToPrune::<T>::put(interval.saturating_add(1));
			Self::deposit_event(Event::ReadingsPruned { interval });
		} else {
			ReadingCount::<T>::insert(interval, left);
		}
		(removed, left == 0)
	}

	/// The sealed block of an interval.
	pub fn data_block(interval: IntervalIndex) -> Option<EnergyDataBlock> {
		EnergyDataBlocks::<T>::get(interval)
	}

	/// A device's reading in a sealed interval with its Merkle proof, while the interval's
	/// readings are retained.
	pub fn reading_proof(interval: IntervalIndex, device: DeviceId) -> Option<ReadingProof> {
		EnergyDataBlocks::<T>::get(interval)?;
		let readings = Self::sorted_readings(interval);
		let index = readings.iter().position(|(d, _)| *d == device)?;
		let (_, values) = readings.get(index)?;
		let leaf = Self::leaf(interval, device, values);
		let hashes = readings
			.iter()
			.map(|(d, v)| gridbrain_merkle::leaf_hash(&Self::leaf(interval, *d, v).encode()))
			.collect();
		let proof = gridbrain_merkle::proof_from_leaf_hashes(hashes, index)?;
		Some(ReadingProof { leaf, proof })
	}

	/// A registered device.
	pub fn device(id: DeviceId) -> Option<DeviceOf<T>> {
		Devices::<T>::get(id)
	}

	/// Checks the pallet's invariants (see the crate docs).
	#[cfg(any(feature = "try-runtime", feature = "std", test))]
	pub fn do_try_state() -> Result<(), sp_runtime::TryRuntimeError> {
		let next_seal = NextToSeal::<T>::get();
		let next_prune = NextToPrune::<T>::get();
		ensure!(next_prune <= next_seal, "NextToPrune is ahead of NextToSeal");

		// Reading counts match the stored readings and respect the cap.
		let mut counted: BTreeMap<IntervalIndex, u32> = BTreeMap::new();
		for (interval, _, _) in Readings::<T>::iter() {
			ensure!(interval >= next_prune, "readings stored for a pruned interval");
			let c = counted.entry(interval).or_insert(0);
			*c = c.saturating_add(1);
		}
		for (interval, count) in ReadingCount::<T>::iter() {
			ensure!(
				counted.get(&interval).copied().unwrap_or(0) == count,
				"ReadingCount differs from the stored readings"
			);
			ensure!(count <= T::MaxReadingsPerInterval::get(), "interval above its reading cap");
		}
		for (interval, c) in &counted {
			ensure!(ReadingCount::<T>::get(interval) == *c, "readings without a ReadingCount");
		}

		// Sealing frontier and sealed blocks.
		for (interval, block) in EnergyDataBlocks::<T>::iter() {
			ensure!(interval < next_seal, "an interval at or after NextToSeal is sealed");
			ensure!(block.interval == interval, "sealed block stored under another interval");
			if interval >= next_prune {
				ensure!(
					Self::build_block(interval) == block,
					"sealed block differs from its stored readings"
				);
			}
		}
		let sealed = EnergyDataBlocks::<T>::iter_keys().count();
		ensure!(u32::try_from(sealed).ok() == Some(next_seal), "not every interval below NextToSeal is sealed");

		// Devices, owners, meter keys and deposits.
		let next_id = NextDeviceId::<T>::get();
		let mut deposits: BTreeMap<T::AccountId, crate::pallet::BalanceOf<T>> = BTreeMap::new();
		for (id, device) in Devices::<T>::iter() {
			ensure!(id < next_id, "device id not below NextDeviceId");
			ensure!(
				DevicesByOwner::<T>::get(&device.owner).contains(&id),
				"device missing from its owner's list"
			);
			ensure!(MeterKeys::<T>::get(device.meter_key) == Some(id), "meter key not mapped");
			let d = deposits.entry(device.owner.clone()).or_insert_with(Zero::zero);
			*d = d.saturating_add(device.deposit);
		}
		for (owner, list) in DevicesByOwner::<T>::iter() {
			ensure!(!list.is_empty(), "empty owner list kept in storage");
			for id in list.iter() {
				ensure!(
					Devices::<T>::get(id).map(|d| d.owner) == Some(owner.clone()),
					"owner lists a device it does not own"
				);
			}
			let held = T::Currency::balance_on_hold(&HoldReason::DeviceDeposit.into(), &owner);
			ensure!(
				deposits.get(&owner).copied().unwrap_or_else(Zero::zero) == held,
				"held deposit differs from the sum of the owner's device deposits"
			);
		}
		ensure!(
			MeterKeys::<T>::iter().count() == Devices::<T>::iter().count(),
			"meter keys without devices"
		);
		Ok(())
	}
}

/// Convenience for the runtime API and tests: verify a reading proof against a sealed block.
pub fn verify_reading_proof(block: &EnergyDataBlock, proof: &ReadingProof) -> bool {
	proof.leaf.interval == block.interval &&
		proof.proof.leaf_count == block.reading_count &&
		gridbrain_merkle::verify(&block.readings_root, &proof.leaf.encode(), &proof.proof)
}
