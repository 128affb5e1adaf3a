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
use sp_runtime::{traits::Zero, DispatchErrorWithPostInfo, SaturatedConversion};
#[cfg(any(feature = "try-runtime", feature = "std", test))]
use {frame_support::traits::fungible::InspectHold, sp_runtime::Saturating};

use crate::{
	pallet::{
		Certificates, Config, DeviceOf, Devices, DevicesByOwner, EnergyDataBlocks, Error, Event,
		HoldReason, MeterKeys, NextDeviceId, NextToPrune, NextToSeal, Pallet, ReadingCount,
		Readings, Registrars,
	},
	types::*,
	OnDeviceDisabled, ReadingsInUse, WeightInfo, CERTIFICATE_PAYLOAD_TAG, POSSESSION_PAYLOAD_TAG,
	READING_PAYLOAD_TAG,
};

impl<T> From<ReadingRejection> for Error<T> {
	fn from(r: ReadingRejection) -> Self {
		match r {
			ReadingRejection::UnknownDevice => Error::UnknownDevice,
			ReadingRejection::DeviceRetired => Error::DeviceRetired,
			ReadingRejection::BeforeRegistration => Error::BeforeRegistration,
			ReadingRejection::IntervalNotEnded => Error::IntervalNotEnded,
			ReadingRejection::SubmissionWindowClosed => Error::SubmissionWindowClosed,
			ReadingRejection::DuplicateReading => Error::DuplicateReading,
			ReadingRejection::ExceedsPhysicalBound => Error::ExceedsPhysicalBound,
			ReadingRejection::ProductionOnConsumer => Error::ProductionOnConsumer,
			ReadingRejection::ConsumptionOnProducer => Error::ConsumptionOnProducer,
			ReadingRejection::CertificateExpired => Error::CertificateExpired,
			ReadingRejection::CertificateRevoked => Error::CertificateRevoked,
			ReadingRejection::BadSignature => Error::BadSignature,
			ReadingRejection::IntervalFull => Error::IntervalFull,
		}
	}
}

impl<T: Config> Pallet<T> {
	/// Registers a certified device for `owner` (see the `register_device` call).
	pub(crate) fn do_register_device(
		owner: T::AccountId,
		cert: MeterCertificate<T::AccountId>,
		registrar_signature: ed25519::Signature,
		proof_of_possession: ed25519::Signature,
	) -> DispatchResult {
		let registrar = Registrars::<T>::get(cert.registrar).ok_or(Error::<T>::UnknownRegistrar)?;
		ensure!(
			sp_io::crypto::ed25519_verify(
				&registrar_signature,
				&Self::certificate_payload(&cert),
				&registrar.key
			),
			Error::<T>::BadCertificateSignature
		);
		ensure!(cert.owner == owner, Error::<T>::CertificateOwnerMismatch);
		let current = Self::current_interval();
		ensure!(cert.valid_until >= current, Error::<T>::CertificateExpired);
		if let Some(status) = Certificates::<T>::get(cert.registrar, cert.serial) {
			ensure!(status.revoked_from.is_none(), Error::<T>::CertificateRevoked);
			return Err(Error::<T>::SerialReused.into());
		}
		ensure!(
			sp_io::crypto::ed25519_verify(
				&proof_of_possession,
				&Self::possession_payload(&owner, &cert),
				&cert.meter_key
			),
			Error::<T>::BadProofOfPossession
		);
		let MeterCertificate {
			registrar: registrar_id, serial, meter_key, kind, capacity_w, zone, valid_until, ..
		} = cert;
		let certificate = CertificateRef { registrar: registrar_id, serial, valid_until };
		let (id, deposit) =
			Self::insert_device(&owner, kind, capacity_w, zone, meter_key, certificate)?;
		Self::deposit_event(Event::DeviceRegistered {
			device: id,
			owner,
			kind,
			capacity_w,
			zone,
			meter_key,
			deposit,
			registrar: registrar_id,
			serial,
			valid_until,
		});
		Ok(())
	}

	/// Checks the device's own terms, holds the deposit and stores a device with a verified
	/// certificate; returns its id and deposit.
	fn insert_device(
		owner: &T::AccountId,
		kind: DeviceKind,
		capacity_w: u32,
		zone: ZoneId,
		meter_key: ed25519::Public,
		certificate: CertificateRef,
	) -> Result<(DeviceId, crate::pallet::BalanceOf<T>), DispatchError> {
		ensure!(capacity_w > 0, Error::<T>::ZeroCapacity);
		ensure!(u32::from(zone) < T::MaxZones::get(), Error::<T>::InvalidZone);
		ensure!(!MeterKeys::<T>::contains_key(meter_key), Error::<T>::MeterKeyInUse);
		let mut owned = DevicesByOwner::<T>::get(owner);
		let id = NextDeviceId::<T>::get();
		let next_id = id.checked_add(1).ok_or(Error::<T>::Overflow)?;
		owned.try_push(id).map_err(|_| Error::<T>::TooManyDevices)?;
		let deposit = T::DeviceDeposit::get();
		T::Currency::hold(&HoldReason::DeviceDeposit.into(), owner, deposit)
			.map_err(|_| Error::<T>::InsufficientDeposit)?;

		Devices::<T>::insert(
			id,
			Device {
				owner: owner.clone(),
				kind,
				capacity_w,
				zone,
				meter_key,
				deposit,
				registered_in: Self::current_interval(),
				certificate: Some(certificate),
				revoked_from: None,
			},
		);
		DevicesByOwner::<T>::insert(owner, owned);
		MeterKeys::<T>::insert(meter_key, id);
		NextDeviceId::<T>::put(next_id);
		Certificates::<T>::insert(
			certificate.registrar,
			certificate.serial,
			CertificateStatus { device: Some(id), revoked_from: None },
		);
		Ok((id, deposit))
	}

	/// For other pallets' benchmarks: stores a certified device as `register_device` would,
	/// without signatures (registrar `u32::MAX`, serial = device id, valid for ever).
	#[cfg(feature = "runtime-benchmarks")]
	pub fn benchmark_device(
		owner: &T::AccountId,
		kind: DeviceKind,
		capacity_w: u32,
		zone: ZoneId,
		meter_key: ed25519::Public,
	) -> Result<DeviceId, DispatchError> {
		let serial = NextDeviceId::<T>::get();
		let certificate =
			CertificateRef { registrar: RegistrarId::MAX, serial, valid_until: IntervalIndex::MAX };
		Self::insert_device(owner, kind, capacity_w, zone, meter_key, certificate).map(|(id, _)| id)
	}

	/// Retires `who`'s device (see the `retire_device` call); returns the weight of
	/// [`Config::OnDeviceDisabled`].
	pub(crate) fn do_retire_device(
		who: T::AccountId,
		device_id: DeviceId,
	) -> Result<Weight, DispatchError> {
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
		let hook = T::OnDeviceDisabled::on_device_disabled(device_id, &who);
		Self::deposit_event(Event::DeviceRetired {
			device: device_id,
			owner: who,
			deposit: device.deposit,
		});
		Ok(hook)
	}

	/// Revokes a certificate from the current interval on (see the `revoke_certificate` call;
	/// the origin is checked by the caller); returns the weight of [`Config::OnDeviceDisabled`].
	pub(crate) fn do_revoke_certificate(
		registrar: RegistrarId,
		serial: CertificateSerial,
	) -> Result<Weight, DispatchError> {
		let mut status = Certificates::<T>::get(registrar, serial).unwrap_or_default();
		ensure!(status.revoked_from.is_none(), Error::<T>::AlreadyRevoked);
		let from = Self::current_interval();
		status.revoked_from = Some(from);
		Certificates::<T>::insert(registrar, serial, status);
		let mut hook = Weight::zero();
		// The device may have been retired since; its status stays (the serial is spent).
		if let Some(id) = status.device {
			if let Some(mut device) = Devices::<T>::get(id) {
				device.revoked_from = Some(from);
				let owner = device.owner.clone();
				Devices::<T>::insert(id, device);
				hook = T::OnDeviceDisabled::on_device_disabled(id, &owner);
			}
		}
		Self::deposit_event(Event::CertificateRevoked {
			registrar,
			serial,
			device: status.device,
			from_interval: from,
		});
		Ok(hook)
	}

	/// The bytes a registrar signs for a meter certificate:
	/// `SCALE(CERTIFICATE_PAYLOAD_TAG, genesis_hash, certificate)`.
	pub fn certificate_payload(cert: &MeterCertificate<T::AccountId>) -> Vec<u8> {
		(CERTIFICATE_PAYLOAD_TAG, Self::genesis_hash(), cert).encode()
	}

	/// The bytes a meter key signs to prove possession for `owner`'s registration of `cert`:
	/// `SCALE(POSSESSION_PAYLOAD_TAG, genesis_hash, owner, blake2_256(SCALE(certificate)))`.
	pub fn possession_payload(owner: &T::AccountId, cert: &MeterCertificate<T::AccountId>) -> Vec<u8> {
		let cert_hash = sp_io::hashing::blake2_256(&cert.encode());
		(POSSESSION_PAYLOAD_TAG, Self::genesis_hash(), owner, cert_hash).encode()
	}

	fn genesis_hash() -> T::Hash {
		frame_system::Pallet::<T>::block_hash(BlockNumberFor::<T>::zero())
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
		(READING_PAYLOAD_TAG, Self::genesis_hash(), device, interval, produced_wh, consumed_wh)
			.encode()
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

	/// Checks one reading against the chain state and the readings accepted before it in its
	/// batch (`batch`). `Ok(None)`: an identical copy of an accepted reading, skipped silently.
	fn validate_reading(
		r: &SignedReading,
		current: IntervalIndex,
		batch: &BTreeMap<(IntervalIndex, DeviceId), MeterValues>,
	) -> Result<Option<MeterValues>, ReadingRejection> {
		let device = Self::active_device(r.device).map_err(|e| match e {
			Error::<T>::DeviceRetired => ReadingRejection::DeviceRetired,
			_ => ReadingRejection::UnknownDevice,
		})?;
		let values =
			MeterValues { zone: device.zone, produced_wh: r.produced_wh, consumed_wh: r.consumed_wh };
		ensure!(r.interval < current, ReadingRejection::IntervalNotEnded);
		let age = current.saturating_sub(r.interval);
		ensure!(age <= T::SubmissionWindow::get(), ReadingRejection::SubmissionWindowClosed);
		ensure!(r.interval >= NextToSeal::<T>::get(), ReadingRejection::SubmissionWindowClosed);
		ensure!(r.interval >= device.registered_in, ReadingRejection::BeforeRegistration);
		// An identical copy (same values; the stored one's signature verified) is harmless.
		let existing = batch
			.get(&(r.interval, r.device))
			.copied()
			.or_else(|| Readings::<T>::get(r.interval, r.device));
		if let Some(stored) = existing {
			return if stored == values { Ok(None) } else { Err(ReadingRejection::DuplicateReading) };
		}
		let bound = Self::physical_bound_wh(device.capacity_w);
		ensure!(
			r.produced_wh <= bound && r.consumed_wh <= bound,
			ReadingRejection::ExceedsPhysicalBound
		);
		ensure!(
			r.produced_wh == 0 || device.kind.can_produce(),
			ReadingRejection::ProductionOnConsumer
		);
		ensure!(
			r.consumed_wh == 0 || device.kind.can_consume(),
			ReadingRejection::ConsumptionOnProducer
		);
		if let Some(reason) = device.certificate_rejects(r.interval) {
			return Err(reason);
		}
		let payload = Self::reading_payload(r.device, r.interval, r.produced_wh, r.consumed_wh);
		ensure!(
			sp_io::crypto::ed25519_verify(&r.signature, &payload, &device.meter_key),
			ReadingRejection::BadSignature
		);
		Ok(Some(values))
	}

	/// The weight charged up front for a batch of `n` readings: the larger of all accepted and
	/// all but one skipped at their most expensive check.
	pub fn readings_weight_max(n: u32) -> Weight {
		T::WeightInfo::submit_readings(n)
			.max(Self::readings_weight(1, n.saturating_sub(1)))
	}

	/// The weight of a batch with `accepted` stored and `skipped` skipped readings (identical
	/// duplicates count as skipped).
	pub fn readings_weight(accepted: u32, skipped: u32) -> Weight {
		let per_skipped = T::WeightInfo::submit_readings_skipped(skipped)
			.saturating_sub(T::WeightInfo::submit_readings_skipped(0));
		T::WeightInfo::submit_readings(accepted.max(1)).saturating_add(per_skipped)
	}

	/// Stores the valid readings of a batch and skips the others (see the `submit_readings`
	/// call); fails with the first reading's error if none is stored.
	pub(crate) fn do_submit_readings(
		relayer: T::AccountId,
		readings: &[SignedReading],
	) -> DispatchResultWithPostInfo {
		ensure!(!readings.is_empty(), Error::<T>::EmptyBatch);
		let count = u32::try_from(readings.len()).map_err(|_| Error::<T>::BatchTooLarge)?;
		ensure!(count <= T::MaxReadingsPerCall::get(), Error::<T>::BatchTooLarge);

		let current = Self::current_interval();
		let mut accepted: BTreeMap<(IntervalIndex, DeviceId), MeterValues> = BTreeMap::new();
		let mut per_interval: BTreeMap<IntervalIndex, u32> = BTreeMap::new();
		let mut skipped: Vec<SkippedReading> = Vec::new();
		let mut by_reason: BTreeMap<ReadingRejection, u32> = BTreeMap::new();
		let mut first_error: Option<ReadingRejection> = None;
		let mut duplicates = 0u32;
		for (index, r) in (0u32..).zip(readings) {
			let outcome = Self::validate_reading(r, current, &accepted).and_then(|v| {
				let Some(values) = v else { return Ok(None) };
				let stored = match per_interval.get(&r.interval) {
					Some(n) => *n,
					None => ReadingCount::<T>::get(r.interval),
				};
				ensure!(stored < T::MaxReadingsPerInterval::get(), ReadingRejection::IntervalFull);
				per_interval.insert(r.interval, stored.saturating_add(1));
				Ok(Some(values))
			});
			match outcome {
				Ok(Some(values)) => {
					accepted.insert((r.interval, r.device), values);
				},
				Ok(None) => {
					duplicates = duplicates.saturating_add(1);
					first_error.get_or_insert(ReadingRejection::DuplicateReading);
				},
				Err(reason) => {
					skipped.push(SkippedReading { index, reason });
					let c = by_reason.entry(reason).or_insert(0);
					*c = c.saturating_add(1);
					first_error.get_or_insert(reason);
				},
			}
		}
		let n_accepted = u32::try_from(accepted.len()).unwrap_or(u32::MAX);
		let n_skipped = count.saturating_sub(n_accepted);
		let weight = Self::readings_weight(n_accepted, n_skipped);
		if accepted.is_empty() {
			let error: Error<T> = first_error.unwrap_or(ReadingRejection::DuplicateReading).into();
			return Err(DispatchErrorWithPostInfo {
				post_info: Some(weight).into(),
				error: error.into(),
			});
		}
		for ((interval, device), values) in accepted {
			Readings::<T>::insert(interval, device, values);
		}
		for (interval, total) in per_interval {
			ReadingCount::<T>::insert(interval, total);
		}
		Self::deposit_event(Event::ReadingsSubmitted {
			relayer,
			accepted: n_accepted,
			duplicates,
			// At most `count ≤ MaxReadingsPerCall` entries, and one per reason: nothing is cut.
			skipped: BoundedVec::truncate_from(skipped),
			skipped_by_reason: BoundedVec::truncate_from(
				by_reason.into_iter().map(|(reason, count)| RejectionCount { reason, count }).collect(),
			),
		});
		Ok(Some(weight).into())
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
			// Prune `next` once `current >= next + RetentionIntervals`, only when sealed, and
			// never while its readings are still needed (an unsettled market backlog).
			weight = weight.saturating_add(T::DbWeight::get().reads(1));
			if budget == 0 ||
				next.saturating_add(T::RetentionIntervals::get()) > current ||
				next >= NextToSeal::<T>::get() ||
				T::ReadingsInUse::oldest_needed().is_some_and(|oldest| next >= oldest)
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

		// Certificates: a certified device's status names it and agrees on revocation.
		for (id, device) in Devices::<T>::iter() {
			let Some(c) = device.certificate else {
				ensure!(device.revoked_from.is_none(), "uncertified device marked revoked");
				continue;
			};
			let status = Certificates::<T>::get(c.registrar, c.serial)
				.ok_or("certified device without a certificate status")?;
			ensure!(status.device == Some(id), "certificate status names another device");
			ensure!(status.revoked_from == device.revoked_from, "revocation differs");
		}
		for (registrar, serial, status) in Certificates::<T>::iter() {
			ensure!(
				status.device.is_some() || status.revoked_from.is_some(),
				"certificate status that neither registered nor revoked"
			);
			if let Some(device) = status.device.and_then(Devices::<T>::get) {
				ensure!(
					device.certificate.map(|c| (c.registrar, c.serial)) == Some((registrar, serial)),
					"certificate status names a device with another certificate"
				);
			}
		}
		Ok(())
	}
}

/// Convenience for the runtime API and tests: verify a reading proof against a sealed block.
pub fn verify_reading_proof(block: &EnergyDataBlock, proof: &ReadingProof) -> bool {
	proof.leaf.interval == block.interval &&
		proof.proof.leaf_count == block.reading_count &&
		gridbrain_merkle::verify(&block.readings_root, &proof.leaf.encode(), &proof.proof)
}
