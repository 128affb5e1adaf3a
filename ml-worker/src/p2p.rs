//! The workers' network: libp2p over TCP (noise, yamux) with
//! - **gossipsub** on one topic per chain, where each worker publishes its signed update once
//!   it has revealed it on chain;
//! - **request-response** (`/gridbrain/fl/1`), where any worker serves the updates and global
//!   models it holds, so a worker that missed a gossip message, or restarted, fetches them.
//!
//! Messages are SCALE-encoded and size-limited. Nothing received here is trusted: the run loop
//! checks every update against its author's on-chain reveal and worker key, and every model
//! against the on-chain `params_hash`, before keeping it.

use crate::federated::SignedUpdate;
use anyhow::{Context, Result};
use codec::{Decode, Encode};
use futures::{AsyncReadExt, AsyncWriteExt, StreamExt};
use libp2p::{
	gossipsub, identity, noise,
	request_response::{self, ProtocolSupport},
	swarm::{NetworkBehaviour, SwarmEvent},
	tcp, yamux, Multiaddr, PeerId, StreamProtocol, Swarm,
};
use std::{
	collections::{BTreeMap, HashMap},
	io,
	sync::{Arc, Mutex},
	time::Duration,
};
use tokio::sync::mpsc;

/// Largest message (request, response or gossip) accepted.
pub const MAX_MESSAGE: usize = 8 << 20;
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

/// What the network hands to the run loop (unverified).
#[derive(Debug)]
pub enum Inbound {
	/// An update from gossip or a response.
	Update(WireUpdate),
	/// A model's bytes from a response.
	Model(Vec<u8>),
}

/// What the run loop asks of the network.
#[derive(Debug)]
pub enum Command {
	/// Publish the worker's own update on gossipsub.
	Publish(WireUpdate),
	/// Ask connected peers for a request's answer.
	Fetch(Request),
}

/// Verified items this worker serves to its peers.
#[derive(Default)]
pub struct Store {
	updates: BTreeMap<(u32, [u8; 32]), WireUpdate>,
	models: Vec<([u8; 32], Vec<u8>)>,
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

	fn answer(&self, req: &Request) -> Response {
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

/// SCALE codec of the request-response protocol: one message per stream, at most
/// [`MAX_MESSAGE`] bytes.
#[derive(Clone, Default)]
pub struct ScaleCodec;

async fn read_scale<T: Decode, R: futures::AsyncRead + Unpin + Send>(io: &mut R) -> io::Result<T> {
	let mut buf = Vec::new();
	io.take(MAX_MESSAGE as u64).read_to_end(&mut buf).await?;
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
		read_scale(io).await
	}
	async fn read_response<T: futures::AsyncRead + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T) -> io::Result<Response> {
		read_scale(io).await
	}
	async fn write_request<T: futures::AsyncWrite + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T, req: Request) -> io::Result<()> {
		write_scale(io, &req).await
	}
	async fn write_response<T: futures::AsyncWrite + Unpin + Send>(&mut self, _: &StreamProtocol, io: &mut T, res: Response) -> io::Result<()> {
		write_scale(io, &res).await
	}
}

#[derive(NetworkBehaviour)]
struct Behaviour {
	gossip: gossipsub::Behaviour,
	fetch: request_response::Behaviour<ScaleCodec>,
}

/// Handles to the running network task.
pub struct Network {
	/// This worker's peer id.
	pub peer_id: PeerId,
	/// Commands to the network.
	pub commands: mpsc::UnboundedSender<Command>,
	/// Updates and models received (unverified).
	pub inbound: mpsc::Receiver<Inbound>,
	/// Verified items served to peers.
	pub store: Arc<Mutex<Store>>,
}

/// Hands a message to the run loop without ever blocking the swarm: when the loop is busy (it
/// trains in place) and the queue is full, the message is dropped; the loop asks for what it
/// still misses by request.
fn deliver(tx: &mpsc::Sender<Inbound>, msg: Inbound) {
	if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(msg) {
		eprintln!("p2p: inbound queue full; dropped a message (it is fetched again by request)");
	}
}

/// The libp2p identity of a worker: its ed25519 worker key, so the peer id follows from it.
pub fn identity(secret: [u8; 32]) -> Result<identity::Keypair> {
	let mut bytes = secret;
	identity::Keypair::ed25519_from_bytes(&mut bytes).context("invalid ed25519 secret")
}

/// Starts the network: listens on `listen`, dials `peers` (and re-dials them every 10 s while
/// not connected), subscribes to the chain's topic.
pub fn start(key: identity::Keypair, listen: Multiaddr, peers: Vec<Multiaddr>, genesis: [u8; 32]) -> Result<Network> {
	let peer_id = key.public().to_peer_id();
	let topic = gossipsub::IdentTopic::new(format!("/gridbrain/fl/updates/{}", hex::encode(&genesis[..8])));
	let config = gossipsub::ConfigBuilder::default()
		.max_transmit_size(MAX_MESSAGE)
		.validation_mode(gossipsub::ValidationMode::Strict)
		.message_id_fn(|m| gossipsub::MessageId::from(sp_crypto_hashing::blake2_256(&m.data).to_vec()))
		.build()
		.map_err(|e| anyhow::anyhow!("gossipsub config: {e}"))?;
	let gossip = gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Signed(key.clone()), config)
		.map_err(|e| anyhow::anyhow!("gossipsub: {e}"))?;
	let fetch = request_response::Behaviour::new(
		[(StreamProtocol::new("/gridbrain/fl/1"), ProtocolSupport::Full)],
		request_response::Config::default().with_request_timeout(Duration::from_secs(30)),
	);
	let behaviour = Behaviour { gossip, fetch };
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
	let store = Arc::new(Mutex::new(Store::default()));
	let serving = store.clone();
	tokio::spawn(async move {
		let mut redial = tokio::time::interval(Duration::from_secs(10));
		// Peers dialled by address, by the peer id they turned out to have.
		let mut known: HashMap<Multiaddr, PeerId> = HashMap::new();
		loop {
			tokio::select! {
				_ = redial.tick() => {
					for addr in &peers {
						let connected = known.get(addr).is_some_and(|p| swarm.is_connected(p));
						if !connected {
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
					SwarmEvent::Behaviour(BehaviourEvent::Gossip(gossipsub::Event::Message { message, .. })) => {
						match WireUpdate::decode(&mut &message.data[..]) {
							Ok(u) => deliver(&inbound_tx, Inbound::Update(u)),
							Err(e) => eprintln!("p2p: undecodable gossip message from {:?}: {e}", message.source),
						}
					},
					SwarmEvent::Behaviour(BehaviourEvent::Fetch(request_response::Event::Message { message, .. })) => match message {
						request_response::Message::Request { request, channel, .. } => {
							let answer = serving.lock().map(|s| s.answer(&request)).unwrap_or(Response::NotFound);
							let _ = swarm.behaviour_mut().fetch.send_response(channel, answer);
						},
						request_response::Message::Response { response, .. } => match response {
							Response::Update(u) => deliver(&inbound_tx, Inbound::Update(u)),
							Response::Model(b) => deliver(&inbound_tx, Inbound::Model(b)),
							Response::NotFound => {},
						},
					},
					_ => {},
				},
			}
		}
	});
	Ok(Network { peer_id, commands, inbound, store })
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
	fn store_serves_what_it_holds_and_forgets_old_rounds() {
		let mut s = Store::default();
		s.add_update(update(1, 1));
		assert_eq!(s.answer(&Request::Update { round: 1, worker: [1; 32] }), Response::Update(update(1, 1)));
		assert_eq!(s.answer(&Request::Update { round: 1, worker: [2; 32] }), Response::NotFound);
		s.add_update(update(1 + KEEP_ROUNDS, 2));
		assert_eq!(s.answer(&Request::Update { round: 1, worker: [1; 32] }), Response::NotFound);
		for k in 0..=KEEP_MODELS as u8 {
			s.add_model([k; 32], vec![k]);
		}
		assert_eq!(s.answer(&Request::Model { hash: [0; 32] }), Response::NotFound);
		assert_eq!(s.answer(&Request::Model { hash: [1; 32] }), Response::Model(vec![1]));
	}
}
