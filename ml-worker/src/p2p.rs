//! The workers' network: libp2p over TCP (noise, yamux) with
//! - **gossipsub** on one topic per chain, where each worker publishes its signed update once
//!   it has revealed it on chain;
//! - **request-response** (`/gridbrain/fl/1`), where any worker serves the updates and global
//!   models it holds, so a worker that missed a gossip message, or restarted, fetches them.
//!
//! [`start`] spawns the event loop, which owns the swarm and the [`Store`] of verified items
//! it serves, and returns the run loop's [`Client`]: commands in ([`Command`]), received
//! messages out ([`Client::recv`]); nothing is shared behind a lock.
//!
//! Messages are SCALE-encoded and size-limited. Nothing received here is trusted: the run loop
//! checks every update on arrival (author's registered worker key, hash, layout, on-chain
//! reveal) and every model against the on-chain `params_hash` before keeping it, and tells
//! gossipsub whether to relay a message only after that check.
//!
//! Limits (an attacker's cost is a connection it cannot open or bytes it cannot make us hold):
//! - only peers whose ids are registered on chain as workers may connect
//!   ([`Command::AllowPeers`], refreshed by the run loop every round; until the first list
//!   arrives nobody may);
//! - at most [`MAX_CONNECTIONS`] established connections, 2 per peer, 8 pending inbound;
//! - requests are at most [`MAX_REQUEST`] bytes, responses and gossip at most the size the run
//!   loop computed for this model ([`Limits::max_message`]), 8 concurrent streams per connection;
//! - messages waiting for the run loop hold at most [`Limits::max_queued_bytes`]; beyond that
//!   they are dropped (and fetched again by request).

use crate::federated::SignedUpdate;
use anyhow::{Context, Result};
use codec::{Decode, Encode};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{
	allow_block_list, connection_limits, gossipsub, identity, noise,
	request_response::{self, ProtocolSupport},
	swarm::{NetworkBehaviour, SwarmEvent},
	tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
};
use std::{
	collections::{BTreeMap, HashMap},
	io,
	sync::{
		atomic::{AtomicUsize, Ordering},
		Arc,
	},
	time::Duration,
};
use tokio::sync::mpsc;

/// Largest message (response or gossip) accepted unless [`Limits`] say less: a global model
/// with its velocity (server momentum) on case1354 is 8.5 MB.
pub const MAX_MESSAGE: usize = 16 << 20;
/// Largest request: a round and an account, or a hash, SCALE-encoded (≤ 37 bytes), with room.
pub const MAX_REQUEST: usize = 256;
/// Established connections at most (every registered worker, `MaxWorkers` = 32, twice).
pub const MAX_CONNECTIONS: u32 = 64;
/// Concurrent request-response streams per connection.
const MAX_STREAMS: usize = 8;

/// Size limits of the network, from the model's size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
	/// Largest response or gossip message.
	pub max_message: usize,
	/// Bytes of received messages waiting for the run loop, at most.
	pub max_queued_bytes: usize,
}

impl Limits {
	/// Limits for a model whose canonical encoding is `model_bytes` long: an update or a model
	/// is that size plus headers (names, shapes, signature), and a global model under server
	/// momentum twice that (its velocity), so twice the size plus 64 KiB fits every real
	/// message; the queue holds 16 of them.
	pub fn for_model(model_bytes: usize) -> Self {
		let max_message = model_bytes.saturating_mul(2).saturating_add(64 << 10).min(MAX_MESSAGE);
		Limits { max_message, max_queued_bytes: max_message.saturating_mul(16) }
	}
}
/// Rounds of updates kept for serving.
const KEEP_ROUNDS: u32 = 4;
/// Global models kept for serving.
const KEEP_MODELS: usize = 8;

/// A worker's signed update, with the account it belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub struct WireUpdate {
	/// The worker's (validator's) account id bytes.
	pub worker: [u8; 32],
	/// The update.
	pub update: SignedUpdate,
}

/// What a worker asks a peer for.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Request {
	/// A worker's update of a round.
	Update { round: u32, worker: [u8; 32] },
	/// A global model's canonical bytes by `params_hash`.
	Model { hash: [u8; 32] },
}

/// A peer's answer.
#[derive(Clone, Debug, PartialEq, Eq, Encode, Decode)]
pub enum Response {
	/// The update asked for.
	Update(WireUpdate),
	/// The model's canonical bytes.
	Model(Vec<u8>),
	/// Not held by this peer.
	NotFound,
}

/// A gossip message waiting for the run loop's verdict before it is relayed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GossipId {
	id: gossipsub::MessageId,
	source: PeerId,
}

/// What the network hands to the run loop (unverified).
#[derive(Debug)]
pub enum Inbound {
	/// An update from gossip (with its id, to report the verdict) or from a response.
	Update(Box<WireUpdate>, Option<GossipId>),
	/// A model's bytes from a response.
	Model(Vec<u8>),
}

impl Inbound {
	fn bytes(&self) -> usize {
		match self {
			Inbound::Update(u, _) => u.update.bytes.len().saturating_add(160),
			Inbound::Model(b) => b.len(),
		}
	}
}

/// The run loop's verdict on a gossip message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
	/// Valid and new: relay it.
	Accept,
	/// Valid but not worth relaying (held already, another round, not a participant).
	Ignore,
	/// Invalid: do not relay, and count it against the peer that sent it.
	Reject,
}

/// What the run loop asks of the network.
#[derive(Debug)]
pub enum Command {
	/// Publish the worker's own update on gossipsub.
	Publish(WireUpdate),
	/// Ask connected peers for a request's answer.
	Fetch(Request),
	/// Relay a gossip message or not.
	Report(GossipId, Verdict),
	/// The peers allowed to connect (registered workers' peer ids); others are disconnected.
	AllowPeers(Vec<PeerId>),
	/// Serve this verified update to peers that ask for it.
	Serve(WireUpdate),
	/// Serve this verified model (hash, canonical bytes) to peers that ask for it.
	ServeModel([u8; 32], Vec<u8>),
	/// Test builds (feature `adversary`): answer `NotFound` to this peer for this (round,
	/// author) update.
	#[cfg(feature = "adversary")]
	Refuse { round: u32, worker: [u8; 32], peer: PeerId },
	/// Test builds (feature `adversary`): send every connected peer `per_peer` requests padded
	/// to `bytes` more than they are (`bytes` 0: stop padding requests).
	#[cfg(feature = "adversary")]
	Oversize { bytes: usize, per_peer: usize },
}

/// Verified items this worker serves to its peers.
#[derive(Default)]
pub struct Store {
	updates: BTreeMap<(u32, [u8; 32]), WireUpdate>,
	models: Vec<([u8; 32], Vec<u8>)>,
	/// Test builds (feature `adversary`): the (round, author) update answered `NotFound` to
	/// this one peer.
	#[cfg(feature = "adversary")]
	refuse: Option<(u32, [u8; 32], PeerId)>,
}

impl Store {
	/// Keeps a verified update (and drops rounds older than `KEEP_ROUNDS`).
	pub fn add_update(&mut self, u: WireUpdate) {
		let round = u.update.round;
		self.updates.retain(|(r, _), _| r.saturating_add(KEEP_ROUNDS) > round);
		self.updates.insert((round, u.worker), u);
	}

	/// A held update.
	pub fn update(&self, round: u32, worker: &[u8; 32]) -> Option<&WireUpdate> {
		self.updates.get(&(round, *worker))
	}

	/// Keeps a verified model's canonical bytes.
	pub fn add_model(&mut self, hash: [u8; 32], bytes: Vec<u8>) {
		if self.models.iter().any(|(h, _)| *h == hash) {
			return;
		}
		if self.models.len() >= KEEP_MODELS {
			self.models.remove(0);
		}
		self.models.push((hash, bytes));
	}

	fn answer(&self, _peer: &PeerId, req: &Request) -> Response {
		#[cfg(feature = "adversary")]
		if let (Some((r, w, refused)), Request::Update { round, worker }) = (&self.refuse, req) {
			if (r, w, refused) == (round, worker, _peer) {
				return Response::NotFound;
			}
		}
		match req {
			Request::Update { round, worker } =>
				self.update(*round, worker).cloned().map_or(Response::NotFound, Response::Update),
			Request::Model { hash } => self
				.models
				.iter()
				.find(|(h, _)| h == hash)
				.map_or(Response::NotFound, |(_, b)| Response::Model(b.clone())),
		}
	}
}

/// SCALE codec of the request-response protocol: one message per stream, requests at most
/// [`MAX_REQUEST`] bytes, responses at most `max_response`.
#[derive(Clone)]
pub struct ScaleCodec {
	max_response: usize,
	/// Inbound requests refused (over [`MAX_REQUEST`] bytes or undecodable), all peers:
	/// libp2p does not report a request that failed to read, so the codec counts them.
	refused: Arc<AtomicUsize>,
	/// Test builds (feature `adversary`): zero bytes appended to every request written.
	#[cfg(feature = "adversary")]
	pad: Arc<AtomicUsize>,
}

async fn read_scale<T: Decode, R: futures::AsyncRead + Unpin + Send>(io: &mut R, limit: usize) -> io::Result<T> {
	let mut buf = Vec::new();
	// One byte over the limit tells a message that is too long from one that fits exactly.
	io.take(limit as u64 + 1).read_to_end(&mut buf).await?;
	if buf.len() > limit {
		return Err(io::Error::new(io::ErrorKind::InvalidData, format!("message over {limit} bytes")));
	}
	T::decode(&mut &buf[..]).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))
}

async fn write_scale<T: Encode, W: futures::AsyncWrite + Unpin + Send>(io: &mut W, value: &T) -> io::Result<()> {
	io.write_all(&value.encode()).await?;
	io.close().await
}

#[async_trait::async_trait]
impl request_response::Codec for ScaleCodec {
	type Protocol = StreamProtocol;
	type Request = Request;
	type Response = Response;

	async fn read_request<T: futures::AsyncRead + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Request> {
		let read = read_scale(io, MAX_REQUEST).await;
		if let Err(e) = &read {
			// Logged at the 1st, 2nd, 4th, 8th... refusal: a flood cannot flood the log.
			let n = self.refused.fetch_add(1, Ordering::Relaxed).saturating_add(1);
			if n.is_power_of_two() {
				eprintln!("p2p: refused {n} inbound request(s) so far (not answered): {e}");
			}
		}
		read
	}
	async fn read_response<T: futures::AsyncRead + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response> {
		read_scale(io, self.max_response).await
	}
	async fn write_request<T: futures::AsyncWrite + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T, req: Request) -> io::Result<()> {
		#[cfg(feature = "adversary")]
		{
			let pad = self.pad.load(Ordering::Relaxed);
			if pad > 0 {
				let mut bytes = req.encode();
				bytes.resize(bytes.len().saturating_add(pad), 0);
				io.write_all(&bytes).await?;
				return io.close().await;
			}
		}
		write_scale(io, &req).await
	}
	async fn write_response<T: futures::AsyncWrite + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T, res: Response) -> io::Result<()> {
		write_scale(io, &res).await
	}
}

#[derive(NetworkBehaviour)]
struct Behaviour {
	allowed: allow_block_list::Behaviour<allow_block_list::AllowedPeers>,
	limits: connection_limits::Behaviour,
	gossip: gossipsub::Behaviour,
	fetch: request_response::Behaviour<ScaleCodec>,
}

/// The run loop's handle to the network: commands go to the event loop (the task [`start`]
/// spawns, which owns the swarm and the [`Store`] it serves from), received messages come back.
pub struct Client {
	/// This worker's peer id.
	pub peer_id: PeerId,
	/// Commands to the event loop.
	commands: mpsc::UnboundedSender<Command>,
	/// Updates and models received (unverified): read with [`Client::recv`].
	inbound: mpsc::Receiver<Inbound>,
	/// Bytes of received messages not yet taken by the run loop.
	queued: Arc<AtomicUsize>,
}

impl Client {
	/// Sends `command` to the event loop (a stopped loop shows as the lost inbound channel).
	pub fn send(&self, command: Command) {
		let _ = self.commands.send(command);
	}

	/// The next received message; its bytes no longer count against the queue's limit.
	pub async fn recv(&mut self) -> Option<Inbound> {
		let msg = self.inbound.recv().await?;
		self.queued.fetch_sub(msg.bytes().min(self.queued.load(Ordering::Relaxed)), Ordering::Relaxed);
		Some(msg)
	}
}

/// Hands a message to the run loop without ever blocking the swarm: when the loop is busy (it
/// trains in place) and the queue holds `max_bytes` already, the message is dropped (and its
/// gossip not relayed); the loop asks for what it still misses by request.
fn deliver(tx: &mpsc::Sender<Inbound>, queued: &AtomicUsize, max_bytes: usize, msg: Inbound) -> bool {
	let size = msg.bytes();
	if queued.load(Ordering::Relaxed).saturating_add(size) > max_bytes {
		eprintln!("p2p: inbound queue holds {max_bytes} bytes; dropped a message (it is fetched again by request)");
		return false;
	}
	match tx.try_send(msg) {
		Ok(()) => {
			queued.fetch_add(size, Ordering::Relaxed);
			true
		},
		Err(_) => {
			eprintln!("p2p: inbound queue full; dropped a message (it is fetched again by request)");
			false
		},
	}
}

/// The libp2p identity of a worker: its ed25519 worker key, so the peer id follows from it.
pub fn identity(secret: [u8; 32]) -> Result<identity::Keypair> {
	let mut bytes = secret;
	identity::Keypair::ed25519_from_bytes(&mut bytes).context("invalid ed25519 secret")
}

/// Starts the network: listens on `listen`, dials `peers` (and re-dials them every 10 s while
/// not connected), subscribes to the chain's topic. Nobody may connect until the run loop sends
/// the first [`Command::AllowPeers`].
pub fn start(key: identity::Keypair, listen: Multiaddr, peers: Vec<Multiaddr>, genesis: [u8; 32], limits: Limits) -> Result<Client> {
	let peer_id = key.public().to_peer_id();
	let topic = gossipsub::IdentTopic::new(format!("/gridbrain/fl/updates/{}", hex::encode(&genesis[..8])));
	let config = gossipsub::ConfigBuilder::default()
		.max_transmit_size(limits.max_message)
		.validation_mode(gossipsub::ValidationMode::Strict)
		// Relay only what the run loop found valid (`Command::Report`).
		.validate_messages()
		.message_id_fn(|m| gossipsub::MessageId::from(sp_crypto_hashing::blake2_256(&m.data).to_vec()))
		.build()
		.map_err(|e| anyhow::anyhow!("gossipsub config: {e}"))?;
	let gossip = gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
		.map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?;
	#[cfg(feature = "adversary")]
	let pad = Arc::new(AtomicUsize::new(0));
	let fetch = request_response::Behaviour::with_codec(
		ScaleCodec {
			max_response: limits.max_message,
			refused: Arc::new(AtomicUsize::new(0)),
			#[cfg(feature = "adversary")]
			pad: pad.clone(),
		},
		[(StreamProtocol::new("/gridbrain/fl/1"), ProtocolSupport::Full)],
		request_response::Config::default()
			.with_request_timeout(Duration::from_secs(30))
			.with_max_concurrent_streams(MAX_STREAMS),
	);
	let connection_limits = connection_limits::ConnectionLimits::default()
		.with_max_established(Some(MAX_CONNECTIONS))
		.with_max_established_per_peer(Some(2))
		.with_max_pending_incoming(Some(8));
	let behaviour = Behaviour {
		allowed: allow_block_list::Behaviour::default(),
		limits: connection_limits::Behaviour::new(connection_limits),
		gossip,
		fetch,
	};
	let mut swarm: Swarm<Behaviour> = libp2p::SwarmBuilder::with_existing_identity(key)
		.with_tokio()
		.with_tcp(tcp::Config::default().nodelay(true), noise::Config::new, yamux::Config::default)?
		.with_behaviour(|_| behaviour)?
		.with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(3600)))
		.build();
	swarm.behaviour_mut().gossip.subscribe(&topic)?;
	swarm.listen_on(listen.clone()).with_context(|| format!("cannot listen on {listen}"))?;
	let (commands, mut command_rx) = mpsc::unbounded_channel::<Command>();
	let (inbound_tx, inbound) = mpsc::channel::<Inbound>(256);
	// The event loop owns what it serves; the run loop adds to it by command.
	let mut store = Store::default();
	let queued = Arc::new(AtomicUsize::new(0));
	let counted = queued.clone();
	let max_queued = limits.max_queued_bytes;
	tokio::spawn(async move {
		let mut redial = tokio::time::interval(Duration::from_secs(10));
		// Peers dialled by address, by the peer id they turned out to have.
		let mut known: HashMap<Multiaddr, PeerId> = HashMap::new();
		let mut allowed: Vec<PeerId> = Vec::new();
		// Inbound requests that failed (oversized, undecodable, timed out), by peer.
		let mut failed_requests: HashMap<PeerId, u64> = HashMap::new();
		loop {
			tokio::select! {
				_ = redial.tick() => {
					for addr in &peers {
						let connected = known.get(addr).is_some_and(|p| swarm.is_connected(p));
						if !connected && !allowed.is_empty() {
							let _ = swarm.dial(addr.clone());
						}
					}
				},
				command = command_rx.recv() => match command {
					None => break,
					Some(Command::Publish(update)) => {
						if let Err(e) = swarm.behaviour_mut().gossip.publish(topic.clone(), update.encode()) {
							eprintln!("p2p: gossip publish of round {} update: {e} (peers fetch it by request instead)", update.update.round);
						}
					},
					Some(Command::Fetch(request)) => {
						let peers: Vec<PeerId> = swarm.connected_peers().copied().collect();
						for p in peers {
							swarm.behaviour_mut().fetch.send_request(&p, request.clone());
						}
					},
					Some(Command::Report(GossipId { id, source }, verdict)) => {
						let acceptance = match verdict {
							Verdict::Accept => gossipsub::MessageAcceptance::Accept,
							Verdict::Ignore => gossipsub::MessageAcceptance::Ignore,
							Verdict::Reject => gossipsub::MessageAcceptance::Reject,
						};
						let _ = swarm.behaviour_mut().gossip.report_message_validation_result(&id, &source, acceptance);
					},
					Some(Command::Serve(update)) => store.add_update(update),
					Some(Command::ServeModel(hash, bytes)) => store.add_model(hash, bytes),
					#[cfg(feature = "adversary")]
					Some(Command::Refuse { round, worker, peer }) => store.refuse = Some((round, worker, peer)),
					Some(Command::AllowPeers(list)) => {
						for p in allowed.iter().filter(|p| !list.contains(p)) {
							swarm.behaviour_mut().allowed.disallow_peer(*p);
						}
						for p in list.iter().filter(|p| **p != peer_id) {
							swarm.behaviour_mut().allowed.allow_peer(*p);
						}
						allowed = list;
					},
					#[cfg(feature = "adversary")]
					Some(Command::Oversize { bytes, per_peer }) => {
						pad.store(bytes, Ordering::Relaxed);
						let peers: Vec<PeerId> = swarm.connected_peers().copied().collect();
						for p in peers {
							for _ in 0..per_peer {
								swarm.behaviour_mut().fetch.send_request(&p, Request::Model { hash: [0; 32] });
							}
						}
					},
				},
				event = swarm.select_next_some() => match event {
					SwarmEvent::NewListenAddr { address, .. } => eprintln!("p2p: listening on {address}/p2p/{peer_id}"),
					SwarmEvent::ConnectionEstablished { peer_id: p, endpoint, num_established, .. } => {
						if endpoint.is_dialer() {
							known.insert(endpoint.get_remote_address().clone(), p);
						}
						if num_established.get() == 1 {
							eprintln!("p2p: connected to {p}");
						}
					},
					SwarmEvent::ConnectionClosed { peer_id: p, num_established: 0, .. } => eprintln!("p2p: disconnected from {p}"),
					SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message { message, message_id, propagation_source })) => {
						let gossip_id = GossipId { id: message_id, source: propagation_source };
						match WireUpdate::decode(&mut &message.data[..]) {
							Ok(u) => {
								if !deliver(&inbound_tx, &counted, max_queued, Inbound::Update(Box::new(u), Some(gossip_id.clone()))) {
									let _ = swarm.behaviour_mut().gossip.report_message_validation_result(&gossip_id.id, &gossip_id.source, gossipsub::MessageAcceptance::Ignore);
								}
							},
							Err(e) => {
								eprintln!("p2p: undecodable gossip message from {propagation_source}: {e}");
								let _ = swarm.behaviour_mut().gossip.report_message_validation_result(&gossip_id.id, &gossip_id.source, gossipsub::MessageAcceptance::Reject);
							},
						}
					},
					SwarmEvent::Behaviour(BehaviourEvent::Fetch(request_response::Event::Message { peer, message, .. })) => match message {
						request_response::Message::Request { request, channel, .. } => {
							let answer = store.answer(&peer, &request);
							let _ = swarm.behaviour_mut().fetch.send_response(channel, answer);
						},
						request_response::Message::Response { response, .. } => match response {
							Response::Update(u) => { deliver(&inbound_tx, &counted, max_queued, Inbound::Update(Box::new(u), None)); },
							Response::Model(b) => { deliver(&inbound_tx, &counted, max_queued, Inbound::Model(b)); },
							Response::NotFound => {},
						},
					},
					SwarmEvent::Behaviour(BehaviourEvent::Fetch(request_response::Event::InboundFailure { peer, error, .. })) => {
						// Logged at the 1st, 2nd, 4th, 8th... failure of each peer: a flood of
						// bad requests cannot flood the log.
						let n = failed_requests.entry(peer).or_insert(0);
						*n = n.saturating_add(1);
						if n.is_power_of_two() {
							eprintln!("p2p: {n} inbound request(s) from {peer} failed so far (refused, not answered); last: {error}");
						}
					},
					_ => {},
				},
			}
		}
	});
	Ok(Client { peer_id, commands, inbound, queued })
}

#[cfg(test)]
mod tests {
	use super::*;

	fn update(round: u32, worker: u8) -> WireUpdate {
		WireUpdate {
			worker: [worker; 32],
			update: SignedUpdate { round, bytes: vec![1, 2, 3], hash: [7; 32], signature: [9; 64], num_samples: 5 },
		}
	}

	#[test]
	fn messages_round_trip_through_scale() {
		let u = update(3, 1);
		assert_eq!(WireUpdate::decode(&mut &u.encode()[..]).ok(), Some(u.clone()));
		let r = Response::Update(u);
		assert_eq!(Response::decode(&mut &r.encode()[..]).ok(), Some(r));
		let q = Request::Model { hash: [4; 32] };
		assert_eq!(Request::decode(&mut &q.encode()[..]).ok(), Some(q));
		// Truncated bytes are an error, not a panic.
		let bytes = update(1, 1).encode();
		assert!(WireUpdate::decode(&mut &bytes[..bytes.len() - 1]).is_err());
	}

	#[test]
	fn limits_fit_the_real_messages_and_nothing_much_larger() {
		use gridbrain_aggregation as agg;
		// A model of 20,000 parameters in three tensors, and an update of it.
		let tensor = |name: &str, n: usize| agg::Tensor::new(name.into(), vec![n as u32], vec![1_234_567; n]).unwrap();
		let model = agg::Model::new(vec![tensor("a", 10_000), tensor("b", 9_000), tensor("c", 1_000)]).unwrap();
		let zero = agg::Model::new(vec![tensor("a", 10_000), tensor("b", 9_000), tensor("c", 1_000)]).unwrap();
		let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
		let update = crate::federated::make_update(&model, &zero, 7, 100, &key).unwrap();
		let limits = Limits::for_model(model.encode().len());
		let response = Response::Update(WireUpdate { worker: [1; 32], update }).encode();
		assert!(response.len() <= limits.max_message, "{} > {}", response.len(), limits.max_message);
		assert!(Response::Model(model.encode()).encode().len() <= limits.max_message);
		// A global model under server momentum carries a velocity tensor per parameter tensor.
		let rule = agg::AggregationRule::Median;
		let one = [agg::Contribution { num_samples: 1, update: &model }];
		let moving = agg::next_global_with_momentum(&rule, 700_000, &zero, &one).unwrap();
		assert!(moving.has_velocity());
		let served = Response::Model(moving.encode()).encode().len();
		assert!(served <= limits.max_message, "{served} > {}", limits.max_message);
		assert!(limits.max_message < 3 * model.encode().len(), "not much above what is needed");
		assert!(Request::Update { round: u32::MAX, worker: [1; 32] }.encode().len() <= MAX_REQUEST);
		assert!(Request::Model { hash: [1; 32] }.encode().len() <= MAX_REQUEST);
		assert_eq!(Limits::for_model(usize::MAX).max_message, MAX_MESSAGE);
	}

	#[test]
	fn a_message_over_the_limit_is_an_error_and_one_at_it_is_read() {
		let request = Request::Model { hash: [4; 32] };
		let bytes = request.encode();
		let read = |limit: usize, bytes: Vec<u8>| {
			futures::executor::block_on(read_scale::<Request, _>(&mut futures::io::Cursor::new(bytes), limit))
		};
		assert_eq!(read(bytes.len(), bytes.clone()).unwrap(), request);
		let err = read(bytes.len() - 1, bytes.clone()).unwrap_err();
		assert!(err.to_string().contains("over"), "{err}");
		// An 8 MiB "request" is refused after MAX_REQUEST + 1 bytes.
		assert!(read(MAX_REQUEST, vec![0; 8 << 20]).is_err());
	}

	#[test]
	fn the_codec_refuses_and_counts_oversized_requests() {
		use request_response::Codec as _;
		let mut codec = ScaleCodec {
			max_response: 1 << 20,
			refused: Arc::new(AtomicUsize::new(0)),
			#[cfg(feature = "adversary")]
			pad: Arc::new(AtomicUsize::new(0)),
		};
		let protocol = StreamProtocol::new("/gridbrain/fl/1");
		let good = Request::Model { hash: [4; 32] };
		let mut padded = good.encode();
		padded.resize(1 << 20, 0);
		let read = |codec: &mut ScaleCodec, bytes: Vec<u8>| {
			futures::executor::block_on(codec.read_request(&protocol, &mut futures::io::Cursor::new(bytes)))
		};
		assert!(read(&mut codec, padded).is_err(), "a 1 MiB request is refused");
		assert!(read(&mut codec, vec![9, 9, 9]).is_err(), "an undecodable one too");
		assert_eq!(read(&mut codec, good.encode()).unwrap(), good);
		assert_eq!(codec.refused.load(Ordering::Relaxed), 2);
	}

	#[test]
	fn store_serves_what_it_holds_and_forgets_old_rounds() {
		let peer = PeerId::random();
		let mut s = Store::default();
		s.add_update(update(1, 1));
		assert_eq!(s.answer(&peer, &Request::Update { round: 1, worker: [1; 32] }), Response::Update(update(1, 1)));
		assert_eq!(s.answer(&peer, &Request::Update { round: 1, worker: [2; 32] }), Response::NotFound);
		s.add_update(update(1 + KEEP_ROUNDS, 2));
		assert_eq!(s.answer(&peer, &Request::Update { round: 1, worker: [1; 32] }), Response::NotFound);
		for k in 0..=KEEP_MODELS as u8 {
			s.add_model([k; 32], vec![k]);
		}
		assert_eq!(s.answer(&peer, &Request::Model { hash: [0; 32] }), Response::NotFound);
		assert_eq!(s.answer(&peer, &Request::Model { hash: [1; 32] }), Response::Model(vec![1]));
	}

	#[cfg(feature = "adversary")]
	#[test]
	fn an_adversarial_store_refuses_one_peer_one_update() {
		let (left_out, other) = (PeerId::random(), PeerId::random());
		let mut s = Store::default();
		s.add_update(update(1, 1));
		s.add_update(update(1, 2));
		s.refuse = Some((1, [1; 32], left_out));
		let ask = |w: u8| Request::Update { round: 1, worker: [w; 32] };
		assert_eq!(s.answer(&left_out, &ask(1)), Response::NotFound);
		assert_eq!(s.answer(&other, &ask(1)), Response::Update(update(1, 1)));
		assert_eq!(s.answer(&left_out, &ask(2)), Response::Update(update(1, 2)));
	}
}
