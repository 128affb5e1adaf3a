//! # gridbrain runtime fuzzer
//!
//! Drives the real gridbrain runtime (natively, with `SKIP_WASM_BUILD`) with blocks of random
//! extrinsics built from fuzzer bytes, the way a block author would: `Executive::initialize_block`
//! with an Aura pre-digest, the timestamp inherent, signed transactions of every pallet (real
//! sr25519 signatures, nonces, fees and weights), sudo and `sudo_as` calls, bare extrinsics, and
//! `Executive::finalize_block`. Actions advance the chain by random gaps of empty blocks, so runs
//! cross interval, sealing, settlement and federated-learning phase boundaries.
//!
//! ## What counts as a finding
//! After every extrinsic:
//! - every change of total issuance is reported by an event of Balances; what is burnt is the
//!   fee it paid (`TransactionFeePaid`) and the dust of accounts it reaped (`DustLost`), plus
//!   the unused part of its prepaid fee when it reaped its own payer (FRAME cannot refund a dead
//!   account); only calls that change issuance by design mint or burn explicitly: root calls
//!   (`sudo`, `sudo_as`, `sudo_unchecked_weight`) and `Balances::burn`.
//!
//! After every block:
//! - no panic anywhere (the caller catches it);
//! - Σ(free + reserved) over all accounts == total issuance, and the block's hooks changed
//!   issuance by nothing but the dust of accounts they reaped;
//! - the `try_state` checks of EnergyData, EnergyMarket, FederatedLearning and Dispatch pass;
//! - the block's weight stays within `max_block` and the Normal class within its limit (only
//!   mandatory hooks could break this, since `CheckWeight` rejects transactions that would).
//!
//! Execution time against charged weight is measured for every dispatched extrinsic and every
//! block's hooks and reported (ratios over 2× are listed as timing findings), but never fails a
//! run: wall-clock time on a shared machine is not reproducible.
//!
//! Calls that break invariants *by design* when root makes them are never generated:
//! `System::{set_storage, kill_storage, kill_prefix}` (root writes raw storage),
//! `Balances::force_adjust_total_issuance` (root changes issuance without accounts) and
//! `Balances::force_set_balance` above [`MAX_ROOT_BALANCE`] (issuance saturates at `u128::MAX`
//! while Balances reports the full amount issued).

pub mod actors;
pub mod generate;

use std::{
	collections::{BTreeMap, HashMap},
	time::{Duration, Instant},
};

use arbitrary::Unstructured;
use codec::Encode;
use frame_support::{
	dispatch::{DispatchClass, GetDispatchInfo},
	traits::GetCallMetadata,
	weights::Weight,
};
use gridbrain_runtime::{
	AccountId, Balance, BlockNumber, Executive, Header, Runtime, RuntimeCall, RuntimeEvent,
	SignedPayload, UncheckedExtrinsic, SLOT_DURATION,
};
use pallet_federated_learning::RoundIndex;
use sp_core::{Pair, H256};
use sp_runtime::{
	traits::{Header as _, Hash as _},
	Digest, DigestItem, MultiAddress, MultiSignature,
};

pub use actors::Actors;
/// The genesis state every input starts from ([`genesis_storage`]).
pub type Genesis = sp_core::storage::Storage;
pub use generate::Action;

/// Limits of one fuzz input.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
	/// Blocks one input may produce (gaps included).
	pub max_blocks: u32,
	/// Actions one input may take.
	pub max_actions: u32,
	/// Print every action and its outcome (for replaying a finding).
	pub trace: bool,
}

impl Default for Limits {
	fn default() -> Self {
		Self { max_blocks: 400, max_actions: 400, trace: false }
	}
}

/// A broken invariant.
#[derive(Debug, Clone)]
pub struct Finding {
	/// The block it was found in.
	pub block: BlockNumber,
	/// What broke.
	pub what: String,
}

impl std::fmt::Display for Finding {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		write!(f, "block {}: {}", self.block, self.what)
	}
}

/// How one call fared over a campaign.
#[derive(Default, Clone, Debug)]
pub struct CallStats {
	/// Dispatched and succeeded.
	pub ok: u64,
	/// Dispatched and failed, by error.
	pub errors: BTreeMap<String, u64>,
	/// Rejected before dispatch (invalid transaction), by reason.
	pub invalid: BTreeMap<String, u64>,
	/// Execution time per charged weight (ns per ns of `ref_time`), as measured.
	pub ratios: Vec<f64>,
}

impl CallStats {
	/// How many times it was dispatched (successfully or not).
	pub fn dispatched(&self) -> u64 {
		self.ok + self.errors.values().sum::<u64>()
	}

	fn record_ratio(&mut self, ratio: f64) {
		// Bounded: keep every ratio up to 4,096, then only those over 1 (the interesting tail).
		if self.ratios.len() < 4_096 || ratio > 1.0 {
			self.ratios.push(ratio);
		}
	}

	/// The largest and the median time-per-weight ratio.
	pub fn ratio_max_median(&self) -> Option<(f64, f64)> {
		if self.ratios.is_empty() {
			return None;
		}
		let mut r = self.ratios.clone();
		r.sort_by(|a, b| a.total_cmp(b));
		Some((r[r.len() - 1], r[r.len() / 2]))
	}
}

/// What a campaign covered.
#[derive(Default, Clone, Debug)]
pub struct Stats {
	/// Inputs run.
	pub inputs: u64,
	/// Blocks produced.
	pub blocks: u64,
	/// Extrinsics applied (inherents excluded).
	pub extrinsics: u64,
	/// Per call (`Pallet.call`), and `hooks` for each block's initialize + finalize.
	pub calls: BTreeMap<String, CallStats>,
	/// Events emitted, by `Pallet.Event` (what the runs reached: trades, sealed blocks,
	/// settlements, finalized rounds …).
	pub events: BTreeMap<String, u64>,
	/// Time spent in the runtime (extrinsics and hooks), not in generating inputs.
	pub runtime_time: Duration,
}

impl Stats {
	/// Adds another campaign's figures.
	pub fn merge(&mut self, other: Stats) {
		self.inputs += other.inputs;
		self.blocks += other.blocks;
		self.extrinsics += other.extrinsics;
		self.runtime_time += other.runtime_time;
		for (k, v) in other.events {
			*self.events.entry(k).or_default() += v;
		}
		for (name, s) in other.calls {
			let e = self.calls.entry(name).or_default();
			e.ok += s.ok;
			for (k, v) in s.errors {
				*e.errors.entry(k).or_default() += v;
			}
			for (k, v) in s.invalid {
				*e.invalid.entry(k).or_default() += v;
			}
			for r in s.ratios {
				e.record_ratio(r);
			}
		}
	}
}

/// The largest balance root may set (`force_set_balance`): a billion GRID, far above the
/// chain's issuance. Root setting a balance near `u128::MAX` saturates total issuance while
/// Balances reports the full amount issued, a FRAME behaviour under absurd root input.
pub const MAX_ROOT_BALANCE: Balance = 1_000_000_000 * gridbrain_runtime::UNIT;

/// Calls root may make that break invariants by design; never generated (see the crate docs).
fn excluded(call: &RuntimeCall) -> bool {
	match call {
		RuntimeCall::Balances(pallet_balances::Call::force_set_balance { new_free, .. }) =>
			*new_free > MAX_ROOT_BALANCE,
		RuntimeCall::System(
			frame_system::Call::set_storage { .. } |
			frame_system::Call::kill_storage { .. } |
			frame_system::Call::kill_prefix { .. },
		) => true,
		RuntimeCall::Balances(pallet_balances::Call::force_adjust_total_issuance { .. }) => true,
		// The timestamp inherent is applied once per block by the harness; a second one is
		// rejected by block import (it panics by design inside the runtime).
		RuntimeCall::Timestamp(_) => true,
		RuntimeCall::Sudo(
			pallet_sudo::Call::sudo { call } |
			pallet_sudo::Call::sudo_unchecked_weight { call, .. } |
			pallet_sudo::Call::sudo_as { call, .. },
		) => excluded(call),
		_ => false,
	}
}

/// Whether a call may change total issuance by design (root, or a user burning their own).
fn may_change_issuance(call: &RuntimeCall) -> bool {
	matches!(
		call,
		RuntimeCall::Sudo(_) | RuntimeCall::Balances(pallet_balances::Call::burn { .. })
	)
}

/// `Pallet.call`; a root call is named after what it dispatches: `Sudo.sudo > Pallet.call`.
fn call_name(call: &RuntimeCall) -> String {
	let meta = call.get_call_metadata();
	let name = format!("{}.{}", meta.pallet_name, meta.function_name);
	match call {
		RuntimeCall::Sudo(
			pallet_sudo::Call::sudo { call: inner } |
			pallet_sudo::Call::sudo_unchecked_weight { call: inner, .. } |
			pallet_sudo::Call::sudo_as { call: inner, .. },
		) => format!("{name} > {}", call_name(inner)),
		_ => name,
	}
}

/// `Pallet.Variant` of an event, from its debug form `Pallet(Variant { .. })`.
fn event_name(event: &RuntimeEvent) -> String {
	let debug = format!("{event:?}");
	let (pallet, rest) = debug.split_once('(').unwrap_or((&debug, ""));
	let rest = rest.strip_prefix("Event::").unwrap_or(rest);
	let variant: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
	format!("{pallet}.{variant}")
}

fn error_name(e: &sp_runtime::DispatchError) -> String {
	match e {
		sp_runtime::DispatchError::Module(m) => m.message.unwrap_or("Module").to_string(),
		other => format!("{other:?}"),
	}
}

/// No wasm executor here: `set_code` and friends fail to read the version instead of panicking.
struct NoWasmExecutor;

impl sp_core::traits::ReadRuntimeVersion for NoWasmExecutor {
	fn read_runtime_version(
		&self,
		_code: &[u8],
		_ext: &mut dyn sp_core::traits::Externalities,
	) -> Result<Vec<u8>, String> {
		Err("the fuzzer has no wasm executor".into())
	}
}

/// The genesis storage the fuzzer starts every input from: the `local` preset (four
/// validators, sudo Alice, the development registrar).
pub fn genesis_storage() -> Genesis {
	use sp_runtime::BuildStorage;
	let patch = gridbrain_runtime::genesis_config_presets::local_config_genesis();
	let mut full = serde_json::to_value(gridbrain_runtime::RuntimeGenesisConfig::default())
		.expect("the default genesis config serializes");
	json_merge(&mut full, patch);
	let config: gridbrain_runtime::RuntimeGenesisConfig =
		serde_json::from_value(full).expect("the local preset deserializes");
	config.build_storage().expect("the local preset builds")
}

fn json_merge(base: &mut serde_json::Value, patch: serde_json::Value) {
	match (base, patch) {
		(serde_json::Value::Object(b), serde_json::Value::Object(p)) =>
			for (k, v) in p {
				json_merge(b.entry(k).or_insert(serde_json::Value::Null), v);
			},
		(b, p) => *b = p,
	}
}

/// The state invariants checked after every block: Σ(free + reserved) over all accounts equals
/// total issuance, and the `try_state` checks of gridbrain's pallets pass. Call it inside the
/// runtime's externalities.
pub fn check_state() -> Result<(), String> {
	let issuance = total_issuance();
	let (mut free, mut reserved) = (0u128, 0u128);
	for (_, info) in frame_system::Account::<Runtime>::iter() {
		free = free.saturating_add(info.data.free);
		reserved = reserved.saturating_add(info.data.reserved);
	}
	if free.saturating_add(reserved) != issuance {
		return Err(format!(
			"Σ(free + reserved) = {} but total issuance = {issuance}",
			free.saturating_add(reserved)
		));
	}
	pallet_energy_data::Pallet::<Runtime>::do_try_state()
		.map_err(|e| format!("EnergyData try_state: {e:?}"))?;
	pallet_energy_market::Pallet::<Runtime>::do_try_state()
		.map_err(|e| format!("EnergyMarket try_state: {e:?}"))?;
	pallet_federated_learning::Pallet::<Runtime>::do_try_state()
		.map_err(|e| format!("FederatedLearning try_state: {e:?}"))?;
	pallet_dispatch::Pallet::<Runtime>::do_try_state().map_err(|e| format!("Dispatch try_state: {e:?}"))?;
	Ok(())
}

/// Runs one fuzz input from genesis. `Err` is a broken invariant; a panic is a finding too
/// (the caller catches it: see [`run_catching`]).
pub fn run(
	genesis: &Genesis,
	actors: &mut Actors,
	data: &[u8],
	limits: Limits,
	stats: &mut Stats,
) -> Result<(), Finding> {
	let mut ext = sp_io::TestExternalities::new(genesis.clone());
	ext.register_extension(sp_core::traits::ReadRuntimeVersionExt::new(NoWasmExecutor));
	ext.execute_with(|| {
		let mut h = Harness::new(actors, stats);
		h.trace = limits.trace;
		let mut u = Unstructured::new(data);
		h.start_block();
		let mut actions = 0;
		while actions < limits.max_actions && h.blocks < limits.max_blocks {
			let Ok(action) = h.next_action(&mut u) else { break };
			actions += 1;
			h.apply(action, limits)?;
		}
		h.end_block()?;
		h.stats.inputs += 1;
		Ok(())
	})
}

/// [`run`], with a panic turned into a finding.
pub fn run_catching(
	genesis: &Genesis,
	actors: &mut Actors,
	data: &[u8],
	limits: Limits,
	stats: &mut Stats,
) -> Result<(), Finding> {
	match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
		run(genesis, actors, data, limits, stats)
	})) {
		Ok(r) => r,
		Err(payload) => {
			let msg = payload
				.downcast_ref::<String>()
				.cloned()
				.or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
				.unwrap_or_else(|| "non-string panic".into());
			Err(Finding { block: 0, what: format!("panic: {msg}") })
		},
	}
}

/// The chain being fuzzed, inside its externalities.
pub struct Harness<'a> {
	actors: &'a mut Actors,
	stats: &'a mut Stats,
	/// (round, worker) → (update hash, salt) of the commitments generated, so reveals match.
	commits: HashMap<(RoundIndex, AccountId), (H256, H256)>,
	parent_hash: H256,
	/// Blocks produced by this input.
	blocks: u32,
	/// Issuance when the current block started.
	block_start_issuance: Balance,
	/// Time spent initializing the current block (hooks and the timestamp inherent).
	init_time: Duration,
	/// Issuance changes made by extrinsics of the current block, and by fees.
	extrinsic_issuance_delta: i128,
	/// Print every extrinsic's outcome.
	trace: bool,
}

/// What Balances' events say about changes of total issuance.
#[derive(Default)]
struct IssuanceEvents {
	/// Dust of accounts reaped below the existential deposit (burnt).
	dust: i128,
	/// Credits dropped (fees, dust, lost refunds) less debts dropped.
	burnt: i128,
	/// Explicit mints less explicit burns (root, `Balances::burn`).
	minted: i128,
}

impl IssuanceEvents {
	fn add(&mut self, event: &RuntimeEvent) {
		use pallet_balances::Event as B;
		let RuntimeEvent::Balances(event) = event else { return };
		match *event {
			B::DustLost { amount, .. } => self.dust += amount as i128,
			B::BurnedDebt { amount } => self.burnt += amount as i128,
			B::MintedCredit { amount } => self.burnt -= amount as i128,
			B::Burned { amount, .. } | B::Rescinded { amount } => self.minted -= amount as i128,
			B::Issued { amount } | B::Minted { amount, .. } => self.minted += amount as i128,
			_ => {},
		}
	}
}

fn total_issuance() -> Balance {
	pallet_balances::TotalIssuance::<Runtime>::get()
}

impl<'a> Harness<'a> {
	fn new(actors: &'a mut Actors, stats: &'a mut Stats) -> Self {
		Self {
			actors,
			stats,
			commits: HashMap::new(),
			parent_hash: frame_system::BlockHash::<Runtime>::get(0),
			blocks: 0,
			block_start_issuance: 0,
			init_time: Duration::ZERO,
			extrinsic_issuance_delta: 0,
			trace: false,
		}
	}

	/// The energy interval of the current block.
	pub fn current_interval(&self) -> u32 {
		pallet_energy_data::Pallet::<Runtime>::interval_of(frame_system::Pallet::<Runtime>::block_number())
	}

	fn start_block(&mut self) {
		let number = frame_system::Pallet::<Runtime>::block_number() + 1;
		// One Aura slot per block; the timestamp is the slot's start.
		let slot = u64::from(number);
		let digest = Digest {
			logs: vec![DigestItem::PreRuntime(
				sp_consensus_aura::AURA_ENGINE_ID,
				sp_consensus_aura::Slot::from(slot).encode(),
			)],
		};
		let header = Header::new(number, H256::zero(), H256::zero(), self.parent_hash, digest);
		self.block_start_issuance = total_issuance();
		self.extrinsic_issuance_delta = 0;
		let started = Instant::now();
		Executive::initialize_block(&header);
		let now = slot * SLOT_DURATION;
		let inherent =
			UncheckedExtrinsic::new_bare(RuntimeCall::Timestamp(pallet_timestamp::Call::set { now }));
		Executive::apply_extrinsic(inherent)
			.expect("the timestamp inherent is valid")
			.expect("the timestamp inherent succeeds");
		self.init_time = started.elapsed();
		self.blocks += 1;
	}

	fn end_block(&mut self) -> Result<(), Finding> {
		let block = frame_system::Pallet::<Runtime>::block_number();
		let fail = |what: String| Err(Finding { block, what });
		let finalize_start = Instant::now();
		let header = Executive::finalize_block();
		let hooks_time = self.init_time + finalize_start.elapsed();
		self.parent_hash = header.hash();
		self.stats.blocks += 1;
		self.stats.runtime_time += hooks_time;
		for record in frame_system::Pallet::<Runtime>::read_events_no_consensus() {
			*self.stats.events.entry(event_name(&record.event)).or_default() += 1;
		}
		// `finalize` leaves the block's weight in storage (the next `initialize` resets it).
		let consumed = frame_system::Pallet::<Runtime>::block_weight();

		// Weight: extrinsics cannot exceed the limits (CheckWeight rejects them); hooks can.
		let limits = <Runtime as frame_system::Config>::BlockWeights::get();
		if consumed.total().any_gt(limits.max_block) {
			return fail(format!(
				"block weight {:?} over max_block {:?} (mandatory {:?})",
				consumed.total(),
				limits.max_block,
				consumed.get(DispatchClass::Mandatory)
			));
		}
		if let Some(max) = limits.get(DispatchClass::Normal).max_total {
			if consumed.get(DispatchClass::Normal).any_gt(max) {
				return fail(format!("normal-class weight {:?} over {:?}", consumed.get(DispatchClass::Normal), max));
			}
		}
		let hooks_weight = *consumed.get(DispatchClass::Mandatory);
		self.record_ratio("hooks", hooks_time, hooks_weight);

		// Issuance: the hooks (initialize, finalize) change it only by dust of reaped accounts.
		let issuance = total_issuance();
		let hooks_delta = issuance as i128 - self.block_start_issuance as i128 - self.extrinsic_issuance_delta;
		let mut hooks = IssuanceEvents::default();
		for r in frame_system::Pallet::<Runtime>::read_events_no_consensus()
			.filter(|r| !matches!(r.phase, frame_system::Phase::ApplyExtrinsic(_)))
		{
			hooks.add(&r.event);
		}
		let (hooks_dust, hooks_burnt) = (hooks.dust, hooks.burnt);
		if hooks_delta != -hooks_burnt || hooks_burnt != hooks_dust {
			return fail(format!(
				"the block's hooks changed total issuance by {hooks_delta} (credits burnt \
				 {hooks_burnt}, dust lost {hooks_dust})"
			));
		}
		check_state().or_else(fail)
	}

	fn record_ratio(&mut self, name: &str, time: Duration, weight: Weight) {
		let ref_time_ns = weight.ref_time() as f64 / 1_000.0;
		if ref_time_ns > 0.0 {
			self.stats
				.calls
				.entry(name.to_string())
				.or_default()
				.record_ratio(time.as_nanos() as f64 / ref_time_ns);
		}
	}

	fn apply(&mut self, action: Action, limits: Limits) -> Result<(), Finding> {
		if limits.trace {
			println!("#{} {action:?}", frame_system::Pallet::<Runtime>::block_number());
		}
		match action {
			Action::Advance(n) => {
				for _ in 0..n {
					if self.blocks >= limits.max_blocks {
						break;
					}
					self.end_block()?;
					self.start_block();
				}
				Ok(())
			},
			Action::Many(actions) => {
				for action in actions {
					self.apply(action, limits)?;
				}
				Ok(())
			},
			Action::Bare(call) => {
				if excluded(&call) {
					return Ok(());
				}
				let name = call_name(&call);
				self.apply_extrinsic(UncheckedExtrinsic::new_bare(call), name, false, None)
			},
			Action::Signed { signer, call, nonce_skew, tip } => {
				if excluded(&call) {
					return Ok(());
				}
				let name = call_name(&call);
				let by_design = may_change_issuance(&call);
				let pair = self.actors.pairs[signer].clone();
				let who = self.actors.accounts[signer].clone();
				let nonce = frame_system::Account::<Runtime>::get(&who).nonce.wrapping_add(nonce_skew);
				let tx_ext = gridbrain_runtime::tx_extension(nonce, tip);
				let payload = SignedPayload::new(call.clone(), tx_ext.clone())
					.expect("the implicit data of the extensions is available");
				let signature = payload.using_encoded(|p| pair.sign(p));
				let uxt = UncheckedExtrinsic::new_signed(
					call,
					MultiAddress::Id(who.clone()),
					MultiSignature::Sr25519(signature),
					tx_ext,
				);
				self.apply_extrinsic(uxt, name, by_design, Some(who))
			},
		}
	}

	/// Applies one extrinsic as a block builder does: in a storage transaction that is rolled
	/// back when the extrinsic is invalid.
	fn apply_extrinsic(
		&mut self,
		uxt: UncheckedExtrinsic,
		name: String,
		changes_issuance_by_design: bool,
		signer: Option<AccountId>,
	) -> Result<(), Finding> {
		let block = frame_system::Pallet::<Runtime>::block_number();
		let class = uxt.function.get_dispatch_info().class;
		let issuance_before = total_issuance();
		let weight_before = frame_system::Pallet::<Runtime>::block_weight();
		let events_before = frame_system::Pallet::<Runtime>::event_count();
		let started = Instant::now();
		sp_io::storage::start_transaction();
		let result = Executive::apply_extrinsic(uxt);
		if result.is_ok() {
			sp_io::storage::commit_transaction();
		} else {
			sp_io::storage::rollback_transaction();
		}
		let elapsed = started.elapsed();
		self.stats.runtime_time += elapsed;
		if self.trace {
			println!("    -> {result:?}");
		}
		let entry = self.stats.calls.entry(name.clone()).or_default();
		let outcome = match result {
			Err(invalid) => {
				*entry.invalid.entry(format!("{invalid:?}")).or_default() += 1;
				return Ok(());
			},
			Ok(outcome) => outcome,
		};
		self.stats.extrinsics += 1;
		let weight_after = frame_system::Pallet::<Runtime>::block_weight();
		let charged = weight_after.get(class).saturating_sub(*weight_before.get(class));
		if !name.starts_with("Sudo.sudo_unchecked_weight") {
			self.record_ratio(&name, elapsed, charged);
		}

		// Issuance: fee (and tip) burnt, plus what the call's own events explain.
		let issuance_after = total_issuance();
		let delta = issuance_after as i128 - issuance_before as i128;
		self.extrinsic_issuance_delta += delta;
		let mut fee = 0i128;
		let mut issuance = IssuanceEvents::default();
		let mut payer_reaped = false;
		let mut inner_result: Option<sp_runtime::DispatchResult> = None;
		let mut trace = Vec::new();
		for record in frame_system::Pallet::<Runtime>::read_events_no_consensus()
			.skip(events_before as usize)
		{
			if trace.len() < 12 {
				trace.push(format!("{:?}", record.event));
			}
			issuance.add(&record.event);
			match record.event {
				RuntimeEvent::TransactionPayment(
					pallet_transaction_payment::Event::TransactionFeePaid { who, actual_fee, .. },
				) if Some(&who) == signer.as_ref() => fee += actual_fee as i128,
				RuntimeEvent::System(frame_system::Event::KilledAccount { account })
					if Some(&account) == signer.as_ref() =>
					payer_reaped = true,
				// What root dispatched: the call succeeds, the dispatched call may not.
				RuntimeEvent::Sudo(
					pallet_sudo::Event::Sudid { sudo_result } |
					pallet_sudo::Event::SudoAsDone { sudo_result },
				) => inner_result = Some(sudo_result),
				_ => {},
			}
		}
		let IssuanceEvents { dust, burnt, minted } = issuance;
		let entry = self.stats.calls.entry(name.clone()).or_default();
		match (&outcome, &inner_result) {
			(Ok(()), Some(Err(e))) => *entry.errors.entry(format!("(dispatched) {}", error_name(e))).or_default() += 1,
			(Ok(()), _) => entry.ok += 1,
			(Err(e), _) => *entry.errors.entry(error_name(e)).or_default() += 1,
		}
		let fail = |why: &str| {
			Err(Finding {
				block,
				what: format!(
					"{name} ({outcome:?}) changed total issuance by {delta}: {why} (fee {fee}, \
					 dust {dust}, credits burnt {burnt}, minted {minted}); events: {trace:#?}"
				),
			})
		};
		// Every change of issuance is reported by an event of Balances.
		if delta != minted - burnt {
			return fail("not what Balances' events report");
		}
		// Only root and `Balances::burn` mint or burn explicitly.
		if minted != 0 && !changes_issuance_by_design {
			return fail("an explicit mint or burn outside root calls and Balances::burn");
		}
		// What is burnt is the fee and the dust of reaped accounts; when the call reaps its own
		// payer, the unused part of the prepaid fee cannot be refunded and is burnt too
		// (pallet-transaction-payment's behaviour: `TransactionFeePaid` does not include it).
		let burnt_ok = burnt == fee + dust || (payer_reaped && burnt >= fee + dust);
		if !burnt_ok {
			return fail("credits burnt are not the fee and the dust of reaped accounts");
		}
		Ok(())
	}
}

/// A deterministic generator of fuzz inputs (SplitMix64), so a seed names a campaign.
pub struct InputSource(u64);

impl InputSource {
	pub fn new(seed: u64) -> Self {
		Self(seed)
	}

	fn next_u64(&mut self) -> u64 {
		self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
		let mut z = self.0;
		z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
		z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
		z ^ (z >> 31)
	}

	/// The next input: `min_len..=max_len` random bytes.
	pub fn next_input(&mut self, min_len: usize, max_len: usize) -> Vec<u8> {
		let span = (max_len - min_len + 1) as u64;
		let len = min_len + (self.next_u64() % span) as usize;
		let mut out = Vec::with_capacity(len + 8);
		while out.len() < len {
			out.extend_from_slice(&self.next_u64().to_le_bytes());
		}
		out.truncate(len);
		out
	}
}

/// Hash of an input, to name its file.
pub fn input_name(data: &[u8]) -> String {
	format!("{:?}", sp_runtime::traits::BlakeTwo256::hash(data))
}
