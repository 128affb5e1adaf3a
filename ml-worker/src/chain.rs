//! The worker's connection to its node: WebSocket JSON-RPC, the FederatedLearning runtime API,
//! and signed extrinsics built with the runtime's own types.
//!
//! The worker is compiled against `gridbrain-runtime`, so calls and transaction extensions are
//! encoded exactly as the runtime decodes them. A forkless runtime upgrade does not stop it:
//! what it depends on is the encoding of transactions (`transaction_version`, which the runtime
//! bumps whenever call indices, argument encodings or transaction extensions change) and the
//! `FederatedLearningApi` it queries (its version in the runtime's API list). [`Chain::connect`]
//! and every [`Chain::submit`] check those two against the node's current runtime
//! ([`compatibility`]) and sign with the node's current `spec_version`; an incompatible runtime
//! is refused with a message saying what changed, instead of transactions failing one by one.

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
use pallet_federated_learning::{runtime_api::WorkerView, GlobalModelInfo, RoundIndex, RoundSubmissions, RoundView};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::{generic::Era, traits::Header as _, MultiSignature};

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
		let chain = Chain { client, genesis, signer, signer_account, account };
		let spec_version = chain.runtime_version().await.with_context(|| format!("the node at {url}"))?;
		if spec_version != VERSION.spec_version {
			println!(
				"the node runs runtime version {spec_version}, this worker was built with {}: compatible (same transaction encoding and FederatedLearningApi)",
				VERSION.spec_version
			);
		}
		Ok(chain)
	}

	/// The node's current runtime `spec_version`, after checking that the worker can use that
	/// runtime ([`compatibility`]).
	pub async fn runtime_version(&self) -> Result<u32> {
		let version: serde_json::Value =
			self.client.request("state_getRuntimeVersion", rpc_params![]).await.context("state_getRuntimeVersion")?;
		compatibility(&version)
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
		let raw: Option<String> = self
			.client
			.request("state_getStorage", rpc_params![hex0x(&key), at])
			.await
			.context("state_getStorage(FederatedLearning::ActsFor)")?;
		raw.map(|hex| AccountId::decode(&mut &unhex(&hex)?[..]).context("cannot decode FederatedLearning::ActsFor"))
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

	/// Signs `call` with the worker's account (nonce from the node, counting its pool) and
	/// submits it, mortal from a block the node's pool has surely seen (see [`era_birth`];
	/// `at` is the best block the worker acts on). Returns the transaction hash once the pool
	/// accepted it; whether it succeeds shows in the state of the following blocks.
	pub async fn submit(&self, call: pallet_federated_learning::Call<Runtime>, at: (H256, BlockNumber)) -> Result<H256> {
		let finalized = self.finalized().await?;
		let at = match era_birth(at.1, finalized) {
			Birth::Finalized => finalized,
			Birth::Number(n) => {
				let hash: Option<H256> =
					self.client.request("chain_getBlockHash", rpc_params![n]).await.context("chain_getBlockHash")?;
				(hash.with_context(|| format!("the node has no block #{n}"))?, n)
			},
		};
		let call = RuntimeCall::FederatedLearning(call);
		let nonce: u32 = self
			.client
			.request("system_accountNextIndex", rpc_params![self.signer_account.to_string()])
			.await
			.context("system_accountNextIndex")?;
		// Checked before every transaction: a runtime upgrade may have happened since the last.
		let spec_version = self.runtime_version().await?;
		let xt = signed_extrinsic(call, &self.signer, nonce, self.genesis, spec_version, at);
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

/// The node's runtime is one the worker cannot use (another chain, transaction encoding or
/// `FederatedLearningApi` version): retrying does not help, rebuilding the worker does.
#[derive(Debug)]
pub struct IncompatibleRuntime(pub String);

impl std::fmt::Display for IncompatibleRuntime {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(&self.0)
	}
}

impl std::error::Error for IncompatibleRuntime {}

/// The id of the `FederatedLearningApi` runtime API in a runtime's version (`blake2_64` of its
/// name).
fn fl_api_id() -> [u8; 8] {
	sp_crypto_hashing::blake2_64(b"FederatedLearningApi")
}

/// Whether the worker can use the runtime whose `state_getRuntimeVersion` answer is `version`:
/// the same chain (`spec_name`), the same transaction encoding (`transaction_version`) and the
/// same `FederatedLearningApi` version as the runtime the worker was built with. Returns the
/// runtime's `spec_version` (signed into every transaction).
pub fn compatibility(version: &serde_json::Value) -> Result<u32> {
	let field = |name: &str| version.get(name).and_then(serde_json::Value::as_u64);
	let spec_name = version.get("specName").and_then(serde_json::Value::as_str).unwrap_or_default();
	let spec_version = u32::try_from(field("specVersion").context("runtime version without specVersion")?)?;
	let transaction_version =
		u32::try_from(field("transactionVersion").context("runtime version without transactionVersion")?)?;
	let rebuild = "rebuild the worker from the node's source";
	let incompatible = |msg: String| Err(IncompatibleRuntime(msg).into());
	if spec_name != &*VERSION.spec_name {
		return incompatible(format!("the node runs runtime {spec_name}, not {}: wrong chain", VERSION.spec_name));
	}
	if transaction_version != VERSION.transaction_version {
		return incompatible(format!(
			"the node's runtime (version {spec_version}) encodes transactions differently (transaction_version {transaction_version}, this worker: {}): {rebuild}",
			VERSION.transaction_version
		));
	}
	let id = fl_api_id();
	let wanted = VERSION.apis.iter().find(|(api, _)| *api == id).map(|(_, v)| *v);
	let have = version.get("apis").and_then(serde_json::Value::as_array).and_then(|apis| {
		apis.iter().find_map(|entry| {
			let pair = entry.as_array()?;
			let api = unhex(pair.first()?.as_str()?).ok()?;
			(api == id).then(|| pair.get(1)?.as_u64())?
		})
	});
	if have.map(|v| u64::from(wanted.unwrap_or(0)) == v) != Some(true) {
		return incompatible(format!(
			"the node's runtime (version {spec_version}) has FederatedLearningApi version {have:?}, this worker needs {wanted:?}: {rebuild}"
		));
	}
	Ok(spec_version)
}

/// A signed extrinsic of the worker's account for a runtime of `spec_version`, mortal for
/// [`MORTALITY`] blocks from `at`.
pub fn signed_extrinsic(
	call: RuntimeCall,
	signer: &sr25519::Pair,
	nonce: u32,
	genesis: H256,
	spec_version: u32,
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
	let implicit = ((), spec_version, VERSION.transaction_version, genesis, at_hash, (), (), ());
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
		let xt = signed_extrinsic(call.clone(), &signer, 5, genesis, VERSION.spec_version, at);
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
	fn a_runtime_upgrade_that_keeps_transactions_and_the_api_is_compatible() {
		assert_eq!(compatibility(&node_version(|_| {})).unwrap(), VERSION.spec_version);
		// Another spec_version (an upgrade, or the release before): signed with the node's.
		let upgraded = node_version(|v| v["specVersion"] = serde_json::json!(VERSION.spec_version + 1));
		assert_eq!(compatibility(&upgraded).unwrap(), VERSION.spec_version + 1);
	}

	#[test]
	fn another_transaction_encoding_api_version_or_chain_is_refused() {
		let tx = node_version(|v| v["transactionVersion"] = serde_json::json!(VERSION.transaction_version + 1));
		let err = compatibility(&tx).unwrap_err();
		assert!(err.downcast_ref::<IncompatibleRuntime>().is_some());
		assert!(err.to_string().contains("encodes transactions differently"));
		let id = hex0x(&fl_api_id());
		let api = node_version(|v| {
			for entry in v["apis"].as_array_mut().unwrap() {
				if entry[0] == serde_json::json!(id) {
					entry[1] = serde_json::json!(99);
				}
			}
		});
		assert!(compatibility(&api).unwrap_err().to_string().contains("FederatedLearningApi version Some(99)"));
		let no_api = node_version(|v| v["apis"] = serde_json::json!([]));
		assert!(compatibility(&no_api).unwrap_err().to_string().contains("FederatedLearningApi version None"));
		let chain = node_version(|v| v["specName"] = serde_json::json!("polkadot"));
		assert!(compatibility(&chain).unwrap_err().to_string().contains("wrong chain"));
	}
}
