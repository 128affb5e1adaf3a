//! Turns fuzzer bytes into actions: calls of every pallet with arguments drawn near the values
//! the chain's state makes interesting (its devices, orders, rounds and intervals), so that
//! random bytes reach trades, sealing, settlement and finalized rounds, not just decode errors.
//!
//! Every choice reads from [`Unstructured`]; when the bytes run out the choices fall back to
//! their first option and the input ends, so a shorter input is a prefix of the same run.

use arbitrary::{Result, Unstructured};
use codec::{DecodeLimit, Encode};
use frame_support::BoundedVec;
use frame_support::traits::Get;
use gridbrain_runtime::{AccountId, Balance, Runtime, RuntimeCall, EXISTENTIAL_DEPOSIT, UNIT};
use pallet_energy_data::{DeviceKind, IntervalIndex, MeterCertificate, SignedReading};
use pallet_energy_market::Side;
use pallet_federated_learning::AggregationRule;
use sp_core::{Pair, H256};
use sp_runtime::MultiAddress;

use crate::{actors::REGISTRARS, Harness};

/// Nesting depth allowed when decoding a raw call (sudo inside sudo …).
const RAW_CALL_DEPTH: u32 = 8;

/// One step of a fuzz input.
#[derive(Debug, Clone)]
pub enum Action {
	/// Close the current block, produce `n - 1` empty blocks, open a new one.
	Advance(u32),
	/// A signed transaction.
	Signed {
		/// Index into [`crate::actors::Actors`].
		signer: usize,
		/// The call.
		call: RuntimeCall,
		/// Added to the signer's next nonce (0 is the valid one).
		nonce_skew: u32,
		/// Tip paid on top of the fee.
		tip: Balance,
	},
	/// A bare (unsigned) extrinsic. gridbrain has no unsigned calls besides inherents, so every
	/// one must be rejected without effect.
	Bare(RuntimeCall),
	/// Several signed transactions in a row (a flood of orders into one book).
	Many(Vec<Action>),
}

fn pick<T: Copy>(u: &mut Unstructured, options: &[T]) -> Result<T> {
	u.choose(options).copied()
}

fn amount(u: &mut Unstructured) -> Result<Balance> {
	Ok(match u.int_in_range(0u8..=13)? {
		0 => 0,
		1 => 1,
		2 => EXISTENTIAL_DEPOSIT - 1,
		3 => EXISTENTIAL_DEPOSIT,
		4 => UNIT,
		5 => 1_000 * UNIT,
		6 => gridbrain_runtime::genesis_config_presets::ENDOWMENT,
		7 => u128::MAX,
		_ => u.int_in_range(0..=1_000 * UNIT)?,
	})
}

/// A price per kWh: mostly one of a few valid ones (so that bids and asks cross), sometimes an
/// edge or an invalid one.
fn price(u: &mut Unstructured) -> Result<Balance> {
	Ok(match u.int_in_range(0u8..=15)? {
		0 => 0,
		1 => 1,
		2 => 10 * UNIT,
		3 => 10 * UNIT + 1,
		4 => u.int_in_range(1..=20 * UNIT)?,
		_ => pick(u, &[UNIT / 10, UNIT / 2, UNIT, 2 * UNIT])?,
	})
}

/// An order quantity: mostly whole lots of 100 Wh, sometimes an edge or an invalid one.
fn quantity_wh(u: &mut Unstructured) -> Result<u64> {
	Ok(match u.int_in_range(0u8..=31)? {
		0 => 0,
		1 => 99,
		2 => 150,
		3 => u64::MAX,
		4..=7 => 100 * u.int_in_range(1u64..=100)?,
		_ => 100 * u.int_in_range(1u64..=5)?,
	})
}

/// A zone: mostly 0 or 1, so that orders meet; any of the 16 valid ones (0..=15) or an invalid
/// one (16, 17) otherwise.
fn zone(u: &mut Unstructured) -> Result<u16> {
	if u.ratio(2u8, 3)? {
		return pick(u, &[0, 1]);
	}
	u.int_in_range(0u16..=17)
}

fn offset_interval(base: IntervalIndex, delta: i64) -> IntervalIndex {
	(i64::from(base) + delta).clamp(0, i64::from(u32::MAX)) as IntervalIndex
}

impl Harness<'_> {
	/// Draws the next action; `Err` when the input is exhausted.
	pub fn next_action(&mut self, u: &mut Unstructured) -> Result<Action> {
		if u.is_empty() {
			return Err(arbitrary::Error::NotEnoughData);
		}
		match u.int_in_range(0u8..=99)? {
			// About two actions per block; sometimes a gap across intervals and phases.
			0..=9 => Ok(Action::Advance(pick(u, &[1, 1, 1, 1, 1, 2, 3, 5, 10, 25])?)),
			10..=11 => Ok(Action::Bare(self.raw_call(u)?)),
			12 if u.ratio(1u8, 8)? => self.flood(u),
			_ => {
				let (signer, call) = self.signed_call(u)?;
				let nonce_skew = if u.ratio(1u8, 40)? { u.int_in_range(1..=3)? } else { 0 };
				let tip = if u.ratio(1u8, 10)? { amount(u)? } else { 0 };
				Ok(Action::Signed { signer, call, nonce_skew, tip })
			},
		}
	}

	/// More orders than a book holds, into one (interval, zone, side), from rotating accounts,
	/// each priced better than the last: the book fills, then every order evicts its worst.
	fn flood(&mut self, u: &mut Unstructured) -> Result<Action> {
		let side = if u.arbitrary()? { Side::Buy } else { Side::Sell };
		let zone = zone(u)?;
		let interval = offset_interval(self.current_interval(), 2);
		let max: u32 = <Runtime as pallet_energy_market::Config>::MaxOrdersPerBook::get();
		let count = max.saturating_add(u.int_in_range(1u32..=8)?);
		// Sellers need a producing device in the zone; buyers are every funded signer.
		let signers: Vec<usize> = match side {
			Side::Sell => {
				let mut owners: Vec<usize> = pallet_energy_data::Devices::<Runtime>::iter_values()
					.filter(|d| d.zone == zone && d.kind.can_produce())
					.filter_map(|d| self.actors.index_of(&d.owner))
					.collect();
				owners.sort_unstable();
				owners.dedup();
				owners
			},
			Side::Buy => (0..self.actors.len()).collect(),
		};
		if signers.is_empty() {
			return Ok(Action::Advance(1));
		}
		let actions = (0..count)
			.map(|i| {
				// Buys rise and sells fall from 0.1 GRID/kWh in steps of 0.001, within the band.
				let step = UNIT / 1_000 * Balance::from(i);
				let price_per_kwh = match side {
					Side::Buy => UNIT / 10 + step,
					Side::Sell => (UNIT / 2).saturating_sub(step).max(1),
				};
				Action::Signed {
					signer: signers[i as usize % signers.len()],
					call: RuntimeCall::EnergyMarket(pallet_energy_market::Call::place_order {
						side,
						zone,
						interval,
						quantity_wh: 100,
						price_per_kwh,
					}),
					nonce_skew: 0,
					tip: 0,
				}
			})
			.collect();
		Ok(Action::Many(actions))
	}

	fn any_signer(&self, u: &mut Unstructured) -> Result<usize> {
		u.choose_index(self.actors.len())
	}

	fn account(&self, u: &mut Unstructured) -> Result<AccountId> {
		Ok(self.actors.accounts[self.any_signer(u)?].clone())
	}

	/// The signer index of `who`, or a random signer when the fuzzer lacks its key.
	fn signer_of(&self, u: &mut Unstructured, who: &AccountId) -> Result<usize> {
		match self.actors.index_of(who) {
			Some(i) if !u.ratio(1u8, 8)? => Ok(i),
			_ => self.any_signer(u),
		}
	}

	fn signed_call(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		match u.int_in_range(0u8..=99)? {
			0..=7 => self.balances_call(u),
			8..=29 => self.energy_data_call(u),
			30..=57 => self.market_call(u),
			58..=71 => self.fl_call(u),
			72..=77 => self.dispatch_call(u),
			78..=90 => {
				let inner = self.admin_call(u)?;
				self.sudo(u, inner)
			},
			91..=94 => Ok((self.any_signer(u)?, self.raw_call(u)?)),
			95..=96 => {
				let inner = self.raw_call(u)?;
				self.sudo(u, inner)
			},
			97 => {
				// sudo_as: root dispatching as another (signed) origin.
				let (who, inner) = self.signed_call_without_sudo(u)?;
				let who = MultiAddress::Id(self.actors.accounts[who].clone());
				let call = RuntimeCall::Sudo(pallet_sudo::Call::sudo_as { who, call: Box::new(inner) });
				Ok((self.sudo_signer(u)?, call))
			},
			_ => Ok((
				self.any_signer(u)?,
				RuntimeCall::System(frame_system::Call::remark_with_event {
					remark: {
						let len = u.int_in_range(0..=64)?;
						u.bytes(len)?.to_vec()
					},
				}),
			)),
		}
	}

	fn signed_call_without_sudo(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		match u.int_in_range(0u8..=3)? {
			0 => self.balances_call(u),
			1 => self.energy_data_call(u),
			2 => self.market_call(u),
			_ => self.fl_call(u),
		}
	}

	/// The current sudo key's signer, or (rarely) someone else, who must get `RequireSudo`.
	fn sudo_signer(&self, u: &mut Unstructured) -> Result<usize> {
		match pallet_sudo::Key::<Runtime>::get() {
			Some(key) => self.signer_of(u, &key),
			None => self.any_signer(u),
		}
	}

	fn sudo(&self, u: &mut Unstructured, inner: RuntimeCall) -> Result<(usize, RuntimeCall)> {
		let call = if u.ratio(1u8, 30)? {
			RuntimeCall::Sudo(pallet_sudo::Call::set_key {
				new: MultiAddress::Id(self.account(u)?),
			})
		} else {
			RuntimeCall::Sudo(pallet_sudo::Call::sudo { call: Box::new(inner) })
		};
		Ok((self.sudo_signer(u)?, call))
	}

	/// Any call of the runtime decoded from fuzzer bytes, with a real pallet index first so the
	/// decoder gets past the first byte.
	fn raw_call(&self, u: &mut Unstructured) -> Result<RuntimeCall> {
		const PALLETS: [u8; 10] = [0, 1, 2, 3, 4, 5, 6, 10, 11, 12];
		let mut bytes = vec![pick(u, &PALLETS)?, u.int_in_range(0u8..=12)?];
		let len = u.int_in_range(0..=96)?;
		bytes.extend_from_slice(u.bytes(len)?);
		let decoded = RuntimeCall::decode_with_depth_limit(RAW_CALL_DEPTH, &mut &bytes[..]);
		Ok(decoded.unwrap_or(RuntimeCall::System(frame_system::Call::remark { remark: bytes })))
	}

	fn balances_call(&self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		let dest = MultiAddress::Id(self.account(u)?);
		// Draining calls are rare: accounts that cannot pay fees exercise little else.
		let call = match u.int_in_range(0u8..=19)? {
			0 => pallet_balances::Call::transfer_all { dest, keep_alive: u.arbitrary()? },
			1 => pallet_balances::Call::burn { value: amount(u)?, keep_alive: u.arbitrary()? },
			2..=10 => pallet_balances::Call::transfer_allow_death { dest, value: amount(u)? },
			_ => pallet_balances::Call::transfer_keep_alive { dest, value: amount(u)? },
		};
		Ok((self.any_signer(u)?, RuntimeCall::Balances(call)))
	}

	/// A device id: mostly one that exists.
	fn device_id(&self, u: &mut Unstructured) -> Result<u64> {
		let next = pallet_energy_data::NextDeviceId::<Runtime>::get();
		if next == 0 || u.ratio(1u8, 10)? {
			return u.arbitrary();
		}
		u.int_in_range(0..=next - 1)
	}

	fn energy_data_call(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		type C = pallet_energy_data::Call<Runtime>;
		let now = self.current_interval();
		match u.int_in_range(0u8..=9)? {
			0..=3 => {
				let signer = self.any_signer(u)?;
				// Mostly the genesis registrar; the others exist only once sudo added them.
				let registrar = pick(u, &[REGISTRARS[0], REGISTRARS[0], REGISTRARS[0], REGISTRARS[1], REGISTRARS[2]])?;
				let serial = u64::from(u.arbitrary::<u8>()?);
				let meter = self.actors.meter(registrar, serial);
				let owner = if u.ratio(1u8, 10)? {
					self.account(u)?
				} else {
					self.actors.accounts[signer].clone()
				};
				let certificate = MeterCertificate {
					registrar,
					serial,
					meter_key: meter.public(),
					owner: owner.clone(),
					kind: pick(
						u,
						&[
							DeviceKind::Producer,
							DeviceKind::Consumer,
							DeviceKind::Prosumer,
							DeviceKind::Storage,
						],
					)?,
					// One 100 Wh lot per 1-minute interval needs 6 kW.
					capacity_w: pick(u, &[0, 1, 5_000, 50_000, 200_000, 200_000, 1_000_000, u32::MAX])?,
					zone: zone(u)?,
					valid_until: offset_interval(now, pick(u, &[-1, 0, 5, 100, 100_000])?),
				};
				let mut cert_signer = *self.actors.registrar_key(registrar);
				if u.ratio(1u8, 12)? {
					cert_signer = *self.actors.registrar_key(pick(u, &REGISTRARS)?.wrapping_add(1));
				}
				let registrar_signature = cert_signer
					.sign(&pallet_energy_data::Pallet::<Runtime>::certificate_payload(&certificate));
				let pop_owner = if u.ratio(1u8, 12)? { self.account(u)? } else { owner };
				let proof_of_possession = meter.sign(
					&pallet_energy_data::Pallet::<Runtime>::possession_payload(&pop_owner, &certificate),
				);
				Ok((
					signer,
					RuntimeCall::EnergyData(C::register_device {
						certificate,
						registrar_signature,
						proof_of_possession,
					}),
				))
			},
			4 => {
				let device_id = self.device_id(u)?;
				let signer = match pallet_energy_data::Devices::<Runtime>::get(device_id) {
					Some(d) => self.signer_of(u, &d.owner)?,
					None => self.any_signer(u)?,
				};
				Ok((signer, RuntimeCall::EnergyData(C::retire_device { device_id })))
			},
			5..=8 => {
				let n = u.int_in_range(1usize..=6)?;
				let mut readings = Vec::with_capacity(n);
				for _ in 0..n {
					let device = self.device_id(u)?;
					let interval = offset_interval(now, pick(u, &[-1, -1, -2, -3, 0, -5])?);
					let (produced_wh, consumed_wh) = match u.int_in_range(0u8..=4)? {
						0 => (0, 0),
						1 => (u.int_in_range(0..=10_000)?, 0),
						2 => (0, u.int_in_range(0..=10_000)?),
						3 => (u.int_in_range(0..=10_000)?, u.int_in_range(0..=10_000)?),
						_ => (u.arbitrary()?, u.arbitrary()?),
					};
					let payload = pallet_energy_data::Pallet::<Runtime>::reading_payload(
						device,
						interval,
						produced_wh,
						consumed_wh,
					);
					let key = pallet_energy_data::Devices::<Runtime>::get(device).map(|d| d.meter_key);
					let signature = match key.and_then(|k| self.actors.meter_pair(&k)) {
						Some(pair) if !u.ratio(1u8, 15)? => pair.sign(&payload),
						_ => self.actors.registrar_key(0).sign(&payload),
					};
					readings.push(SignedReading { device, interval, produced_wh, consumed_wh, signature });
				}
				Ok((self.any_signer(u)?, RuntimeCall::EnergyData(C::submit_readings { readings })))
			},
			_ => {
				let registrar = pick(u, &REGISTRARS)?;
				let serial = u64::from(u.arbitrary::<u8>()?);
				let signer = if u.ratio(1u8, 2)? {
					self.actors.registrar_account()
				} else {
					self.any_signer(u)?
				};
				Ok((signer, RuntimeCall::EnergyData(C::revoke_certificate { registrar, serial })))
			},
		}
	}

	fn market_call(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		type C = pallet_energy_market::Call<Runtime>;
		let now = self.current_interval();
		match u.int_in_range(0u8..=12)? {
			0..=5 => {
				let side = if u.arbitrary()? { Side::Buy } else { Side::Sell };
				// Sellers are mostly device owners selling in their device's zone; buyers mostly
				// buy in a zone where a device is, so that orders cross.
				let device = pallet_energy_data::Devices::<Runtime>::get(self.device_id(u)?);
				let (signer, zone) = match (side, device) {
					(Side::Sell, Some(d)) if !u.ratio(1u8, 6)? => (self.signer_of(u, &d.owner)?, d.zone),
					(Side::Buy, Some(d)) if !u.ratio(1u8, 4)? => (self.any_signer(u)?, d.zone),
					_ => (self.any_signer(u)?, zone(u)?),
				};
				let interval = offset_interval(
					now,
					pick(u, &[2, 2, 2, 2, 2, 2, 3, 3, 4, 1, 0, 1_440, 1_441])?,
				);
				Ok((
					signer,
					RuntimeCall::EnergyMarket(C::place_order {
						side,
						zone,
						interval,
						quantity_wh: quantity_wh(u)?,
						price_per_kwh: price(u)?,
					}),
				))
			},
			6..=8 => {
				// An order that crosses a resting one: same interval and zone, the other side,
				// a price that meets it; a seller with a producing device in that zone.
				let skip = u.int_in_range(0usize..=15)?;
				let resting = pallet_energy_market::Orders::<Runtime>::iter().nth(skip).or_else(|| {
					pallet_energy_market::Orders::<Runtime>::iter().next()
				});
				let Some((_, o)) = resting else { return self.market_call(u) };
				let side = if o.side == Side::Buy { Side::Sell } else { Side::Buy };
				let signer = if side == Side::Sell {
					let sellers: Vec<AccountId> = pallet_energy_data::Devices::<Runtime>::iter_values()
						.filter(|d| d.zone == o.zone && d.kind.can_produce() && d.owner != o.owner)
						.map(|d| d.owner)
						.take(8)
						.collect();
					if sellers.is_empty() {
						self.any_signer(u)?
					} else {
						let who = u.choose(&sellers)?.clone();
						self.signer_of(u, &who)?
					}
				} else {
					self.any_signer(u)?
				};
				let price_per_kwh = match side {
					Side::Buy => o.price.saturating_add(pick(u, &[0, 0, UNIT / 10])?),
					Side::Sell => o.price.saturating_sub(pick(u, &[0, 0, UNIT / 100])?).max(1),
				};
				Ok((
					signer,
					RuntimeCall::EnergyMarket(C::place_order {
						side,
						zone: o.zone,
						interval: o.interval,
						quantity_wh: 100 * u.int_in_range(1u64..=8)?,
						price_per_kwh,
					}),
				))
			},
			9..=10 => {
				let next = pallet_energy_market::NextOrderId::<Runtime>::get();
				let order = if next == 0 || u.ratio(1u8, 10)? {
					u.arbitrary()?
				} else {
					u.int_in_range(0..=next - 1)?
				};
				let signer = match pallet_energy_market::Orders::<Runtime>::get(order) {
					Some(o) => self.signer_of(u, &o.owner)?,
					None => self.any_signer(u)?,
				};
				Ok((signer, RuntimeCall::EnergyMarket(C::cancel_order { order })))
			},
			_ => {
				let interval = offset_interval(now, pick(u, &[-3, -4, -5, -6, -2, -8, 0])?);
				let max_trades = pick(u, &[0, 1, 10, 500, 501])?;
				Ok((self.any_signer(u)?, RuntimeCall::EnergyMarket(C::settle { interval, max_trades })))
			},
		}
	}

	/// Plans for the agreed dispatch: mostly a participant's, for an interval it may plan, of
	/// the grid map's shape and with the latest model version; sometimes late, early, of the
	/// wrong shape, with another model version, by a non-participant, or with extreme values.
	fn dispatch_call(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		let current = pallet_energy_data::Pallet::<Runtime>::current_interval();
		let interval = current.saturating_add(pick(u, &[1u32, 1, 2, 2, 0, 3])?);
		let map = pallet_dispatch::GridMapping::<Runtime>::get();
		let zones = map.as_ref().map_or(2, |m| m.zones.len());
		let generators = map.as_ref().map_or(10, |m| m.generators as usize);
		let zones = if u.ratio(1u8, 15)? { zones.saturating_add(1) } else { zones };
		let generators = if u.ratio(1u8, 15)? { generators.saturating_sub(1) } else { generators };
		let latest = pallet_federated_learning::GlobalModel::<Runtime>::get().map_or(0, |m| u64::from(m.version));
		let model_version = match u.int_in_range(0u8..=9)? {
			0 => latest.saturating_add(1),
			1 => latest.saturating_sub(1),
			2 => latest.saturating_sub(2),
			_ => latest,
		};
		let value = |u: &mut Unstructured| -> Result<i64> {
			Ok(if u.ratio(1u8, 10)? { pick(u, &[i64::MIN, i64::MAX, 0])? } else { i64::from(u.arbitrary::<i32>()?) })
		};
		let mut forecast = Vec::with_capacity(zones);
		for _ in 0..zones {
			forecast.push(value(u)?);
		}
		let mut setpoints = Vec::with_capacity(generators);
		for _ in 0..generators {
			setpoints.push(value(u)?);
		}
		let participants = pallet_federated_learning::Pallet::<Runtime>::eligible_workers();
		let signer = self.participant_signer(u, &participants, 8)?;
		Ok((
			signer,
			RuntimeCall::Dispatch(pallet_dispatch::Call::submit_plan {
				interval,
				model_version,
				forecast_kw: BoundedVec::truncate_from(forecast),
				setpoints_kw: BoundedVec::truncate_from(setpoints),
			}),
		))
	}

	/// A participant's signer: mostly the validator itself, sometimes the account it bound with
	/// `setWorkerAccount` (when that account is one of the actors); one time in `any_one_in`
	/// (or when there are no participants) any actor.
	fn participant_signer(&self, u: &mut Unstructured, participants: &[AccountId], any_one_in: u8) -> Result<usize> {
		if participants.is_empty() || u.ratio(1u8, any_one_in)? {
			return self.any_signer(u);
		}
		let who = u.choose(participants)?.clone();
		match pallet_federated_learning::WorkerAccounts::<Runtime>::get(&who) {
			Some(bound) if u.ratio(1u8, 2)? && self.actors.accounts.contains(&bound) => self.signer_of(u, &bound),
			_ => self.signer_of(u, &who),
		}
	}

	fn fl_call(&mut self, u: &mut Unstructured) -> Result<(usize, RuntimeCall)> {
		type C = pallet_federated_learning::Call<Runtime>;
		let round_index = pallet_federated_learning::CurrentRound::<Runtime>::get()
			.or_else(|| pallet_federated_learning::NextRoundIndex::<Runtime>::get().checked_sub(1))
			.unwrap_or(0);
		let round = match u.int_in_range(0u8..=9)? {
			0 => round_index.wrapping_add(1),
			1 => round_index.wrapping_sub(1),
			_ => round_index,
		};
		let participants: Vec<AccountId> = pallet_federated_learning::Rounds::<Runtime>::get(round)
			.map(|r| r.participants.into_inner())
			.unwrap_or_default();
		let participant = |h: &Self, u: &mut Unstructured| h.participant_signer(u, &participants, 10);
		// The participant a signer's round call counts for.
		let principal = |signer: usize, h: &Self| -> AccountId {
			pallet_federated_learning::Pallet::<Runtime>::principal(h.actors.accounts[signer].clone())
		};
		// Mostly the call the round's phase expects, so that rounds reach reveal and quorum.
		let phase = pallet_federated_learning::Rounds::<Runtime>::get(round).map(|r| r.phase);
		let choice = match phase {
			Some(pallet_federated_learning::Phase::Commit) if !u.ratio(1u8, 4)? => 3,
			Some(pallet_federated_learning::Phase::Reveal) if !u.ratio(1u8, 4)? => 5,
			Some(pallet_federated_learning::Phase::Attest) if !u.ratio(1u8, 4)? => 10,
			Some(pallet_federated_learning::Phase::Aggregate) if !u.ratio(1u8, 4)? => 7,
			_ => u.int_in_range(0u8..=12)?,
		};
		match choice {
			0..=1 => {
				// Validators are signers 0..=3 (Alice … Dave in the `local` preset).
				let signer = if u.ratio(1u8, 5)? { self.any_signer(u)? } else { u.int_in_range(0..=3)? };
				let len = pick(u, &[0usize, 1, 8, 38, 64])?;
				let peer_id = BoundedVec::truncate_from(vec![u.arbitrary::<u8>()?; len]);
				let worker_key = sp_core::ed25519::Public::from_raw([u.int_in_range(0u8..=7)?; 32]);
				Ok((signer, RuntimeCall::FederatedLearning(C::register_worker { peer_id, worker_key })))
			},
			2 => Ok((self.any_signer(u)?, RuntimeCall::FederatedLearning(C::deregister_worker {}))),
			12 => {
				// A validator binds an actor's account (a validator's too: registering wins), or
				// unbinds.
				let signer = if u.ratio(1u8, 5)? { self.any_signer(u)? } else { u.int_in_range(0..=3)? };
				let account = if u.ratio(1u8, 4)? { None } else { Some(self.actors.accounts[self.any_signer(u)?].clone()) };
				Ok((signer, RuntimeCall::FederatedLearning(C::set_worker_account { account })))
			},
			3..=4 => {
				let signer = participant(self, u)?;
				let who = principal(signer, self);
				let update = H256::repeat_byte(u.int_in_range(0u8..=3)?);
				let salt = H256::repeat_byte(u.arbitrary()?);
				self.commits.insert((round, who.clone()), (update, salt));
				let commitment = H256(gridbrain_aggregation::commitment(
					update.as_fixed_bytes(),
					salt.as_fixed_bytes(),
					&who.encode(),
				));
				let commitment = if u.ratio(1u8, 20)? { H256::repeat_byte(7) } else { commitment };
				Ok((signer, RuntimeCall::FederatedLearning(C::commit_update { round, commitment })))
			},
			5..=6 => {
				let signer = participant(self, u)?;
				let who = principal(signer, self);
				let (update_hash, salt) = match self.commits.get(&(round, who)) {
					Some(&c) if !u.ratio(1u8, 15)? => c,
					_ => (H256::repeat_byte(u.arbitrary()?), H256::repeat_byte(u.arbitrary()?)),
				};
				let num_samples = pick(u, &[0, 1, 100, 10_000, u64::MAX])?;
				let train_loss = u.arbitrary()?;
				Ok((
					signer,
					RuntimeCall::FederatedLearning(C::reveal_update {
						round,
						update_hash,
						salt,
						num_samples,
						train_loss,
					}),
				))
			},
			10..=11 => {
				// Availability: mostly every revealer (so updates become available), sometimes a
				// subset (withholding), a non-revealer or a duplicate.
				let signer = participant(self, u)?;
				let revealed: Vec<AccountId> =
					pallet_federated_learning::Reveals::<Runtime>::iter_key_prefix(round).collect();
				let held = self.worker_set(u, &revealed, 8)?;
				Ok((signer, RuntimeCall::FederatedLearning(C::attest_availability { round, held })))
			},
			_ => {
				let signer = participant(self, u)?;
				// Mostly the round's available set (what honest workers vote on), else a subset
				// of the revealers.
				let available: Vec<AccountId> = pallet_federated_learning::Rounds::<Runtime>::get(round)
					.map(|r| r.available.into_inner())
					.unwrap_or_default();
				let revealed: Vec<AccountId> = if u.ratio(3u8, 4)? {
					available
				} else {
					pallet_federated_learning::Reveals::<Runtime>::iter_key_prefix(round).collect()
				};
				let included = self.worker_set(u, &revealed, 12)?;
				let aggregate_hash = H256::repeat_byte(u.int_in_range(0u8..=2)?);
				Ok((
					signer,
					RuntimeCall::FederatedLearning(C::submit_aggregate { round, aggregate_hash, included }),
				))
			},
		}
	}

	/// A set of workers for an attestation or an aggregate: `base` less about one in `drop_one_in`
	/// (withholding, a missing update), sometimes plus any account (a non-revealer) or with
	/// its first member twice (a duplicate).
	fn worker_set<S: Get<u32>>(
		&self,
		u: &mut Unstructured,
		base: &[AccountId],
		drop_one_in: u8,
	) -> Result<BoundedVec<AccountId, S>> {
		let mut set: Vec<AccountId> = Vec::new();
		for who in base {
			if !u.ratio(1u8, drop_one_in)? {
				set.push(who.clone());
			}
		}
		if u.ratio(1u8, 20)? {
			set.push(self.account(u)?);
		}
		if u.ratio(1u8, 30)? {
			if let Some(first) = set.first().cloned() {
				set.push(first);
			}
		}
		Ok(BoundedVec::truncate_from(set))
	}

	/// A call only the admin (root) may make; [`Self::sudo`] wraps it.
	fn admin_call(&mut self, u: &mut Unstructured) -> Result<RuntimeCall> {
		Ok(match u.int_in_range(0u8..=10)? {
			10 => {
				// A new grid map: mostly valid (two or three zones), sometimes not.
				let zones: Vec<pallet_dispatch::ZoneBus> = (0..u.int_in_range(0u16..=3)?)
					.map(|z| pallet_dispatch::ZoneBus { zone: z, bus: u32::from(z) + 1, scale: 100 })
					.collect();
				RuntimeCall::Dispatch(pallet_dispatch::Call::set_grid_map {
					map: pallet_dispatch::GridMap {
						case: BoundedVec::truncate_from(b"ieee14".to_vec()),
						generators: pick(u, &[10u32, 10, 3, 0, 513])?,
						zones: BoundedVec::truncate_from(zones),
					},
				})
			},
			0 => {
				let registrar = u.int_in_range(0u32..=3)?;
				RuntimeCall::EnergyData(pallet_energy_data::Call::add_registrar {
					registrar,
					account: self.account(u)?,
					key: self.actors.registrar_key(registrar).public(),
				})
			},
			1 => RuntimeCall::EnergyData(pallet_energy_data::Call::remove_registrar {
				registrar: u.int_in_range(0u32..=3)?,
			}),
			2 => RuntimeCall::EnergyData(pallet_energy_data::Call::revoke_certificate {
				registrar: pick(u, &REGISTRARS)?,
				serial: u64::from(u.arbitrary::<u8>()?),
			}),
			3 => RuntimeCall::EnergyMarket(pallet_energy_market::Call::set_zone_pair {
				from: zone(u)?,
				to: zone(u)?,
				fee_per_kwh: price(u)?,
				capacity_wh: quantity_wh(u)?,
			}),
			4 => RuntimeCall::EnergyMarket(pallet_energy_market::Call::remove_zone_pair {
				from: zone(u)?,
				to: zone(u)?,
			}),
			5 => RuntimeCall::EnergyMarket(pallet_energy_market::Call::set_price_band {
				// Mostly a band the other orders' prices fit in.
				floor: if u.ratio(1u8, 4)? { price(u)? } else { pick(u, &[1, UNIT / 100])? },
				cap: if u.ratio(1u8, 4)? { price(u)? } else { pick(u, &[2 * UNIT, 10 * UNIT])? },
			}),
			6 => RuntimeCall::FederatedLearning(pallet_federated_learning::Call::set_aggregation_rule {
				rule: match u.int_in_range(0u8..=2)? {
					0 => AggregationRule::FedAvg { max_samples: pick(u, &[0, 1, 1_000, u64::MAX])? },
					1 => AggregationRule::TrimmedMean {
						trim_ppm: pick(u, &[0, 250_000, 333_334, 499_999, 500_000])?,
					},
					_ => AggregationRule::Median,
				},
			}),
			7 => RuntimeCall::FederatedLearning(pallet_federated_learning::Call::set_phase_lengths {
				commit: u.int_in_range(0..=8)?,
				reveal: u.int_in_range(0..=8)?,
				attest: u.int_in_range(0..=8)?,
				aggregate: u.int_in_range(0..=8)?,
			}),
			8 => RuntimeCall::FederatedLearning(pallet_federated_learning::Call::reset_strikes {
				worker: self.account(u)?,
			}),
			_ => RuntimeCall::Balances(pallet_balances::Call::force_set_balance {
				who: MultiAddress::Id(self.account(u)?),
				new_free: amount(u)?.min(crate::MAX_ROOT_BALANCE),
			}),
		})
	}
}
