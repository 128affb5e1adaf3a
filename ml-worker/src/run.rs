//! The federated loop (`gridbrain-ml-worker run`): follows its node's best blocks and, in each
//! round the worker takes part in,
//!
//! 1. **Commit**: loads the global model (the chain's `params_hash`; the seeded initial model
//!    before the first round finalizes), trains local epochs on its shard, builds the signed
//!    fixed-point update, writes it to its checkpoint, then commits
//!    `blake2b-256(update_hash ‖ salt ‖ account)`;
//! 2. **Reveal**: reveals hash, salt, samples and loss; once the reveal is on chain it publishes
//!    the update on gossipsub (not earlier, so nobody can commit a copy);
//! 3. **Attest**: gathers every revealed update (gossip, else request-response from any peer
//!    holding it; each checked on arrival: see [`crate::updates`]) and attests the revealers
//!    whose updates it holds;
//! 4. **Aggregate**: aggregates exactly the round's available set (the updates ≥ 2/3 of the
//!    participants attested; any it misses it fetches from their holders) with the round's
//!    rule and submits the hash and the set; without all of them it does not vote;
//! 5. when a round's global model is **finalized**, adopts it (from its own aggregate, or fetched
//!    from a peer and checked against `params_hash`), writes it to disk and prints the held-out
//!    metrics of the new model.
//!
//! What to do at a block is decided by the pure core in [`crate::round`] from the chain's view
//! of the round and the worker's own state; this module is the event loop around it: it reads
//! the chain, carries out the steps, keeps the round checkpoints and models on disk, and talks
//! to peers through [`crate::p2p::Client`].
//!
//! Beside the rounds, on every block it plans the next energy interval's dispatch with the
//! adopted global model and submits it to the Dispatch pallet, and turns sealed energy data
//! into training scenarios ([`crate::plan`]).
//!
//! Everything the worker decides is derived from chain state, so it is idempotent: a
//! transaction that did not land is sent again; a restarted worker reads its checkpoint of the
//! round (salt and update, written *before* the commit is sent) and goes on where it stopped.
//! Lost connections to the node are retried.

use crate::{
	chain::{Chain, Round},
	data::{evaluate, Dataset, ToTensors},
	federated::{aggregate, make_update, train_local, Rejected, TrainParams},
	model::DispatchNet,
	p2p::{self, Command, Inbound, Request, Verdict, WireUpdate},
	plan::Planner,
	plot,
	round::{decide, ChainRound, Local, Note, Step, Tx},
	store::{check_chain_of_base_path, history_csv, load_history, write_atomic, DiskStore, Finalized, RoundState, KEEP_ROUNDS},
	updates::{Author, ChainView, Offer, UpdateCache},
};
use anyhow::{bail, Context, Result};
use candle_core::{Device, Tensor};
use ed25519_dalek::{SigningKey, VerifyingKey};
use gridbrain_aggregation as agg;
use gridbrain_dispatch::Grid;
use gridbrain_runtime::{AccountId, BlockNumber, Runtime};
use pallet_federated_learning::{Call, Phase};
use sp_core::{crypto::Pair as _, sr25519, H256};
use std::{
	collections::{HashMap, HashSet, VecDeque},
	path::PathBuf,
	time::{Duration, Instant},
};

/// Settings of `run`.
#[derive(Clone, Debug)]
pub struct Options {
	/// The node's WebSocket RPC endpoint.
	pub node: String,
	/// Secret URI of the account the worker signs extrinsics with (the validator's, or one
	/// the validator bound with `setWorkerAccount`).
	pub suri: String,
	/// The validator the worker acts for when it signs with a bound account of its own.
	pub validator: Option<AccountId>,
	/// Directory of the worker key, checkpoints, models and history.
	pub base_path: PathBuf,
	/// libp2p listen address.
	pub listen: libp2p::Multiaddr,
	/// Peers to dial.
	pub peers: Vec<libp2p::Multiaddr>,
	/// Local training (the same parameters as `simulate`); its seed also seeds the initial
	/// model (the same on every worker).
	pub training: TrainParams,
	/// Write a PNG of loss and gap per finalized round.
	pub plot: Option<PathBuf>,
	/// Exit after adopting this many global models (0 = run until stopped).
	pub rounds: u32,
	/// The grid's name as the chain's grid map writes it (`ieee14`, `pglib300`, …).
	pub grid_name: String,
	/// Test builds only: the attacks this worker runs instead of behaving, one per round.
	#[cfg(feature = "adversary")]
	pub adversary: Vec<crate::adversary::Attacks>,
	/// Test builds only: the round the attacks start at (else the first one trained for).
	#[cfg(feature = "adversary")]
	pub attacks_from_round: Option<u32>,
}

/// The worker's training job: its grid, shard and held-out days, and the parameters `run` and
/// `simulate` share.
struct Trainer {
	grid: Grid,
	device: Device,
	params: TrainParams,
	shard: Dataset,
	shard_tensors: (Tensor, Tensor),
	test: Dataset,
	test_tensors: (Tensor, Tensor),
}

impl Trainer {
	/// Trains on `base` for `round` (batch order seeded by the round and `worker`) on the shard
	/// and the chain-derived rows `extra` (features, positions); the local model and the last
	/// epoch's training MSE.
	fn train(&self, base: &agg::Model, round: u32, worker: u64, extra: &VecDeque<(Vec<f32>, Vec<f32>)>) -> Result<(agg::Model, f32)> {
		tokio::task::block_in_place(|| {
			if extra.is_empty() {
				return train_local(&self.grid, &self.device, base, &self.shard_tensors, &self.params, round, worker);
			}
			let (x, y) = &self.shard_tensors;
			let (fx, fy) = (x.dim(1)?, y.dim(1)?);
			if extra.iter().any(|(a, b)| a.len() != fx || b.len() != fy) {
				bail!("a chain-derived scenario does not fit the grid's model");
			}
			let ex: Vec<f32> = extra.iter().flat_map(|(a, _)| a.iter().copied()).collect();
			let ey: Vec<f32> = extra.iter().flat_map(|(_, b)| b.iter().copied()).collect();
			let ex = Tensor::from_vec(ex, (extra.len(), fx), &self.device)?;
			let ey = Tensor::from_vec(ey, (extra.len(), fy), &self.device)?;
			let both = (Tensor::cat(&[x, &ex], 0)?, Tensor::cat(&[y, &ey], 0)?);
			train_local(&self.grid, &self.device, base, &both, &self.params, round, worker)
		})
	}

	/// The held-out MSE and dispatch metrics of `model`.
	fn evaluate(&self, model: &agg::Model) -> Result<(f32, crate::data::Metrics)> {
		let net = DispatchNet::for_grid(&self.grid, self.params.seed, &self.device)?;
		net.load_fixed(model)?;
		let (tx, ty) = &self.test_tensors;
		let test_mse = net.loss(tx, ty)?;
		let metrics = tokio::task::block_in_place(|| evaluate(&self.grid, &self.test, |x| net.predict(x)))?;
		Ok((test_mse, metrics))
	}
}

struct Worker {
	opts: Options,
	/// Local training and held-out evaluation.
	trainer: Trainer,
	key: SigningKey,
	net: p2p::Client,
	/// Round checkpoints and global models (disk and memory).
	disk: DiskStore,
	wanted_models: HashSet<[u8; 32]>,
	/// Peers' updates that passed the checks on arrival: the first valid copy per (round,
	/// author), current and previous round (bounded: participants × 2).
	updates: UpdateCache,
	/// Registered worker keys by account (read when a round opens).
	keys: HashMap<Author, VerifyingKey>,
	/// Revealed update hashes by (round, author), as read from the chain.
	revealed: HashMap<(u32, Author), [u8; 32]>,
	/// Rejected updates by (round, author): the first reason and how many copies.
	rejected: HashMap<(u32, Author), (Rejected, u32)>,
	/// The initial model: the layout every update must have.
	reference: agg::Model,
	participants: Vec<[u8; 32]>,
	current_round: u32,
	state: Option<RoundState>,
	sent: HashMap<(u32, Tx), BlockNumber>,
	round_seen: HashMap<u32, Instant>,
	said: HashSet<(u32, &'static str)>,
	adopted_version: u32,
	history: Vec<Finalized>,
	/// The dispatch plans and the chain-derived training scenarios.
	planner: Planner,
	/// Chain-derived scenarios used to train each round's update (recent rounds).
	chain_used: HashMap<u32, usize>,
	/// Test builds only: which attack runs in which round.
	#[cfg(feature = "adversary")]
	schedule: crate::adversary::Schedule,
	/// Test builds only: registered workers' peer ids by account.
	#[cfg(feature = "adversary")]
	peers: Vec<(Author, libp2p::PeerId)>,
}

/// The chain's view of `round` at block `block` for worker `me`, without its own submissions
/// (those are filled in from `round_submissions`).
fn round_view<'a>(round: &Round, block: BlockNumber, me: &Author, reveals: &'a [(Author, [u8; 32])], available: &'a [Author]) -> ChainRound<'a> {
	ChainRound {
		index: round.index,
		phase: round.phase,
		block,
		reveal_end: round.reveal_end,
		attest_end: round.attest_end,
		aggregate_end: round.aggregate_end,
		participant: round.participants.iter().any(|p| account_bytes(p) == *me),
		committed: false,
		revealed: false,
		attested: false,
		reveals,
		available,
	}
}

fn short(h: &[u8; 32]) -> String {
	format!("0x{}", hex::encode(&h[..6]))
}

fn account_bytes(a: &AccountId) -> [u8; 32] {
	*<AccountId as AsRef<[u8; 32]>>::as_ref(a)
}

impl Worker {
	fn say_once(&mut self, round: u32, what: &'static str, text: impl FnOnce() -> String) {
		if self.said.insert((round, what)) {
			println!("{}", text());
		}
	}

	fn save_state(&self) -> Result<()> {
		match &self.state {
			Some(s) => self.disk.save_checkpoint(s),
			None => Ok(()),
		}
	}

	/// The checkpoint of `round`, from memory or disk.
	fn load_state(&mut self, round: u32) -> Result<bool> {
		if self.state.as_ref().is_some_and(|s| s.round == round) {
			return Ok(true);
		}
		let Some(s) = self.disk.load_checkpoint(round)? else { return Ok(false) };
		println!("round {round}: resumed from its checkpoint");
		self.state = Some(s);
		Ok(true)
	}

	fn want_model(&mut self, hash: [u8; 32]) {
		self.wanted_models.insert(hash);
		self.net.send(Command::Fetch(Request::Model { hash }));
	}

	/// Sends `call` (kind `tx`) and records when, so it is sent again only if it does not show
	/// in state within [`crate::round::RESEND_AFTER`] blocks.
	async fn send(&mut self, chain: &Chain, call: Call<Runtime>, at: (H256, BlockNumber), tx: Tx, what: &str, round: u32) {
		self.sent.insert((round, tx), at.1);
		match chain.submit(call, at).await {
			Ok(tx) => println!("round {round}: sent {what} (tx {tx:?}, block #{})", at.1),
			Err(e) => eprintln!("round {round}: {what} not sent: {e:#}"),
		}
	}

	fn on_inbound(&mut self, msg: Inbound) {
		match msg {
			Inbound::Update(u, gossip) => {
				let verdict = self.offer_update(*u);
				if let Some(id) = gossip {
					self.net.send(Command::Report(id, verdict));
				}
			},
			Inbound::Model(bytes) => {
				if let Ok(m) = agg::Model::decode(&bytes) {
					let h = m.hash();
					if self.wanted_models.remove(&h) {
						self.disk.remember(h, m);
					}
				}
			},
		}
	}

	/// Checks an update on arrival (see [`UpdateCache`]); keeps and serves the first valid copy,
	/// reports a rejected one once per (round, author).
	/// Returns whether gossip should relay it.
	fn offer_update(&mut self, u: WireUpdate) -> Verdict {
		let (r, author) = (u.update.round, u.worker);
		let view = ChainView {
			round: self.current_round,
			participants: &self.participants,
			keys: &self.keys,
			revealed: &self.revealed,
			reference: &self.reference,
		};
		match self.updates.offer(u.clone(), &view) {
			Offer::Kept => {
				self.net.send(Command::Serve(u));
				Verdict::Accept
			},
			Offer::AlreadyHeld | Offer::Irrelevant => Verdict::Ignore,
			Offer::Rejected(why) => {
				let entry = self.rejected.entry((r, author)).or_insert((why.clone(), 0));
				entry.1 = entry.1.saturating_add(1);
				if entry.1 == 1 {
					eprintln!("round {r}: rejected an update under {}'s name: {why} (left out; later copies counted, not logged)", short(&author));
				}
				Verdict::Reject
			},
		}
	}

	/// Reads the registered workers (when a round opens, or while none are known): their keys
	/// check updates, their peer ids are the only peers the network lets connect.
	async fn refresh_keys(&mut self, chain: &Chain, at: H256) -> Result<()> {
		let workers = chain.workers(at).await?;
		self.keys = workers
			.iter()
			.filter_map(|w| VerifyingKey::from_bytes(&w.worker_key.0).ok().map(|k| (account_bytes(&w.validator), k)))
			.collect();
		let peers: Vec<libp2p::PeerId> = workers.iter().filter_map(|w| libp2p::PeerId::from_bytes(&w.peer_id).ok()).collect();
		#[cfg(feature = "adversary")]
		{
			self.peers = workers
				.iter()
				.filter_map(|w| libp2p::PeerId::from_bytes(&w.peer_id).ok().map(|p| (account_bytes(&w.validator), p)))
				.collect();
		}
		self.net.send(Command::AllowPeers(peers));
		Ok(())
	}

	/// Records the reveals of round `r` seen on chain.
	fn note_reveals(&mut self, r: u32, reveals: &[(AccountId, pallet_federated_learning::Reveal)]) {
		for (account, reveal) in reveals {
			self.revealed.insert((r, account_bytes(account)), reveal.update_hash.0);
		}
	}

	async fn on_head(&mut self, chain: &Chain, hash: H256, number: BlockNumber) -> Result<bool> {
		if self.adopt(chain).await? {
			return Ok(true);
		}
		if self.keys.is_empty() {
			// First head (or nobody registered yet): learn who may connect and sign updates.
			self.refresh_keys(chain, hash).await?;
		}
		let Some(round) = chain.current_round(hash).await? else {
			self.say_once(0, "no-round", || "waiting for the first round to open".into());
			return Ok(false);
		};
		let r = round.index;
		if r != self.current_round {
			self.report_rejections(self.current_round);
			self.current_round = r;
			self.updates.advance(r);
			self.revealed.retain(|(pr, _), _| pr.saturating_add(1) >= r);
			self.rejected.retain(|(pr, _), _| pr.saturating_add(1) >= r);
			self.refresh_keys(chain, hash).await?;
			self.sent.retain(|(sr, _), _| *sr >= r);
			self.said.retain(|(sr, _)| sr.saturating_add(KEEP_ROUNDS) > r);
			self.round_seen.retain(|sr, _| sr.saturating_add(KEEP_ROUNDS) > r);
			self.disk.prune(r)?;
		}
		self.participants = round.participants.iter().map(account_bytes).collect();
		let me = account_bytes(chain.account());
		if !self.participants.contains(&me) || round.phase.is_closed() {
			let sent = HashMap::new();
			let local = Local { checkpoint: false, base_model: false, aggregated: false, holds: &|_, _| false, sent: &sent };
			let steps = decide(&round_view(&round, number, &me, &[], &[]), &local);
			self.note_steps(r, &steps);
			return Ok(false);
		}
		self.round_seen.entry(r).or_insert_with(Instant::now);
		let subs = chain.submissions(hash, r).await?;
		self.note_reveals(r, &subs.reveals);
		let checkpoint = self.load_state(r)?;
		let aggregated = self.state.as_ref().is_some_and(|s| s.round == r && s.aggregate.is_some());
		// The global model is needed to train (commit phase, before the checkpoint exists) and
		// to aggregate onto.
		let needs_base = match round.phase {
			Phase::Commit => !checkpoint,
			Phase::Aggregate => !aggregated,
			_ => false,
		};
		let base_hash = if needs_base {
			Some(chain.global_model(hash).await?.map_or(self.disk.initial_hash(), |g| g.params_hash.0))
		} else {
			None
		};
		let base = match base_hash {
			Some(h) => self.disk.model(&h)?,
			None => None,
		};
		let reveals: Vec<(Author, [u8; 32])> =
			subs.reveals.iter().map(|(a, rv)| (account_bytes(a), rv.update_hash.0)).collect();
		// A kept copy that is not the revealed update is dropped here, so the revealed one can
		// still be fetched.
		for (who, h) in &reveals {
			self.updates.take_revealed(r, who, h);
		}
		let available: Vec<Author> = round.available.iter().map(account_bytes).collect();
		let chain_round = ChainRound {
			committed: subs.commits.iter().any(|(a, _)| a == chain.account()),
			revealed: subs.reveals.iter().any(|(a, _)| a == chain.account()),
			attested: subs.attestations.iter().any(|(a, _)| a == chain.account()),
			..round_view(&round, number, &me, &reveals, &available)
		};
		let updates = &self.updates;
		let holds = |who: &Author, h: &[u8; 32]| updates.holds(r, who, h);
		let local = Local { checkpoint, base_model: base.is_some(), aggregated, holds: &holds, sent: &self.sent };
		let steps = decide(&chain_round, &local);
		self.note_steps(r, &steps);
		let at = (hash, number);
		for step in steps {
			match step {
				Step::Note(_) => {},
				Step::FetchModel => {
					if let Some(h) = base_hash {
						self.say_once(r, "wait-model", || format!("round {r}: fetching global model {} from peers", short(&h)));
						self.want_model(h);
					}
				},
				Step::Train => {
					let (Some(h), Some(m)) = (base_hash, base.as_ref()) else { bail!("internal: training without the global model") };
					self.train(r, &me, h, m)?;
				},
				Step::Send(Tx::Commit) => self.send_commit(chain, r, &me, at).await,
				Step::Send(Tx::Reveal) => self.send_reveal(chain, r, at).await,
				Step::Send(tx) => bail!("internal: {tx:?} is not sent on its own"),
				Step::Publish => self.publish(chain)?,
				Step::Fetch(workers) =>
					for worker in workers {
						self.net.send(Command::Fetch(Request::Update { round: r, worker }));
					},
				Step::Attest(held) => self.attest(chain, r, held, &reveals, at).await?,
				Step::Aggregate(set) => {
					let Some(m) = base.as_ref() else { bail!("internal: aggregating without the global model") };
					self.aggregate(chain, &round, m, &set, &subs, at).await?;
				},
			}
		}
		#[cfg(feature = "adversary")]
		self.network_attack(r, round.phase);
		Ok(false)
	}

	/// Logs each note of `steps` once per round.
	fn note_steps(&mut self, r: u32, steps: &[Step]) {
		for step in steps {
			let Step::Note(note) = step else { continue };
			let (key, text): (&'static str, String) = match note {
				Note::NotParticipant => ("not-participant", format!("round {r}: this worker is not a participant (not registered when it opened, not a validator, or too many strikes)")),
				Note::LostCheckpoint => ("lost", format!("round {r}: committed before a restart, but its checkpoint is gone; sitting the round out")),
				Note::JoinedLate => ("no-update", format!("round {r}: no update of this worker (it joined late)")),
				Note::CommitMissed => ("no-commit", format!("round {r}: the commitment did not land in time; nothing to reveal")),
				Note::AvailableUnrevealed => ("available-unrevealed", format!("round {r}: an available worker has no reveal on chain; not voting")),
				Note::MissingAvailable(n) => ("missing-available", format!("round {r}: {n} available update(s) never arrived; not voting this round")),
				Note::NothingAvailable => ("no-updates", format!("round {r}: nothing available to aggregate")),
				Note::Failed(reason) => ("failed", format!("round {r}: failed ({reason:?})")),
			};
			self.say_once(r, key, || text);
		}
	}


	/// Prints how many updates of `round` were rejected, by claimed author and first reason
	/// (the first copy of each was logged when it arrived).
	fn report_rejections(&self, round: u32) {
		let mut rows: Vec<_> = self.rejected.iter().filter(|((r, _), _)| *r == round).collect();
		rows.sort_by_key(|((_, author), _)| *author);
		for ((_, author), (why, n)) in rows {
			println!("round {round}: rejected {n} update(s) under {}'s name ({why})", short(author));
		}
	}

	/// Test builds: the network side of the round's attack, on every block from the reveal
	/// on (once the worker's own update is on chain).
	#[cfg(feature = "adversary")]
	fn network_attack(&mut self, r: u32, phase: Phase) {
		use crate::adversary::{self, Adversary};
		if !matches!(phase, Phase::Reveal | Phase::Attest | Phase::Aggregate) {
			return;
		}
		let attacks = self.schedule.at(r).cloned();
		let has = |a: Adversary| attacks.as_ref().is_some_and(|s| s.contains(a));
		if has(Adversary::Flood) {
			let Some(s) = self.state.as_ref().filter(|s| s.round == r) else { return };
			let own = self.keys.iter().find(|(_, k)| **k == self.key.verifying_key()).map(|(a, _)| *a);
			let victims: Vec<[u8; 32]> = self.participants.iter().filter(|p| Some(**p) != own).copied().collect();
			let forged = adversary::forgeries(&s.update, &victims, &self.key, adversary::FORGERIES_PER_BLOCK, rand::random());
			println!("round {r}: flooding {} forged updates under {} other workers' names (adversary: testing)", forged.len(), victims.len());
			for f in forged {
				self.net.send(Command::Serve(f.clone()));
				self.net.send(Command::Publish(f));
			}
		}
		if has(Adversary::Oversize) {
			println!(
				"round {r}: sending {} requests of {} bytes to every peer (adversary: testing)",
				adversary::OVERSIZE_PER_BLOCK,
				adversary::OVERSIZE_REQUEST
			);
			self.net.send(Command::Oversize { bytes: adversary::OVERSIZE_REQUEST, per_peer: adversary::OVERSIZE_PER_BLOCK });
		} else {
			self.net.send(Command::Oversize { bytes: 0, per_peer: 0 });
		}
	}

	/// Trains round `r`'s update on the global model `base` and writes the checkpoint (salt
	/// and update) before any commitment goes out.
	fn train(&mut self, r: u32, me: &Author, base_hash: [u8; 32], base: &agg::Model) -> Result<()> {
		let started = Instant::now();
		let extra = self.planner.chain_rows();
		let (local, loss) = self.trainer.train(base, r, u64::from(me[0]), extra)?;
		let (chain_rows, samples) = (extra.len(), self.trainer.shard.len() + extra.len());
		self.chain_used.insert(r, chain_rows);
		self.chain_used.retain(|k, _| k.saturating_add(KEEP_ROUNDS) > r);
		#[cfg(feature = "adversary")]
		let attacks = self.schedule.start(r).cloned();
		#[cfg(feature = "adversary")]
		let local = match &attacks {
			Some(a) => {
				println!("round {r}: adversary {a} (testing)");
				a.model(base, local)?
			},
			None => local,
		};
		let update = make_update(&local, base, r, samples as u64, &self.key)?;
		#[cfg(feature = "adversary")]
		let update = match &attacks {
			Some(a) => a.tamper(update, &self.key)?,
			None => update,
		};
		println!(
			"round {r}: trained {} epochs on {samples} samples ({chain_rows} from sealed energy data) in {:.1} s, train MSE {loss:.6}, update {}",
			self.trainer.params.epochs,
			started.elapsed().as_secs_f64(),
			short(&update.hash),
		);
		self.state = Some(RoundState {
			round: r,
			base_hash,
			salt: rand::random(),
			update,
			train_loss: (f64::from(loss) * 1e6).round() as u64,
			published: false,
			aggregate: None,
		});
		self.save_state()
	}

	async fn send_commit(&mut self, chain: &Chain, r: u32, me: &Author, at: (H256, BlockNumber)) {
		let Some(s) = self.state.as_ref().filter(|s| s.round == r) else { return };
		let commitment = agg::commitment(&s.update.hash, &s.salt, me);
		let call = Call::commit_update { round: r, commitment: H256(commitment) };
		self.send(chain, call, at, Tx::Commit, "commitment", r).await;
	}

	async fn send_reveal(&mut self, chain: &Chain, r: u32, at: (H256, BlockNumber)) {
		let Some(s) = self.state.as_ref().filter(|s| s.round == r) else { return };
		let call = Call::reveal_update {
			round: r,
			update_hash: H256(s.update.hash),
			salt: H256(s.salt),
			num_samples: s.update.num_samples,
			train_loss: s.train_loss,
		};
		self.send(chain, call, at, Tx::Reveal, "reveal", r).await;
	}

	/// Attests the revealed updates of `held` (of the `reveals` on chain).
	async fn attest(&mut self, chain: &Chain, r: u32, held: Vec<Author>, reveals: &[(Author, [u8; 32])], at: (H256, BlockNumber)) -> Result<()> {
		let missing: Vec<String> = reveals.iter().filter(|(w, _)| !held.contains(w)).map(|(w, _)| short(w)).collect();
		if !missing.is_empty() {
			println!(
				"round {r}: attesting {} of {} revealed updates (not received or rejected: {})",
				held.len(),
				reveals.len(),
				missing.join(", ")
			);
		}
		let count = held.len();
		let held: Vec<AccountId> = held.into_iter().map(AccountId::from).collect();
		let call = Call::attest_availability {
			round: r,
			held: held.try_into().map_err(|_| anyhow::anyhow!("more revealers than MaxWorkers"))?,
		};
		self.send(chain, call, at, Tx::Attest, &format!("attestation of {count} updates"), r).await;
		Ok(())
	}

	/// Aggregates exactly the available updates of `set` (all held) onto `base` with the
	/// round's rule and submits the result.
	async fn aggregate(
		&mut self,
		chain: &Chain,
		round: &Round,
		base: &agg::Model,
		set: &[Author],
		subs: &crate::chain::Submissions,
		at: (H256, BlockNumber),
	) -> Result<()> {
		let r = round.index;
		let momentum_ppm = chain.round_momentum(at.0, r).await?;
		let mut updates: Vec<(u64, agg::Model)> = Vec::with_capacity(set.len());
		for who in set {
			let reveal = subs.reveals.iter().find(|(a, _)| account_bytes(a) == *who).map(|(_, rv)| rv);
			let held = reveal.and_then(|rv| Some((rv.num_samples, self.updates.take_revealed(r, who, &rv.update_hash.0)?.1.clone())));
			let Some((n, model)) = held else { bail!("internal: aggregating an update not held") };
			updates.push((n, model));
		}
		// Every update was checked on arrival (layout included), so this cannot fail on a
		// peer's input; if it fails anyway the round is sat out, the loop goes on.
		let next = match aggregate(&round.rule, momentum_ppm, base, &updates) {
			Ok(next) => next,
			Err(e) => {
				self.say_once(r, "aggregate-failed", || format!("round {r}: aggregation failed ({e:#}); no vote this round"));
				return Ok(());
			},
		};
		let hash = next.hash();
		// Served at once, not only after adoption: a worker that could not aggregate (an
		// update withheld from it until the quorum formed) fetches the new global model when
		// the next round opens, and must not miss that round's commit phase waiting for it.
		self.net.send(Command::ServeModel(hash, next.encode()));
		self.disk.remember(hash, next);
		let accounts: Vec<AccountId> = set.iter().map(|w| AccountId::from(*w)).collect();
		let call = Call::submit_aggregate {
			round: r,
			aggregate_hash: H256(hash),
			included: accounts.try_into().map_err(|_| anyhow::anyhow!("more included workers than MaxWorkers"))?,
		};
		println!("round {r}: aggregate {} of {} updates ({:?}, momentum {momentum_ppm} ppm)", short(&hash), set.len(), round.rule);
		self.send(chain, call, at, Tx::Aggregate, "aggregate", r).await;
		if let Some(s) = self.state.as_mut().filter(|s| s.round == r) {
			s.aggregate = Some((hash, set.to_vec()));
			self.save_state()?;
		}
		Ok(())
	}

	/// Publishes the worker's own update once (after its reveal landed) and serves it.
	fn publish(&mut self, chain: &Chain) -> Result<()> {
		let Some(s) = self.state.as_mut() else { return Ok(()) };
		let wire = WireUpdate { worker: account_bytes(chain.account()), update: s.update.clone() };
		#[cfg(feature = "adversary")]
		if let Some(attack) = self.schedule.at(s.round).and_then(|a| a.withholding()) {
			use crate::adversary::Adversary;
			// Withholding: attest its own update, never gossip it; serve it to nobody, or to
			// every peer but one honest worker.
			let left_out = (attack == Adversary::WithholdFromOne)
				.then(|| Adversary::left_out(&wire.worker, &self.participants, &self.peers))
				.flatten();
			if let Some((author, peer)) = left_out {
				self.net.send(Command::Serve(wire.clone()));
				self.net.send(Command::Refuse { round: s.round, worker: wire.worker, peer });
				if !s.published {
					println!("round {}: serving update {} to every peer but {} ({peer}) (adversary: testing)", s.round, short(&s.update.hash), short(&author));
				}
			} else if !s.published {
				println!("round {}: withholding update {} (adversary: testing)", s.round, short(&s.update.hash));
			}
			s.published = true;
			let _ = self.updates.offer(wire, &ChainView {
				round: self.current_round,
				participants: &self.participants,
				keys: &self.keys,
				revealed: &self.revealed,
				reference: &self.reference,
			});
			return Ok(());
		}
		self.net.send(Command::Serve(wire.clone()));
		let published = s.published;
		// The worker's own update goes through the same checks as everyone else's.
		let _ = self.offer_update(wire.clone());
		let Some(s) = self.state.as_mut() else { return Ok(()) };
		if !published {
			s.published = true;
			self.net.send(Command::Publish(wire));
			println!("round {}: published update {} to peers", s.round, short(&s.update.hash));
			self.save_state()?;
		}
		Ok(())
	}

	/// Adopts the latest finalized global model; true when `--rounds` models were adopted.
	async fn adopt(&mut self, chain: &Chain) -> Result<bool> {
		let (fin, _) = chain.finalized().await?;
		let Some(gm) = chain.global_model(fin).await? else { return Ok(false) };
		if gm.version <= self.adopted_version {
			return Ok(false);
		}
		let hash = gm.params_hash.0;
		let Some(model) = self.disk.model(&hash)? else {
			self.say_once(gm.round, "fetch-final", || format!("round {}: fetching the finalized model {} from peers", gm.round, short(&hash)));
			self.want_model(hash);
			return Ok(false);
		};
		let bytes = model.encode();
		self.disk.adopt(gm.version, hash, &bytes)?;
		self.net.send(Command::ServeModel(hash, bytes));
		let (test_mse, metrics) = self.trainer.evaluate(&model)?;
		self.plan_with(gm.version, &model)?;
		let seconds = self.round_seen.get(&gm.round).map(|t| t.elapsed().as_secs_f64());
		let f = Finalized {
			round: gm.round,
			version: gm.version,
			train_mse: gm.mean_train_loss as f64 / 1e6,
			test_mse,
			metrics,
			seconds,
			chain_scenarios: self.chain_used.get(&gm.round).copied(),
		};
		println!(
			"round {} finalized: global model v{} {} ({}/{} votes, {} samples); train MSE {:.6}, held-out MSE {:.6}, {}; round time {}; chain-derived scenarios in this worker's update: {}",
			f.round,
			f.version,
			short(&hash),
			gm.votes,
			gm.participants,
			gm.total_samples,
			f.train_mse,
			f.test_mse,
			f.metrics,
			f.seconds.map_or("-".into(), |s| format!("{s:.0} s")),
			f.chain_scenarios.map_or("- (none trained by this process)".into(), |n| n.to_string())
		);
		self.history.push(f);
		self.adopted_version = gm.version;
		self.write_history()?;
		Ok(self.opts.rounds > 0 && self.history.len() >= self.opts.rounds as usize)
	}

	/// Plans dispatches with global model `version` (`model`) from now on.
	fn plan_with(&mut self, version: u32, model: &agg::Model) -> Result<()> {
		let net = DispatchNet::for_grid(&self.trainer.grid, self.opts.training.seed, &self.trainer.device)?;
		net.load_fixed(model)?;
		self.planner.adopt(u64::from(version), net);
		Ok(())
	}

	fn write_history(&self) -> Result<()> {
		let csv = history_csv(&self.history);
		write_atomic(&self.opts.base_path.join("history.csv"), csv.as_bytes())?;
		if let Some(path) = &self.opts.plot {
			let train: Vec<f64> = self.history.iter().map(|f| f.train_mse).collect();
			let test: Vec<f64> = self.history.iter().map(|f| f64::from(f.test_mse)).collect();
			let gap: Vec<f64> = self.history.iter().map(|f| 100.0 * f.metrics.mean_gap).collect();
			plot::write_png(
				path,
				&[
					vec![plot::Series { values: &train, color: [31, 119, 180] }, plot::Series { values: &test, color: [214, 39, 40] }],
					vec![plot::Series { values: &gap, color: [44, 160, 44] }],
				],
			)?;
		}
		Ok(())
	}
}

/// Makes sure the validator account has this worker registered (registers it if not).
async fn ensure_registered(chain: &Chain, key: &SigningKey, peer_id: &libp2p::PeerId) -> Result<()> {
	let mine = key.verifying_key().to_bytes();
	let bound = chain.account() != chain.signer_account();
	for attempt in 0..20u32 {
		let (hash, number) = chain.best().await?;
		let workers = chain.workers(hash).await?;
		let acts_for = if bound { chain.acts_for(hash).await? } else { None };
		match workers.iter().find(|w| &w.validator == chain.account()) {
			Some(w) if w.worker_key.0 == mine && (!bound || acts_for.as_ref() == Some(chain.account())) => {
				if bound {
					println!("worker registered for {} (peer {peer_id}), signing with {}", chain.account(), chain.signer_account());
				} else {
					println!("worker registered for {} (peer {peer_id})", chain.account());
				}
				return Ok(());
			},
			_ if bound && attempt == 0 => println!(
				"waiting for validator {} to register this worker and bind its account: from the validator's account, registerWorker(0x{}, 0x{}) and setWorkerAccount({}) (scripts/polkadot-js/fl-bind.mjs does both)",
				chain.account(),
				hex::encode(peer_id.to_bytes()),
				hex::encode(mine),
				chain.signer_account()
			),
			// Never registers itself: only the validator's account may.
			_ if bound => {},
			Some(w) => bail!(
				"{} registered the worker key 0x{}, but this worker's key is 0x{}: start it with the base path of that worker, or deregister the old worker first",
				chain.account(),
				hex::encode(w.worker_key.0),
				hex::encode(mine)
			),
			None if attempt % 5 == 0 => {
				let call = Call::register_worker {
					peer_id: peer_id.to_bytes().try_into().map_err(|_| anyhow::anyhow!("peer id longer than MaxPeerIdLen"))?,
					worker_key: sp_core::ed25519::Public::from_raw(mine),
				};
				chain.submit(call, (hash, number)).await.context("registerWorker")?;
				println!("registering the worker of {} (peer {peer_id})", chain.account());
			},
			None => {},
		}
		tokio::time::sleep(Duration::from_secs(3)).await;
	}
	bail!("the worker of {} did not appear on chain after 60 s: is the account a validator with the deposit (see the node's log)?", chain.account())
}

pub use crate::store::{load_or_create_key, resolve_suri, SURI_ENV};

/// The loop: see the module documentation.
pub async fn run(opts: Options, grid: Grid, shard: Dataset, test: Dataset, device: Device) -> Result<()> {
	let key = load_or_create_key(&opts.base_path)?;
	let signer = sr25519::Pair::from_string(&opts.suri, None).map_err(|e| anyhow::anyhow!("invalid --suri: {e:?}"))?;
	let initial = DispatchNet::for_grid(&grid, opts.training.seed, &device)?.to_fixed()?;
	let mut shutdown = Box::pin(shutdown_signal());
	let mut worker: Option<Worker> = None;
	let mut pending_parts = Some((opts.clone(), grid, shard, test, device, key, initial));
	loop {
		let chain = tokio::select! {
			c = Chain::connect(&opts.node, signer.clone(), opts.validator.clone()) => c,
			_ = &mut shutdown => return Ok(()),
		};
		let chain = match chain {
			Ok(c) => c,
			Err(e) => {
				if e.downcast_ref::<crate::chain::IncompatibleRuntime>().is_some() {
					return Err(e);
				}
				eprintln!("{e:#}; retrying in 5 s");
				tokio::time::sleep(Duration::from_secs(5)).await;
				continue;
			},
		};
		if worker.is_none() {
			check_chain_of_base_path(&opts.base_path, chain.genesis())?;
			let Some((opts, grid, shard, test, device, key, initial)) = pending_parts.take() else { bail!("internal: worker parts taken twice") };
			let secret = key.to_bytes();
			let limits = p2p::Limits::for_model(initial.encode().len());
			let net = p2p::start(p2p::identity(secret)?, opts.listen.clone(), opts.peers.clone(), chain.genesis().0, limits)?;
			let reference = initial.clone();
			// The repair's library: the optimal bases of this worker's training scenarios.
			let library = shard.library();
			let trainer = Trainer {
				params: opts.training,
				test_tensors: test.tensors(&device)?,
				shard_tensors: shard.tensors(&device)?,
				grid,
				device,
				shard,
				test,
			};
			#[cfg(feature = "adversary")]
			let (adversary_attacks, opts_attacks_from) = (opts.adversary.clone(), opts.attacks_from_round);
			let disk = DiskStore::new(opts.base_path.clone(), initial);
			let (opts_grid_name, opts_base_path) = (opts.grid_name.clone(), opts.base_path.clone());
			let mut w = Worker {
				opts,
				trainer,
				key,
				net,
				disk,
				wanted_models: HashSet::new(),
				updates: UpdateCache::default(),
				keys: HashMap::new(),
				revealed: HashMap::new(),
				rejected: HashMap::new(),
				reference,
				participants: Vec::new(),
				current_round: 0,
				state: None,
				sent: HashMap::new(),
				round_seen: HashMap::new(),
				said: HashSet::new(),
				adopted_version: 0,
				history: Vec::new(),
				planner: Planner::new(&opts_grid_name, &opts_base_path).with_library(library),
				chain_used: HashMap::new(),
				#[cfg(feature = "adversary")]
				schedule: match opts_attacks_from {
					Some(r) => crate::adversary::Schedule::starting_at(adversary_attacks, r),
					None => crate::adversary::Schedule::new(adversary_attacks),
				},
				#[cfg(feature = "adversary")]
				peers: Vec::new(),
			};
			w.adopted_version = w.disk.adopted_version();
			if w.adopted_version > 0 {
				w.history = load_history(&w.opts.base_path.join("history.csv"));
				println!("resuming after global model v{} ({} rounds in history.csv)", w.adopted_version, w.history.len());
			}
			if let Some((version, hash)) = w.disk.adopted() {
				if let Some(model) = w.disk.model(&hash)? {
					w.plan_with(version, &model)?;
				}
			}
			worker = Some(w);
		}
		let Some(w) = worker.as_mut() else { bail!("internal: no worker") };
		if let Err(e) = ensure_registered(&chain, &w.key, &w.net.peer_id).await {
			if e.to_string().contains("base path") {
				return Err(e);
			}
			eprintln!("{e:#}; retrying");
			tokio::time::sleep(Duration::from_secs(5)).await;
			continue;
		}
		match follow(&chain, w, &mut shutdown).await {
			Ok(()) => return Ok(()),
			Err(e) if e.downcast_ref::<crate::chain::IncompatibleRuntime>().is_some() => return Err(e),
			Err(e) => {
				eprintln!("lost the node: {e:#}; reconnecting in 3 s");
				tokio::time::sleep(Duration::from_secs(3)).await;
			},
		}
	}
}

async fn follow(
	chain: &Chain,
	w: &mut Worker,
	shutdown: &mut std::pin::Pin<Box<impl std::future::Future<Output = ()>>>,
) -> Result<()> {
	let mut heads = chain.best_heads().await?;
	loop {
		tokio::select! {
			head = heads.next() => {
				let header = head.context("the node closed the block subscription")??;
				let (hash, number) = (crate::chain::block_hash(&header), header.number);
				// A runtime upgrade takes effect at some block: see it before acting on that block
				// (one RPC; the metadata is fetched and checked only when the version changed).
				chain.node_runtime(Some(hash)).await?;
				if w.on_head(chain, hash, number).await? {
					println!("adopted {} global models; exiting (--rounds)", w.history.len());
					return Ok(());
				}
				// The dispatch plan for the next interval: its errors (the node's answers) never
				// stop the rounds.
				if let Err(e) = w.planner.on_block(chain, &w.trainer.grid, (hash, number)).await {
					eprintln!("dispatch: {e:#}");
				}
			},
			Some(msg) = w.net.recv() => w.on_inbound(msg),
			_ = shutdown.as_mut() => {
				println!("shutting down (checkpoints are on disk)");
				return Ok(());
			},
		}
	}
}

async fn shutdown_signal() {
	#[cfg(unix)]
	{
		let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
			Ok(s) => s,
			Err(_) => {
				let _ = tokio::signal::ctrl_c().await;
				return;
			},
		};
		tokio::select! {
			_ = tokio::signal::ctrl_c() => {},
			_ = term.recv() => {},
		}
	}
	#[cfg(not(unix))]
	{
		let _ = tokio::signal::ctrl_c().await;
	}
}

