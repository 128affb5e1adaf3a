//! Can this worker use the node's runtime? Checked by type hash against the node's live metadata.
//!
//! The worker is compiled against `gridbrain-runtime` and encodes its transactions and decodes
//! the runtime API's answers with those types. What it depends on is small: five
//! `FederatedLearning` calls and `Dispatch::submit_plan`, two storage maps (`ActsFor`, and
//! `RoundMomentum` where the runtime has it: see [`OPTIONAL`]), four
//! `FederatedLearningApi` methods, two `EnergyDataApi` and three `DispatchApi` methods, and the
//! extrinsic format and transaction extensions it signs. [`Surface::of`] hashes exactly
//! those from a runtime's metadata V15, and [`Surface::check`] compares the surface of the
//! runtime the worker was built with against the node's.
//!
//! The hashes follow SCALE, which is positional: a type's hash covers its shape (composite,
//! enum, sequence, array, tuple, primitive, compact), every field's and variant's name, order,
//! index and type, recursively, but not the type's path or docs. Call hashes add the pallet's
//! and the call's index; storage hashes the prefix, modifier, hashers, key and value types;
//! API hashes the trait, method, inputs and output. (subxt's own hashes ignore field order,
//! because subxt encodes by name; this worker does not.)
//!
//! A runtime upgrade that leaves all of them alone (a fix in the market, a new pallet, a new FL
//! call the worker does not send, a `transaction_version` bumped for another pallet's change)
//! keeps the worker running; one that changes any of them stops it with a message naming each
//! changed item, instead of transactions failing one by one or answers decoded as garbage.

use anyhow::{anyhow, Context, Result};
use codec::{Decode, Encode};
use frame_metadata::{
	v14::StorageEntryType,
	v15::RuntimeMetadataV15,
	RuntimeMetadata, RuntimeMetadataPrefixed,
};
use scale_info::{form::PortableForm, Field, PortableRegistry, TypeDef};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The calls the worker signs, by pallet.
pub const CALLS: [(&str, &str); 6] = [
	(PALLET, "register_worker"),
	(PALLET, "commit_update"),
	(PALLET, "reveal_update"),
	(PALLET, "attest_availability"),
	(PALLET, "submit_aggregate"),
	("Dispatch", "submit_plan"),
];
/// The storage entries the worker reads, by pallet.
pub const STORAGE: [(&str, &str); 2] = [(PALLET, "ActsFor"), (PALLET, "RoundMomentum")];
/// Items the worker uses when the node's runtime has them and otherwise does without:
/// `RoundMomentum` is absent before runtime 114, where every round's momentum is 0. Present,
/// it must be unchanged like every other item.
pub const OPTIONAL: [&str; 1] = ["FederatedLearning::RoundMomentum"];
/// The runtime API methods the worker calls, by API.
pub const API_METHODS: [(&str, &str); 9] = [
	(API, "current_round"),
	(API, "round_submissions"),
	(API, "global_model"),
	(API, "workers"),
	("EnergyDataApi", "current_interval"),
	("EnergyDataApi", "data_block"),
	("DispatchApi", "grid_map"),
	("DispatchApi", "dispatch_for"),
	("DispatchApi", "pending_plans"),
];
/// The metadata version both sides are read at (V15 is the first with runtime APIs).
pub const METADATA_VERSION: u32 = 15;

const PALLET: &str = "FederatedLearning";
const API: &str = "FederatedLearningApi";

/// The node's runtime changed something this worker encodes or decodes: retrying does not
/// help, rebuilding the worker does.
#[derive(Debug)]
pub struct IncompatibleRuntime(pub String);

impl std::fmt::Display for IncompatibleRuntime {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(&self.0)
	}
}

impl std::error::Error for IncompatibleRuntime {}

/// Order-sensitive structural hashes of a registry's types (see the module docs).
struct TypeHasher<'a> {
	registry: &'a PortableRegistry,
	done: HashMap<u32, [u8; 32]>,
	visiting: HashSet<u32>,
}

impl<'a> TypeHasher<'a> {
	fn new(registry: &'a PortableRegistry) -> Self {
		TypeHasher { registry, done: HashMap::new(), visiting: HashSet::new() }
	}

	fn ty(&mut self, id: u32) -> [u8; 32] {
		if let Some(hash) = self.done.get(&id) {
			return *hash;
		}
		let Some(ty) = self.registry.resolve(id) else { return sp_crypto_hashing::blake2_256(b"missing type") };
		if !self.visiting.insert(id) {
			// A recursive type refers back to itself: the back edge hashes as a constant.
			return sp_crypto_hashing::blake2_256(b"recursive type");
		}
		let mut buf = Vec::new();
		match &ty.type_def {
			TypeDef::Composite(c) => {
				buf.push(0);
				self.fields(&c.fields, &mut buf);
			},
			TypeDef::Variant(v) => {
				buf.push(1);
				buf.extend((v.variants.len() as u32).encode());
				for variant in &v.variants {
					buf.push(variant.index);
					buf.extend(variant.name.encode());
					self.fields(&variant.fields, &mut buf);
				}
			},
			TypeDef::Sequence(s) => {
				buf.push(2);
				buf.extend(self.ty(s.type_param.id));
			},
			TypeDef::Array(a) => {
				buf.push(3);
				buf.extend(a.len.encode());
				buf.extend(self.ty(a.type_param.id));
			},
			TypeDef::Tuple(t) => {
				buf.push(4);
				buf.extend((t.fields.len() as u32).encode());
				for f in &t.fields {
					buf.extend(self.ty(f.id));
				}
			},
			TypeDef::Primitive(p) => {
				buf.push(5);
				buf.extend(p.encode());
			},
			TypeDef::Compact(c) => {
				buf.push(6);
				buf.extend(self.ty(c.type_param.id));
			},
			TypeDef::BitSequence(b) => {
				buf.push(7);
				buf.extend(self.ty(b.bit_store_type.id));
				buf.extend(self.ty(b.bit_order_type.id));
			},
		}
		self.visiting.remove(&id);
		let hash = sp_crypto_hashing::blake2_256(&buf);
		self.done.insert(id, hash);
		hash
	}

	fn fields(&mut self, fields: &[Field<PortableForm>], buf: &mut Vec<u8>) {
		buf.extend((fields.len() as u32).encode());
		for field in fields {
			buf.extend(field.name.encode());
			buf.extend(self.ty(field.ty.id));
		}
	}
}

/// The hashes of everything the worker uses of a runtime, by item (`FederatedLearning.commit_update`,
/// `FederatedLearningApi.workers`, `transaction extensions`, …). A missing item has no entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Surface(BTreeMap<String, [u8; 32]>);

impl Surface {
	/// Decodes `bytes` (a `RuntimeMetadataPrefixed`, as `Metadata_metadata_at_version` returns
	/// it inside its `Option<OpaqueMetadata>`) and hashes the worker's surface of it.
	pub fn from_bytes(bytes: &[u8]) -> Result<Surface> {
		let prefixed = RuntimeMetadataPrefixed::decode(&mut &bytes[..]).context("cannot decode the runtime's metadata")?;
		match prefixed.1 {
			RuntimeMetadata::V15(ref v15) => Ok(Surface::of(v15)),
			_ => Err(anyhow!("the runtime's metadata is not V{METADATA_VERSION}")),
		}
	}

	/// The surface of the runtime this worker was compiled with.
	pub fn built() -> Result<Surface> {
		let opaque = gridbrain_runtime::Runtime::metadata_at_version(METADATA_VERSION)
			.with_context(|| format!("the runtime has no metadata V{METADATA_VERSION}"))?;
		Surface::from_bytes(&opaque)
	}

	/// The worker's surface of `metadata`.
	pub fn of(metadata: &RuntimeMetadataV15) -> Surface {
		let mut items = BTreeMap::new();
		let mut h = TypeHasher::new(&metadata.types);
		let blake2 = |buf: Vec<u8>| sp_crypto_hashing::blake2_256(&buf);

		let x = &metadata.extrinsic;
		let format = [vec![x.version], h.ty(x.address_ty.id).to_vec(), h.ty(x.signature_ty.id).to_vec()].concat();
		items.insert("extrinsic format".to_string(), blake2(format));
		let mut extensions = Vec::new();
		for ext in &x.signed_extensions {
			extensions.extend(ext.identifier.encode());
			extensions.extend(h.ty(ext.ty.id));
			extensions.extend(h.ty(ext.additional_signed.id));
		}
		items.insert("transaction extensions".to_string(), blake2(extensions));

		let pallet = |name: &str| metadata.pallets.iter().find(|p| p.name == name);
		for (pallet_name, call) in CALLS {
			let Some(pallet) = pallet(pallet_name) else { continue };
			let variants = pallet.calls.as_ref().and_then(|c| match &metadata.types.resolve(c.ty.id)?.type_def {
				TypeDef::Variant(v) => Some(&v.variants),
				_ => None,
			});
			if let Some(variant) = variants.and_then(|v| v.iter().find(|v| v.name == call)) {
				let mut buf = vec![pallet.index, variant.index];
				h.fields(&variant.fields, &mut buf);
				items.insert(format!("{pallet_name}.{call}"), blake2(buf));
			}
		}
		for (pallet_name, name) in STORAGE {
			let Some(pallet) = pallet(pallet_name) else { continue };
			{
				let Some(storage) = &pallet.storage else { continue };
				if let Some(entry) = storage.entries.iter().find(|e| e.name == name) {
					let mut buf = storage.prefix.encode();
					buf.extend(entry.modifier.encode());
					match &entry.ty {
						StorageEntryType::Plain(ty) => buf.extend(h.ty(ty.id)),
						StorageEntryType::Map { hashers, key, value } => {
							buf.extend(hashers.encode());
							buf.extend(h.ty(key.id));
							buf.extend(h.ty(value.id));
						},
					}
					items.insert(format!("{pallet_name}::{name}"), blake2(buf));
				}
			}
		}
		for (api_name, name) in API_METHODS {
			let Some(api) = metadata.apis.iter().find(|a| a.name == api_name) else { continue };
			if let Some(method) = api.methods.iter().find(|m| m.name == name) {
				let mut buf = (api_name, name).encode();
				buf.extend((method.inputs.len() as u32).encode());
				for input in &method.inputs {
					buf.extend(input.name.encode());
					buf.extend(h.ty(input.ty.id));
				}
				buf.extend(h.ty(method.output.id));
				items.insert(format!("{api_name}.{name}"), blake2(buf));
			}
		}
		Surface(items)
	}

	/// The items of `self` (what the worker was built with) that `node` has changed, or lacks
	/// and the worker cannot do without ([`OPTIONAL`]), in order.
	pub fn changed(&self, node: &Surface) -> Vec<String> {
		self.0
			.iter()
			.filter(|(item, hash)| match node.0.get(*item) {
				Some(theirs) => theirs != *hash,
				None => !OPTIONAL.contains(&item.as_str()),
			})
			.map(|(item, _)| item.clone())
			.collect()
	}

	/// `Ok` when the node's runtime (version `spec_version`, surface `node`) is one this worker
	/// can use, else an [`IncompatibleRuntime`] naming every changed item.
	pub fn check(&self, node: &Surface, spec_version: u32) -> Result<()> {
		let changed = self.changed(node);
		if changed.is_empty() {
			return Ok(());
		}
		Err(IncompatibleRuntime(format!(
			"the node's runtime (version {spec_version}) changed what this worker encodes or decodes: {}; rebuild the worker from the node's source",
			changed.join(", ")
		))
		.into())
	}

	/// How many items the surface holds (every one the worker uses, when complete).
	pub fn len(&self) -> usize {
		self.0.len()
	}

	/// Whether the surface holds no item.
	pub fn is_empty(&self) -> bool {
		self.0.is_empty()
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	/// The worker's own runtime's metadata V15, changed by `f`, as the node would serve it.
	fn node_metadata(f: impl FnOnce(&mut RuntimeMetadataV15)) -> Vec<u8> {
		let opaque = gridbrain_runtime::Runtime::metadata_at_version(METADATA_VERSION).unwrap();
		let mut prefixed = RuntimeMetadataPrefixed::decode(&mut &opaque[..]).unwrap();
		let RuntimeMetadata::V15(ref mut v15) = prefixed.1 else { panic!("not V15") };
		f(v15);
		prefixed.encode()
	}

	/// The call variants of `pallet` in `m`'s type registry, for editing.
	fn calls_of<'a>(m: &'a mut RuntimeMetadataV15, pallet: &str) -> &'a mut Vec<scale_info::Variant<PortableForm>> {
		let id = m.pallets.iter().find(|p| p.name == pallet).unwrap().calls.as_ref().unwrap().ty.id;
		let ty = m.types.types.iter_mut().find(|t| t.id == id).unwrap();
		let TypeDef::Variant(ref mut v) = ty.ty.type_def else { panic!("calls are not an enum") };
		&mut v.variants
	}

	fn check(bytes: Vec<u8>) -> Result<()> {
		Surface::built().unwrap().check(&Surface::from_bytes(&bytes).unwrap(), 999)
	}

	#[test]
	fn the_built_surface_holds_every_item_the_worker_uses() {
		let surface = Surface::built().unwrap();
		assert_eq!(surface.len(), 2 + CALLS.len() + STORAGE.len() + API_METHODS.len(), "{surface:?}");
		check(node_metadata(|_| {})).unwrap();
	}

	#[test]
	fn a_runtime_from_before_server_momentum_is_compatible() {
		// Runtime 113 has no `RoundMomentum`: the worker reads 0 for every round there.
		check(node_metadata(|m| {
			let storage = m.pallets.iter_mut().find(|p| p.name == PALLET).unwrap().storage.as_mut().unwrap();
			storage.entries.retain(|e| e.name != "RoundMomentum");
		}))
		.unwrap();
	}

	#[test]
	fn an_upgrade_that_leaves_the_worker_s_items_alone_is_compatible() {
		// Another pallet's call changes (what bumps transaction_version).
		check(node_metadata(|m| {
			let calls = calls_of(m, "EnergyMarket");
			calls[0].fields.clear();
			calls.remove(1);
		}))
		.unwrap();
		// A new FL call the worker does not send, and a new runtime API method.
		check(node_metadata(|m| {
			let calls = calls_of(m, PALLET);
			let mut extra = calls[0].clone();
			extra.name = "a_new_call".into();
			extra.index = 200;
			calls.push(extra);
			let api = m.apis.iter_mut().find(|a| a.name == API).unwrap();
			let mut method = api.methods[0].clone();
			method.name = "a_new_method".into();
			api.methods.push(method);
			m.pallets.retain(|p| p.name != "Sudo");
		}))
		.unwrap();
		// A type renamed or moved (its path), with the same shape.
		check(node_metadata(|m| {
			let ty = m.types.types.iter_mut().find(|t| t.ty.path.segments.last().map(String::as_str) == Some("RoundView")).unwrap();
			ty.ty.path.segments = vec!["somewhere_else".into(), "RoundSummary".into()];
		}))
		.unwrap();
	}

	#[test]
	fn a_change_to_anything_the_worker_encodes_or_decodes_stops_it_and_names_the_item() {
		let err = |bytes| check(bytes).unwrap_err();
		// A call's argument renamed or retyped.
		let e = err(node_metadata(|m| {
			let calls = calls_of(m, PALLET);
			let commit = calls.iter_mut().find(|c| c.name == "commit_update").unwrap();
			commit.fields.reverse();
		}));
		assert!(e.downcast_ref::<IncompatibleRuntime>().is_some());
		let msg = e.to_string();
		assert!(msg.contains("FederatedLearning.commit_update") && msg.contains("version 999"), "{msg}");
		assert!(!msg.contains("reveal_update"), "{msg}");
		// A call moved to another index, or removed.
		let msg = err(node_metadata(|m| {
			let calls = calls_of(m, PALLET);
			calls.iter_mut().find(|c| c.name == "reveal_update").unwrap().index = 77;
			calls.retain(|c| c.name != "submit_aggregate");
		}))
		.to_string();
		assert!(msg.contains("FederatedLearning.reveal_update, FederatedLearning.submit_aggregate"), "{msg}");
		// The pallet moved: every call's encoding changes.
		let msg = err(node_metadata(|m| m.pallets.iter_mut().find(|p| p.name == PALLET).unwrap().index = 99)).to_string();
		assert_eq!(msg.matches("FederatedLearning.").count(), CALLS.iter().filter(|(p, _)| *p == PALLET).count(), "{msg}");
		assert!(!msg.contains("Dispatch.submit_plan"), "{msg}");
		// The plan call's argument order (SCALE is positional), and a Dispatch API answer.
		let msg = err(node_metadata(|m| {
			let plan = calls_of(m, "Dispatch").iter_mut().find(|c| c.name == "submit_plan").unwrap();
			plan.fields.swap(2, 3);
			let api = m.apis.iter_mut().find(|a| a.name == "DispatchApi").unwrap();
			let of = |name: &str| api.methods.iter().position(|x| x.name == name).unwrap();
			let (grid_map, dispatch_for) = (of("grid_map"), of("dispatch_for"));
			api.methods[grid_map].output = api.methods[dispatch_for].output;
		}))
		.to_string();
		assert!(msg.contains("Dispatch.submit_plan") && msg.contains("DispatchApi.grid_map"), "{msg}");
		assert!(!msg.contains("DispatchApi.dispatch_for"), "{msg}");
		// A runtime API method's output type.
		let msg = err(node_metadata(|m| {
			let api = m.apis.iter_mut().find(|a| a.name == API).unwrap();
			let of = |name: &str| api.methods.iter().position(|x| x.name == name).unwrap();
			let (workers, current_round) = (of("workers"), of("current_round"));
			api.methods[workers].output = api.methods[current_round].output;
		}))
		.to_string();
		assert!(msg.contains("FederatedLearningApi.workers"), "{msg}");
		// The storage entry the worker reads.
		let msg = err(node_metadata(|m| {
			let storage = m.pallets.iter_mut().find(|p| p.name == PALLET).unwrap().storage.as_mut().unwrap();
			storage.entries.retain(|e| e.name != "ActsFor");
		}))
		.to_string();
		assert!(msg.contains("FederatedLearning::ActsFor"), "{msg}");
		// The optional round momentum with another value type.
		let msg = err(node_metadata(|m| {
			let storage = m.pallets.iter_mut().find(|p| p.name == PALLET).unwrap().storage.as_mut().unwrap();
			let acts_for = storage.entries.iter().find(|e| e.name == "ActsFor").unwrap().ty.clone();
			storage.entries.iter_mut().find(|e| e.name == "RoundMomentum").unwrap().ty = acts_for;
		}))
		.to_string();
		assert!(msg.contains("FederatedLearning::RoundMomentum"), "{msg}");
		// Two fields of a struct the runtime API returns swap places (same types, so a
		// by-name hash would not notice; SCALE decoding would read one as the other).
		let msg = err(node_metadata(|m| {
			let ty = m.types.types.iter_mut().find(|t| t.ty.path.segments.last().map(String::as_str) == Some("RoundView")).unwrap();
			let TypeDef::Composite(ref mut c) = ty.ty.type_def else { panic!("RoundView is not a struct") };
			let (a, b) = (c.fields.iter().position(|f| f.name.as_deref() == Some("commit_end")).unwrap(), c.fields.iter().position(|f| f.name.as_deref() == Some("reveal_end")).unwrap());
			c.fields.swap(a, b);
		}))
		.to_string();
		assert!(msg.contains("FederatedLearningApi.current_round"), "{msg}");
		// A new transaction extension.
		let msg = err(node_metadata(|m| {
			let first = m.extrinsic.signed_extensions[0].clone();
			m.extrinsic.signed_extensions.push(first);
		}))
		.to_string();
		assert!(msg.contains("transaction extensions"), "{msg}");
	}
}
