//! The worker's connection to its node: WebSocket JSON-RPC, the FederatedLearning, EnergyData and
//! Dispatch runtime APIs, and signed extrinsics built with the runtime's own types.
//!
//! The worker is compiled against `gridbrain-runtime`, so calls and transaction extensions are
//! encoded exactly as the runtime decodes them. A forkless runtime upgrade does not stop it:
//! [`Chain::connect`], and [`Chain::node_runtime`] at every head the round loop acts on when the
//! node's runtime version changed, compare
//! the type hashes of everything the worker encodes or decodes (its six calls, the storage it
//! reads, the runtime API methods it calls, the transaction extensions) with the node's live
//! metadata ([`crate::compat`]). The worker signs with the node's current `spec_version` and
//! `transaction_version`; an upgrade that changed any of its items is refused with a message
//! naming them ([`IncompatibleRuntime`]), instead of transactions failing one by one.

use anyhow::{anyhow, Context, Result};
use codec::{Decode, Encode};
use gridbrain_runtime::{
	AccountId, Balance, BlockNumber, Header, Runtime, RuntimeCall, SignedPayload, TxExtension,
	UncheckedExtrinsic, VERSION,
};
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use pallet_dispatch::{
	runtime_api::{DispatchView, GridMapView},
	PendingView,
};
use pallet_energy_data::{EnergyDataBlock, IntervalIndex};
use pallet_federated_learning::{runtime_api::WorkerView, GlobalModelInfo, RoundIndex, RoundSubmissions, RoundView};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::{generic::Era, traits::Header as _, MultiSignature};
use std::sync::Mutex;

pub use crate::compat::IncompatibleRuntime;
use crate::compat::{Surface, METADATA_VERSION};

/// A round as the worker sees it.
pub type Round = RoundView<AccountId, BlockNumber>;
/// A round's submissions.
pub type Submissions = RoundSubmissions<AccountId>;
/// A registered worker.
pub type Worker = WorkerView<AccountId, Balance, BlockNumber>;
/// The latest global model's record.
pub type GlobalModel = GlobalModelInfo<BlockNumber>;

/// Blocks a signed transaction stays valid for.
const MORTALITY: u64 = 64;

/// An open connection to a node, with the worker's signing account and the participant it
/// acts for.
pub struct Chain {
	client: WsClient,
	genesis: H256,
	signer: sr25519::Pair,
	/// The signer's account (pays the fees, holds the nonce).
	signer_account: AccountId,
	/// The validator the worker acts for: the signer's own, or the one that bound it.
	account: AccountId,
	/// What the worker uses of the runtime it was built with ([`crate::compat`]).
	built: Surface,
	/// The node's runtime, once its metadata has been checked against `built`.
	checked: Mutex<Option<NodeRuntime>>,
}

/// The versions of a node's runtime that go into a signed transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeRuntime {
	/// `spec_version`, checked by `CheckSpecVersion`.
	pub spec_version: u32,
	/// `transaction_version`, checked by `CheckTxVersion`.
	pub transaction_version: u32,
}

impl NodeRuntime {
	/// The runtime this worker was built with.
	pub fn built() -> NodeRuntime {
		NodeRuntime { spec_version: VERSION.spec_version, transaction_version: VERSION.transaction_version }
	}
}

fn hex0x(bytes: &[u8]) -> String {
	format!("0x{}", hex::encode(bytes))
}

fn unhex(s: &str) -> Result<Vec<u8>> {
	hex::decode(s.trim_start_matches("0x")).with_context(|| format!("invalid hex from the node: {s}"))
}

impl Chain {
	/// Connects to `url`, checks the runtime version and reads the genesis hash. The worker
	/// acts for `validator`, or for the signer's own account when `None`.
	pub async fn connect(url: &str, signer: sr25519::Pair, validator: Option<AccountId>) -> Result<Chain> {
		let client = WsClientBuilder::default()
			.max_response_size(64 << 20)
			.build(url)
			.await
			.with_context(|| format!("cannot connect to the node at {url}"))?;
		let genesis: H256 = client
			.request("chain_getBlockHash", rpc_params![0u32])
			.await
			.context("chain_getBlockHash(0)")?;
		let signer_account = AccountId::from(signer.public());
		let account = validator.unwrap_or_else(|| signer_account.clone());
		let built = Surface::built()?;
		let chain = Chain { client, genesis, signer, signer_account, account, built, checked: Mutex::new(None) };
		let node = chain.node_runtime(None).await.with_context(|| format!("the node at {url}"))?;
		if node != NodeRuntime::built() {
			println!(
				"the node runs runtime version {} (transaction version {}), this worker was built with {} ({}): compatible (the {} items it uses, calls, storage, runtime API methods and transaction extensions, are unchanged)",
				node.spec_version,
				node.transaction_version,
				VERSION.spec_version,
				VERSION.transaction_version,
				chain.built.len(),
			);
		}
		Ok(chain)
	}

	/// The node's runtime at block `at` (its best block when `None`), after checking that the
	/// worker can use it: the same chain, and, the first time this `spec_version` is seen, the
	/// same type hashes for everything the worker uses ([`Surface::check`]).
	pub async fn node_runtime(&self, at: Option<H256>) -> Result<NodeRuntime> {
		let version: serde_json::Value =
			self.client.request("state_getRuntimeVersion", rpc_params![at]).await.context("state_getRuntimeVersion")?;
		let node = parse_version(&version)?;
		let known = *self.checked.lock().map_err(|_| anyhow!("runtime cache poisoned"))?;
		if known == Some(node) {
			return Ok(node);
		}
		let raw: String = self
			.client
			.request("state_call", rpc_params!["Metadata_metadata_at_version", hex0x(&METADATA_VERSION.encode()), at])
			.await
			.context("state_call Metadata_metadata_at_version")?;
		let metadata = Option::<Vec<u8>>::decode(&mut &unhex(&raw)?[..]).context("cannot decode the node's metadata")?;
		let metadata = metadata.ok_or_else(|| {
			IncompatibleRuntime(format!(
				"the node's runtime (version {}) serves no metadata V{METADATA_VERSION}: rebuild the worker from the node's source",
				node.spec_version
			))
		})?;
		self.built.check(&Surface::from_bytes(&metadata)?, node.spec_version)?;
		if let Some(before) = known {
			println!(
				"the node's runtime changed from version {} (transaction version {}) to {} ({}): compatible, signing for the new one",
				before.spec_version, before.transaction_version, node.spec_version, node.transaction_version
			);
		}
		*self.checked.lock().map_err(|_| anyhow!("runtime cache poisoned"))? = Some(node);
		Ok(node)
	}

	/// The node's runtime as last checked by [`Chain::node_runtime`].
	pub fn runtime(&self) -> Result<NodeRuntime> {
		let known = *self.checked.lock().map_err(|_| anyhow!("runtime cache poisoned"))?;
		known.context("internal: the node's runtime was never checked")
	}

	/// The validator the worker acts for: every round call counts as this account's.
	pub fn account(&self) -> &AccountId {
		&self.account
	}

	/// The account the worker signs with: the validator's own, or one it bound.
	pub fn signer_account(&self) -> &AccountId {
		&self.signer_account
	}

	/// The validator the signing account acts for at block `at` (`setWorkerAccount`), read
	/// from `FederatedLearning::ActsFor`.
	pub async fn acts_for(&self, at: H256) -> Result<Option<AccountId>> {
		let key = pallet_federated_learning::ActsFor::<Runtime>::hashed_key_for(&self.signer_account);
		self.storage(at, &key, "FederatedLearning::ActsFor").await
	}

	/// The server momentum of `round` (parts per million) at block `at`, from
	/// `FederatedLearning::RoundMomentum`: 0 when the round has none, and on a runtime from
	/// before server momentum (runtime 114), which has no such map.
	pub async fn round_momentum(&self, at: H256, round: RoundIndex) -> Result<u32> {
		let key = pallet_federated_learning::RoundMomentum::<Runtime>::hashed_key_for(round);
		Ok(self.storage(at, &key, "FederatedLearning::RoundMomentum").await?.unwrap_or(0))
	}

	/// The storage value at `key` (the item `name`, for messages) at block `at`, decoded;
	/// `None` when absent.
	async fn storage<T: Decode>(&self, at: H256, key: &[u8], name: &str) -> Result<Option<T>> {
		let raw: Option<String> = self
			.client
			.request("state_getStorage", rpc_params![hex0x(key), at])
			.await
			.with_context(|| format!("state_getStorage({name})"))?;
		raw.map(|hex| T::decode(&mut &unhex(&hex)?[..]).with_context(|| format!("cannot decode {name}")))
			.transpose()
	}

	/// The chain's genesis hash.
	pub fn genesis(&self) -> H256 {
		self.genesis
	}

	/// Subscribes to new best blocks.
	pub async fn best_heads(&self) -> Result<Subscription<Header>> {
		self.client
			.subscribe("chain_subscribeNewHeads", rpc_params![], "chain_unsubscribeNewHeads")
			.await
			.context("chain_subscribeNewHeads")
	}

	/// The best block's hash and number.
	pub async fn best(&self) -> Result<(H256, BlockNumber)> {
		let header: Header = self.client.request("chain_getHeader", rpc_params![]).await.context("chain_getHeader")?;
		Ok((header.hash(), *header.number()))
	}

	/// The latest finalized block's hash and number.
	pub async fn finalized(&self) -> Result<(H256, BlockNumber)> {
		let hash: H256 = self.client.request("chain_getFinalizedHead", rpc_params![]).await?;
		let header: Header = self
			.client
			.request("chain_getHeader", rpc_params![hash])
			.await
			.context("chain_getHeader(finalized)")?;
		Ok((hash, *header.number()))
	}

	async fn runtime_call<R: Decode>(&self, at: H256, method: &str, args: &[u8]) -> Result<R> {
		let raw: String = self
			.client
			.request("state_call", rpc_params![method, hex0x(args), at])
			.await
			.with_context(|| format!("state_call {method}"))?;
		R::decode(&mut &unhex(&raw)?[..]).with_context(|| format!("cannot decode the answer of {method}"))
	}

	/// The latest round at block `at`.
	pub async fn current_round(&self, at: H256) -> Result<Option<Round>> {
		self.runtime_call(at, "FederatedLearningApi_current_round", &[]).await
	}

	/// A round's commitments, reveals and aggregates at block `at`.
	pub async fn submissions(&self, at: H256, round: RoundIndex) -> Result<Submissions> {
		self.runtime_call(at, "FederatedLearningApi_round_submissions", &round.encode()).await
	}

	/// The latest global model at block `at`.
	pub async fn global_model(&self, at: H256) -> Result<Option<GlobalModel>> {
		self.runtime_call(at, "FederatedLearningApi_global_model", &[]).await
	}

	/// Registered workers at block `at`.
	pub async fn workers(&self, at: H256) -> Result<Vec<Worker>> {
		self.runtime_call(at, "FederatedLearningApi_workers", &[]).await
	}

	/// The current energy interval at block `at` (`EnergyDataApi::current_interval`).
	pub async fn current_interval(&self, at: H256) -> Result<IntervalIndex> {
		self.runtime_call(at, "EnergyDataApi_current_interval", &[]).await
	}

	/// The sealed energy data block of `interval` at block `at`, if sealed
	/// (`EnergyDataApi::data_block`).
	pub async fn data_block(&self, at: H256, interval: IntervalIndex) -> Result<Option<EnergyDataBlock>> {
		self.runtime_call(at, "EnergyDataApi_data_block", &interval.encode()).await
	}

	/// The grid map at block `at` (`DispatchApi::grid_map`).
	pub async fn grid_map(&self, at: H256) -> Result<Option<GridMapView>> {
		self.runtime_call(at, "DispatchApi_grid_map", &[]).await
	}

	/// The agreed dispatch of `interval` at block `at` (`DispatchApi::dispatch_for`).
	pub async fn dispatch_for(&self, at: H256, interval: IntervalIndex) -> Result<Option<DispatchView<BlockNumber>>> {
		self.runtime_call(at, "DispatchApi_dispatch_for", &interval.encode()).await
	}

	/// The open plans of `interval` at block `at` (`DispatchApi::pending_plans`).
	pub async fn pending_plans(&self, at: H256, interval: IntervalIndex) -> Result<Option<PendingView<AccountId>>> {
		self.runtime_call(at, "DispatchApi_pending_plans", &interval.encode()).await
	}

	/// Signs `call` with the worker's account (nonce from the node, counting its pool) and
	/// submits it, mortal from a block the node's pool has surely seen (see [`era_birth`];
	/// `at` is the best block the worker acts on). Returns the transaction hash once the pool
	/// accepted it; whether it succeeds shows in the state of the following blocks.
	pub async fn submit(&self, call: impl Into<RuntimeCall>, at: (H256, BlockNumber)) -> Result<H256> {
		let finalized = self.finalized().await?;
		let at = match era_birth(at.1, finalized) {
			Birth::Finalized => finalized,
			Birth::Number(n) => {
				let hash: Option<H256> =
					self.client.request("chain_getBlockHash", rpc_params![n]).await.context("chain_getBlockHash")?;
				(hash.with_context(|| format!("the node has no block #{n}"))?, n)
			},
		};
		let call = call.into();
		let nonce: u32 = self
			.client
			.request("system_accountNextIndex", rpc_params![self.signer_account.to_string()])
			.await
			.context("system_accountNextIndex")?;
		// The runtime checked at the latest head (the round loop calls `node_runtime` for every
		// block it acts on, so an upgrade is seen before a transaction is signed for it).
		let runtime = self.runtime()?;
		let xt = signed_extrinsic(call, &self.signer, nonce, self.genesis, runtime, at);
		let hash: H256 = self
			.client
			.request("author_submitExtrinsic", rpc_params![hex0x(&xt.encode())])
			.await
			.map_err(|e| anyhow!("the node refused the transaction: {e}"))?;
		Ok(hash)
	}
}

/// Which block a transaction's mortal era starts at.
#[derive(Debug, PartialEq, Eq)]
pub enum Birth {
	/// The latest finalized block.
	Finalized,
	/// This best-chain block (finality lags too far behind).
	Number(BlockNumber),
}

/// The birth block of a transaction sent while the best block is `best`: the latest finalized
/// block, unless finality lags by more than half the era, then the block half an era back.
///
/// Not the best block itself: the node's transaction pool validates against the blocks it has
/// processed, which lag behind the head the worker was told about when blocks are big (an
/// attacker stuffing them with 1.2 MB remarks made every reveal fail with "ancient birth
/// block", which is what a birth block the pool has not seen yet is called). A finalized
/// block every view has seen, and half an era keeps the transaction valid for 32 blocks.
pub fn era_birth(best: BlockNumber, finalized: (H256, BlockNumber)) -> Birth {
	let half = (MORTALITY / 2) as BlockNumber;
	if best.saturating_sub(finalized.1) <= half {
		Birth::Finalized
	} else {
		Birth::Number(best.saturating_sub(half))
	}
}

/// The versions in a `state_getRuntimeVersion` answer, after checking it is this chain's
/// runtime (`spec_name`).
pub fn parse_version(version: &serde_json::Value) -> Result<NodeRuntime> {
	let field = |name: &str| version.get(name).and_then(serde_json::Value::as_u64);
	let spec_name = version.get("specName").and_then(serde_json::Value::as_str).unwrap_or_default();
	let spec_version = u32::try_from(field("specVersion").context("runtime version without specVersion")?)?;
	let transaction_version =
		u32::try_from(field("transactionVersion").context("runtime version without transactionVersion")?)?;
	if spec_name != &*VERSION.spec_name {
		return Err(IncompatibleRuntime(format!("the node runs runtime {spec_name}, not {}: wrong chain", VERSION.spec_name)).into());
	}
	Ok(NodeRuntime { spec_version, transaction_version })
}

/// A signed extrinsic of the worker's account for the node's `runtime`, mortal for
/// [`MORTALITY`] blocks from `at`.
pub fn signed_extrinsic(
	call: RuntimeCall,
	signer: &sr25519::Pair,
	nonce: u32,
	genesis: H256,
	runtime: NodeRuntime,
	at: (H256, BlockNumber),
) -> UncheckedExtrinsic {
	let (at_hash, at_number) = at;
	let extension: TxExtension = (
		frame_system::CheckNonZeroSender::<Runtime>::new(),
		frame_system::CheckSpecVersion::<Runtime>::new(),
		frame_system::CheckTxVersion::<Runtime>::new(),
		frame_system::CheckGenesis::<Runtime>::new(),
		frame_system::CheckEra::<Runtime>::from(Era::mortal(MORTALITY, u64::from(at_number))),
		frame_system::CheckNonce::<Runtime>::from(nonce),
		frame_system::CheckWeight::<Runtime>::new(),
		pallet_transaction_payment::ChargeTransactionPayment::<Runtime>::from(0),
	);
	let implicit = ((), runtime.spec_version, runtime.transaction_version, genesis, at_hash, (), (), ());
	let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
	let signature = payload.using_encoded(|bytes| signer.sign(bytes));
	let account = AccountId::from(signer.public());
	UncheckedExtrinsic::new_signed(call, account.into(), MultiSignature::Sr25519(signature), extension)
}

/// The header's block hash.
pub fn block_hash(header: &Header) -> H256 {
	header.hash()
}

#[cfg(test)]
mod tests {
	use super::*;
	use sp_runtime::traits::Verify;

	#[test]
	fn extrinsic_decodes_as_the_runtime_s_and_its_signature_covers_the_payload() {
		let signer = sr25519::Pair::from_string("//Alice", None).unwrap();
		let call = RuntimeCall::FederatedLearning(pallet_federated_learning::Call::commit_update {
			round: 7,
			commitment: H256([3; 32]),
		});
		let (genesis, at) = (H256([1; 32]), (H256([2; 32]), 100));
		let xt = signed_extrinsic(call.clone(), &signer, 5, genesis, NodeRuntime::built(), at);
		let decoded = UncheckedExtrinsic::decode(&mut &xt.encode()[..]).unwrap();
		assert_eq!(decoded, xt);
		assert_eq!(decoded.function, call);
		let sp_runtime::generic::Preamble::Signed(address, signature, extension) = decoded.preamble else {
			panic!("not a signed extrinsic");
		};
		assert_eq!(address, AccountId::from(signer.public()).into());
		// The signature is over (call, extension, implicit) with this chain's genesis and block.
		let implicit = ((), VERSION.spec_version, VERSION.transaction_version, genesis, at.0, (), (), ());
		let payload = SignedPayload::from_raw(call.clone(), extension.clone(), implicit);
		let account = AccountId::from(signer.public());
		assert!(payload.using_encoded(|b| signature.verify(b, &account)));
		// Another genesis hash gives another payload: the signature does not verify.
		let other = ((), VERSION.spec_version, VERSION.transaction_version, H256([9; 32]), at.0, (), (), ());
		let payload = SignedPayload::from_raw(call, extension, other);
		assert!(!payload.using_encoded(|b| signature.verify(b, &account)));
	}

	#[test]
	fn a_transaction_is_born_at_a_block_the_pool_has_seen_and_lives_half_an_era_at_least() {
		let fin = |n| (H256([n as u8; 32]), n);
		assert_eq!(era_birth(100, fin(97)), Birth::Finalized);
		assert_eq!(era_birth(100, fin(100)), Birth::Finalized);
		assert_eq!(era_birth(100, fin(100 - 32)), Birth::Finalized);
		// Finality stalled: half an era behind the best block, still valid for 32 blocks.
		assert_eq!(era_birth(100, fin(100 - 33)), Birth::Number(68));
		assert_eq!(era_birth(5, fin(0)), Birth::Finalized);
		// A finalized block ahead of the best one the worker acted on (it moved on since).
		assert_eq!(era_birth(10, fin(12)), Birth::Finalized);
	}

	/// `state_getRuntimeVersion` as a node serves it for the worker's own runtime, changed by `f`.
	fn node_version(f: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
		let apis: Vec<serde_json::Value> =
			VERSION.apis.iter().map(|(id, v)| serde_json::json!([hex0x(id), v])).collect();
		let mut v = serde_json::json!({
			"specName": VERSION.spec_name,
			"implName": VERSION.impl_name,
			"authoringVersion": VERSION.authoring_version,
			"specVersion": VERSION.spec_version,
			"implVersion": VERSION.impl_version,
			"apis": apis,
			"transactionVersion": VERSION.transaction_version,
			"systemVersion": VERSION.system_version,
		});
		f(&mut v);
		v
	}

	#[test]
	fn the_node_s_versions_are_signed_and_another_chain_is_refused() {
		assert_eq!(parse_version(&node_version(|_| {})).unwrap(), NodeRuntime::built());
		// An upgrade that bumped both versions: the worker signs with the node's.
		let upgraded = node_version(|v| {
			v["specVersion"] = serde_json::json!(VERSION.spec_version + 1);
			v["transactionVersion"] = serde_json::json!(VERSION.transaction_version + 1);
		});
		let node = parse_version(&upgraded).unwrap();
		assert_eq!((node.spec_version, node.transaction_version), (VERSION.spec_version + 1, VERSION.transaction_version + 1));
		let err = parse_version(&node_version(|v| v["specName"] = serde_json::json!("polkadot"))).unwrap_err();
		assert!(err.downcast_ref::<IncompatibleRuntime>().is_some());
		assert!(err.to_string().contains("wrong chain"));
		assert!(parse_version(&node_version(|v| v["transactionVersion"] = serde_json::Value::Null)).is_err());
	}

	#[test]
	fn a_transaction_signed_for_another_transaction_version_does_not_verify_for_this_one() {
		let signer = sr25519::Pair::from_string("//Alice", None).unwrap();
		let call = RuntimeCall::FederatedLearning(pallet_federated_learning::Call::commit_update { round: 1, commitment: H256([3; 32]) });
		let (genesis, at) = (H256([1; 32]), (H256([2; 32]), 100));
		let bumped = NodeRuntime { transaction_version: VERSION.transaction_version + 1, ..NodeRuntime::built() };
		let xt = signed_extrinsic(call.clone(), &signer, 0, genesis, bumped, at);
		let sp_runtime::generic::Preamble::Signed(_, signature, extension) = xt.preamble else { panic!("unsigned") };
		let account = AccountId::from(signer.public());
		let payload = |tx: u32| SignedPayload::from_raw(call.clone(), extension.clone(), ((), VERSION.spec_version, tx, genesis, at.0, (), (), ()));
		assert!(payload(bumped.transaction_version).using_encoded(|b| signature.verify(b, &account)));
		assert!(!payload(VERSION.transaction_version).using_encoded(|b| signature.verify(b, &account)));
	}
}
