//! What a worker keeps under its `--base-path`: the worker key, the round checkpoints
//! (`rounds/<r>.state`, written before the commitment goes out), the global models
//! (`models/<hash>.model`, `global`), `history.csv`, and the chain it belongs to (`chain`).
//! [`DiskStore`] holds the checkpoints and models (the models also in memory, bounded);
//! every file is written atomically (temporary file, sync, rename).

use crate::model::agg_err;
use anyhow::{bail, Context, Result};
use codec::{Decode, Encode};
use ed25519_dalek::SigningKey;
use gridbrain_aggregation as agg;
use sp_core::H256;
use std::{
	collections::{HashMap, VecDeque},
	path::{Path, PathBuf},
};

use crate::federated::SignedUpdate;

/// Rounds of checkpoints and model files kept on disk (and twice as many models in memory).
pub const KEEP_ROUNDS: u32 = 8;

/// A round's checkpoint: written before the commit is sent, so a restarted worker can reveal.
#[derive(Clone, Debug, Encode, Decode)]
pub struct RoundState {
	pub round: u32,
	pub base_hash: [u8; 32],
	pub salt: [u8; 32],
	pub update: SignedUpdate,
	/// Last-epoch training MSE × 10⁶.
	pub train_loss: u64,
	/// Whether the update went out on gossipsub (after the reveal landed).
	pub published: bool,
	/// The aggregate submitted: hash and included workers.
	pub aggregate: Option<([u8; 32], Vec<[u8; 32]>)>,
}

/// One finalized round as the worker saw it.
#[derive(Clone, Debug)]
pub struct Finalized {
	pub round: u32,
	pub version: u32,
	pub train_mse: f64,
	pub test_mse: f32,
	pub metrics: crate::data::Metrics,
	pub seconds: Option<f64>,
	/// Chain-derived scenarios (sealed energy data) this worker added to its shard to train
	/// the round's update (`None`: this process trained no update for the round: it did not
	/// take part, or trained it before a restart).
	pub chain_scenarios: Option<usize>,
}

/// The round checkpoints and global models of one base path.
pub struct DiskStore {
	base: PathBuf,
	/// The seeded initial model's hash: always kept in memory.
	initial_hash: [u8; 32],
	models: HashMap<[u8; 32], agg::Model>,
	order: VecDeque<[u8; 32]>,
}

impl DiskStore {
	/// The store of `base`, holding the seeded `initial` model.
	pub fn new(base: PathBuf, initial: agg::Model) -> DiskStore {
		let initial_hash = initial.hash();
		DiskStore { base, initial_hash, models: HashMap::from([(initial_hash, initial)]), order: VecDeque::new() }
	}

	/// The seeded initial model's hash (the base of round 0).
	pub fn initial_hash(&self) -> [u8; 32] {
		self.initial_hash
	}

	/// The base path.
	pub fn base(&self) -> &Path {
		&self.base
	}

	fn dir(&self, sub: &str) -> Result<PathBuf> {
		let d = self.base.join(sub);
		std::fs::create_dir_all(&d).with_context(|| format!("creating {}", d.display()))?;
		Ok(d)
	}

	fn checkpoint_path(&self, round: u32) -> Result<PathBuf> {
		Ok(self.dir("rounds")?.join(format!("{round}.state")))
	}

	/// Writes a round's checkpoint.
	pub fn save_checkpoint(&self, s: &RoundState) -> Result<()> {
		write_atomic(&self.checkpoint_path(s.round)?, &s.encode())
	}

	/// A round's checkpoint, if one was written; a torn or corrupt one is an error saying which
	/// file to delete.
	pub fn load_checkpoint(&self, round: u32) -> Result<Option<RoundState>> {
		let path = self.checkpoint_path(round)?;
		if !path.exists() {
			return Ok(None);
		}
		let bytes = std::fs::read(&path)?;
		let s = RoundState::decode(&mut &bytes[..])
			.with_context(|| format!("corrupt checkpoint {} (delete it to skip the round)", path.display()))?;
		Ok(Some(s))
	}

	/// Removes round checkpoints older than `KEEP_ROUNDS` and all but the newest `KEEP_ROUNDS`
	/// model files, so the base path does not grow without bound.
	pub fn prune(&self, round: u32) -> Result<()> {
		for entry in std::fs::read_dir(self.dir("rounds")?)?.flatten() {
			let name = entry.file_name();
			let old = name
				.to_str()
				.and_then(|n| n.strip_suffix(".state"))
				.and_then(|n| n.parse::<u32>().ok())
				.is_some_and(|r| r.saturating_add(KEEP_ROUNDS) <= round);
			if old {
				let _ = std::fs::remove_file(entry.path());
			}
		}
		let mut models: Vec<(std::time::SystemTime, PathBuf)> = std::fs::read_dir(self.dir("models")?)?
			.flatten()
			.filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
			.collect();
		models.sort();
		let excess = models.len().saturating_sub(KEEP_ROUNDS as usize);
		for (_, path) in models.into_iter().take(excess) {
			let _ = std::fs::remove_file(path);
		}
		Ok(())
	}

	/// Keeps a model in memory; beyond `2 × KEEP_ROUNDS` the oldest go (never the initial one;
	/// adopted models are on disk).
	pub fn remember(&mut self, hash: [u8; 32], model: agg::Model) {
		if self.models.insert(hash, model).is_none() {
			self.order.push_back(hash);
		}
		while self.order.len() > 2 * KEEP_ROUNDS as usize {
			if let Some(old) = self.order.pop_front() {
				if old != self.initial_hash {
					self.models.remove(&old);
				}
			}
		}
	}

	/// A model by hash: memory, disk, or the seeded initial model.
	pub fn model(&mut self, hash: &[u8; 32]) -> Result<Option<agg::Model>> {
		if let Some(m) = self.models.get(hash) {
			return Ok(Some(m.clone()));
		}
		let path = self.dir("models")?.join(format!("{}.model", hex::encode(hash)));
		if path.exists() {
			let m = agg::Model::decode(&std::fs::read(&path)?).map_err(agg_err)?;
			if m.hash() == *hash {
				self.remember(*hash, m.clone());
				return Ok(Some(m));
			}
			eprintln!("warning: {} does not hash to its name; ignoring it", path.display());
		}
		Ok(None)
	}

	/// Writes an adopted global model (`models/<hash>.model`) and records it as the latest
	/// (`global`: version and hash).
	pub fn adopt(&self, version: u32, hash: [u8; 32], bytes: &[u8]) -> Result<()> {
		write_atomic(&self.dir("models")?.join(format!("{}.model", hex::encode(hash))), bytes)?;
		write_atomic(&self.base.join("global"), format!("{version} 0x{}\n", hex::encode(hash)).as_bytes())
	}

	/// The version of the latest adopted global model (0 before the first).
	pub fn adopted_version(&self) -> u32 {
		self.adopted().map_or(0, |(v, _)| v)
	}

	/// The version and hash of the latest adopted global model, if any.
	pub fn adopted(&self) -> Option<(u32, [u8; 32])> {
		let text = std::fs::read_to_string(self.base.join("global")).ok()?;
		let mut parts = text.split_whitespace();
		let version = parts.next()?.parse().ok()?;
		let hash = hex::decode(parts.next()?.trim_start_matches("0x")).ok()?.try_into().ok()?;
		Some((version, hash))
	}
}

pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
	write_atomic_mode(path, bytes, 0o644)
}

/// Writes `bytes` to a fresh temporary file created with `mode` (so a secret is never readable
/// by others, not even for a moment), syncs it and renames it over `path`.
fn write_atomic_mode(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
	use std::io::Write;
	let tmp = path.with_extension("tmp");
	// A leftover from a crash would make `create_new` fail; it holds nothing anyone needs.
	let _ = std::fs::remove_file(&tmp);
	let mut options = std::fs::OpenOptions::new();
	options.write(true).create_new(true);
	#[cfg(unix)]
	{
		use std::os::unix::fs::OpenOptionsExt;
		options.mode(mode);
	}
	#[cfg(not(unix))]
	let _ = mode;
	{
		let mut f = options.open(&tmp).with_context(|| format!("writing {}", tmp.display()))?;
		f.write_all(bytes)?;
		f.sync_all()?;
	}
	std::fs::rename(&tmp, path).with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

/// Refuses a secret file that group or others may read (as ssh does with private keys).
pub fn check_private(path: &Path) -> Result<()> {
	#[cfg(unix)]
	{
		use std::os::unix::fs::PermissionsExt;
		let mode = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.permissions().mode();
		if mode & 0o077 != 0 {
			bail!("{} is readable by group or others (mode {:o}): run `chmod 600 {}`", path.display(), mode & 0o777, path.display());
		}
	}
	Ok(())
}

/// Loads the worker's ed25519 key from `<base>/worker.key` (hex), creating it on first start
/// with mode 0600 (atomically: the file never exists with wider permissions).
pub fn load_or_create_key(base: &Path) -> Result<SigningKey> {
	std::fs::create_dir_all(base).with_context(|| format!("creating {}", base.display()))?;
	let path = base.join("worker.key");
	if path.exists() {
		check_private(&path)?;
		let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
		let bytes: [u8; 32] = hex::decode(text.trim())
			.ok()
			.and_then(|b| b.try_into().ok())
			.with_context(|| format!("{} must hold 32 bytes in hex", path.display()))?;
		return Ok(SigningKey::from_bytes(&bytes));
	}
	let secret: [u8; 32] = rand::random();
	write_atomic_mode(&path, hex::encode(secret).as_bytes(), 0o600)?;
	eprintln!("created worker key {}", path.display());
	Ok(SigningKey::from_bytes(&secret))
}

/// The environment variable `run` reads the signing account's secret URI from when no
/// `--suri-file` is given.
pub const SURI_ENV: &str = "GRIDBRAIN_WORKER_SURI";

/// The secret URI of the account the worker signs with: from `--suri-file` (mode 0600), else
/// from `$GRIDBRAIN_WORKER_SURI`, else from `--suri` (visible in the process list: dev only).
pub fn resolve_suri(file: Option<&Path>, arg: Option<String>, env: Option<String>) -> Result<String> {
	let suri = if let Some(path) = file {
		check_private(path)?;
		std::fs::read_to_string(path).with_context(|| format!("reading --suri-file {}", path.display()))?
	} else if let Some(s) = env.filter(|s| !s.trim().is_empty()) {
		s
	} else if let Some(s) = arg {
		eprintln!("warning: --suri puts the secret in the process list; use --suri-file or ${SURI_ENV}");
		s
	} else {
		bail!("no signing account: give --suri-file FILE (mode 0600) or set ${SURI_ENV}");
	};
	let suri = suri.trim().to_string();
	if suri.is_empty() {
		bail!("the secret URI is empty");
	}
	Ok(suri)
}

/// `history.csv`: one row per adopted global model.
pub fn history_csv(history: &[Finalized]) -> String {
	let mut csv =
		String::from("round,version,train_mse,test_mse,mean_gap,worst_gap,infeasible_before,infeasible_after,seconds,chain_scenarios\n");
	for f in history {
		csv.push_str(&format!(
			"{},{},{:.6},{:.6},{:.6},{:.6},{:.4},{:.4},{},{}\n",
			f.round,
			f.version,
			f.train_mse,
			f.test_mse,
			f.metrics.mean_gap,
			f.metrics.worst_gap,
			f.metrics.infeasible_before,
			f.metrics.infeasible_after,
			f.seconds.map_or(String::new(), |s| format!("{s:.1}")),
			f.chain_scenarios.map_or(String::new(), |n| n.to_string())
		));
	}
	csv
}

/// Reads back `history.csv` (rows that do not parse are skipped).
pub fn load_history(path: &Path) -> Vec<Finalized> {
	let Ok(text) = std::fs::read_to_string(path) else { return Vec::new() };
	text.lines()
		.skip(1)
		.filter_map(|line| {
			let f: Vec<&str> = line.split(',').collect();
			let num = |k: usize| f.get(k).and_then(|v| v.parse::<f64>().ok());
			Some(Finalized {
				round: f.first()?.parse().ok()?,
				version: f.get(1)?.parse().ok()?,
				train_mse: num(2)?,
				test_mse: num(3)? as f32,
				metrics: crate::data::Metrics {
					n: 0,
					mean_gap: num(4)?,
					worst_gap: num(5)?,
					infeasible_before: num(6)?,
					infeasible_after: num(7)?,
					fallback: 0.0,
				},
				seconds: num(8),
				chain_scenarios: f.get(9).and_then(|v| v.parse().ok()),
			})
		})
		.collect()
}

/// A base path holds one chain's checkpoints and models: `<base>/chain` records its genesis
/// hash on first start, and a worker pointed at another chain (e.g. a restarted `--dev` chain)
/// stops with a message instead of mixing the two.
pub fn check_chain_of_base_path(base: &Path, genesis: H256) -> Result<()> {
	let path = base.join("chain");
	let mine = format!("{genesis:?}");
	match std::fs::read_to_string(&path) {
		Ok(text) if text.trim() == mine => Ok(()),
		Ok(text) => bail!(
			"{} belongs to the chain with genesis {}, but the node runs {mine}: use another --base-path (or delete its rounds/, models/, global and history.csv)",
			base.display(),
			text.trim()
		),
		Err(_) => write_atomic(&path, mine.as_bytes()),
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	fn tmp(name: &str) -> PathBuf {
		let d = std::env::temp_dir().join(format!("gridbrain-run-{name}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&d);
		d
	}

	#[test]
	fn history_survives_a_restart() {
		let f = |round, seconds| Finalized {
			round,
			version: round + 1,
			train_mse: 0.0125,
			test_mse: 0.03125,
			metrics: crate::data::Metrics { n: 0, mean_gap: 0.015, worst_gap: 0.25, infeasible_before: 1.0, infeasible_after: 0.0, fallback: 0.0 },
			seconds,
			chain_scenarios: seconds.map(|_| 12),
		};
		let history = vec![f(0, Some(66.5)), f(1, None)];
		let dir = tmp("history");
		std::fs::create_dir_all(&dir).unwrap();
		let path = dir.join("history.csv");
		write_atomic(&path, history_csv(&history).as_bytes()).unwrap();
		let back = load_history(&path);
		assert_eq!(back.len(), 2);
		assert_eq!((back[0].round, back[0].version, back[0].seconds), (0, 1, Some(66.5)));
		assert_eq!((back[1].round, back[1].seconds), (1, None));
		assert_eq!((back[0].chain_scenarios, back[1].chain_scenarios), (Some(12), None));
		assert_eq!(back[1].metrics.mean_gap, 0.015);
		assert_eq!(back[1].test_mse, 0.03125);
		// The file round-trips to the same text.
		assert_eq!(history_csv(&back), history_csv(&history));
		// A missing file is an empty history; a torn row is skipped.
		assert!(load_history(&dir.join("none.csv")).is_empty());
		std::fs::write(&path, "header\n1,2,0.1\n").unwrap();
		assert!(load_history(&path).is_empty());
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn a_base_path_stays_with_its_chain() {
		let dir = tmp("chain");
		std::fs::create_dir_all(&dir).unwrap();
		check_chain_of_base_path(&dir, H256([1; 32])).unwrap();
		check_chain_of_base_path(&dir, H256([1; 32])).unwrap();
		let err = check_chain_of_base_path(&dir, H256([2; 32])).unwrap_err().to_string();
		assert!(err.contains("use another --base-path"), "{err}");
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn worker_key_is_created_once_and_reloaded() {
		let dir = tmp("key");
		let k1 = load_or_create_key(&dir).unwrap();
		let k2 = load_or_create_key(&dir).unwrap();
		assert_eq!(k1.to_bytes(), k2.to_bytes());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			let mode = std::fs::metadata(dir.join("worker.key")).unwrap().permissions().mode();
			assert_eq!(mode & 0o777, 0o600, "created private");
			// A key that others may read is refused, with the fix in the message.
			std::fs::set_permissions(dir.join("worker.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
			let err = load_or_create_key(&dir).unwrap_err().to_string();
			assert!(err.contains("chmod 600"), "{err}");
			std::fs::set_permissions(dir.join("worker.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
		}
		std::fs::write(dir.join("worker.key"), "not hex").unwrap();
		let err = load_or_create_key(&dir).unwrap_err().to_string();
		assert!(err.contains("must hold 32 bytes in hex"), "{err}");
		// A crash between creating the temporary file and renaming it leaves a `.tmp` behind;
		// the next start creates the key anyway.
		std::fs::remove_file(dir.join("worker.key")).unwrap();
		std::fs::write(dir.join("worker.tmp"), "torn").unwrap();
		load_or_create_key(&dir).unwrap();
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn the_secret_uri_comes_from_a_private_file_or_the_environment() {
		let dir = tmp("suri");
		std::fs::create_dir_all(&dir).unwrap();
		let file = dir.join("suri");
		write_atomic_mode(&file, b"//Alice\n", 0o600).unwrap();
		assert_eq!(resolve_suri(Some(&file), None, Some("//Bob".into())).unwrap(), "//Alice", "the file wins");
		assert_eq!(resolve_suri(None, Some("//Carol".into()), Some("//Bob".into())).unwrap(), "//Bob");
		assert_eq!(resolve_suri(None, Some("//Carol".into()), None).unwrap(), "//Carol");
		assert!(resolve_suri(None, None, None).unwrap_err().to_string().contains("--suri-file"));
		assert!(resolve_suri(None, None, Some("  ".into())).is_err());
		#[cfg(unix)]
		{
			use std::os::unix::fs::PermissionsExt;
			std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
			assert!(resolve_suri(Some(&file), None, None).unwrap_err().to_string().contains("chmod 600"));
		}
		std::fs::remove_dir_all(&dir).unwrap();
	}

	#[test]
	fn round_checkpoint_round_trips_and_a_torn_one_is_an_error() {
		let s = RoundState {
			round: 4,
			base_hash: [1; 32],
			salt: [2; 32],
			update: SignedUpdate { round: 4, bytes: vec![5; 100], hash: [3; 32], signature: [4; 64], num_samples: 1260 },
			train_loss: 18_662,
			published: true,
			aggregate: Some(([6; 32], vec![[7; 32], [8; 32]])),
		};
		let bytes = s.encode();
		let back = RoundState::decode(&mut &bytes[..]).unwrap();
		assert_eq!(back.encode(), bytes);
		assert!(RoundState::decode(&mut &bytes[..bytes.len() - 3]).is_err());
	}

	fn model(v: i64) -> agg::Model {
		agg::Model::new(vec![agg::Tensor::new("w".into(), vec![1], vec![v]).unwrap()]).unwrap()
	}

	#[test]
	fn the_disk_store_keeps_checkpoints_and_models_and_prunes_old_rounds() {
		let dir = tmp("disk");
		let initial = model(0);
		let mut disk = DiskStore::new(dir.clone(), initial.clone());
		assert_eq!(disk.initial_hash(), initial.hash());
		assert_eq!(disk.adopted_version(), 0);
		// Checkpoints: none, then the one written; old rounds pruned, recent ones kept.
		assert!(disk.load_checkpoint(3).unwrap().is_none());
		let update = crate::federated::sign_update(3, vec![1, 2, 3], 10, &SigningKey::from_bytes(&[4; 32]));
		let state = |round| RoundState { round, base_hash: [1; 32], salt: [2; 32], update: update.clone(), train_loss: 5, published: false, aggregate: None };
		for r in [3, 10, 11] {
			disk.save_checkpoint(&state(r)).unwrap();
		}
		assert_eq!(disk.load_checkpoint(3).unwrap().map(|s| s.round), Some(3));
		disk.prune(11).unwrap();
		assert!(disk.load_checkpoint(3).unwrap().is_none(), "3 + KEEP_ROUNDS <= 11: pruned");
		assert!(disk.load_checkpoint(10).unwrap().is_some());
		// A torn checkpoint is an error naming the file.
		std::fs::write(dir.join("rounds").join("10.state"), [1, 2]).unwrap();
		assert!(disk.load_checkpoint(10).unwrap_err().to_string().contains("10.state"));
		// Models: memory is bounded (the initial model always stays); adopted ones come back
		// from disk; a file that does not hash to its name is ignored.
		for v in 1..=(3 * KEEP_ROUNDS as i64) {
			disk.remember(model(v).hash(), model(v));
		}
		assert_eq!(disk.models.len(), 2 * KEEP_ROUNDS as usize + 1);
		assert_eq!(disk.model(&initial.hash()).unwrap(), Some(initial.clone()));
		assert_eq!(disk.model(&model(1).hash()).unwrap(), None, "evicted and never adopted");
		disk.adopt(7, model(1).hash(), &model(1).encode()).unwrap();
		assert_eq!(disk.adopted_version(), 7);
		assert_eq!(disk.model(&model(1).hash()).unwrap(), Some(model(1)));
		std::fs::write(dir.join("models").join(format!("{}.model", hex::encode(model(2).hash()))), model(3).encode()).unwrap();
		assert_eq!(disk.model(&model(2).hash()).unwrap(), None);
		let _ = std::fs::remove_dir_all(&dir);
	}
}
