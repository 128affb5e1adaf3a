//! Helpers for the node's end-to-end tests: spawn `gridbrain-node`, talk JSON-RPC over HTTP,
//! stop it with SIGINT.
#![allow(dead_code)]

use std::{
	io::{Read, Write},
	net::{TcpListener, TcpStream},
	path::PathBuf,
	process::{Child, Command, ExitStatus, Stdio},
	time::{Duration, Instant},
};

use serde_json::{json, Value};

/// Path of the node binary cargo built for these tests.
pub fn node_bin() -> PathBuf {
	PathBuf::from(env!("CARGO_BIN_EXE_gridbrain-node"))
}

/// A currently free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
	TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A running node; stopped with SIGINT (then SIGKILL) when dropped.
pub struct Node {
	pub name: String,
	pub child: Option<Child>,
	pub rpc_port: u16,
	pub p2p_port: u16,
	pub prometheus_port: u16,
	pub log: PathBuf,
}

impl Node {
	/// Starts `gridbrain-node` with `args` plus loopback ports; output goes to a log file.
	pub fn start(name: &str, dir: &std::path::Path, args: &[&str]) -> Node {
		let (rpc_port, p2p_port, prometheus_port) = (free_port(), free_port(), free_port());
		let log = dir.join(format!("{name}.log"));
		let out = std::fs::File::create(&log).unwrap();
		let child = Command::new(node_bin())
			.args(args)
			.args(["--rpc-port", &rpc_port.to_string()])
			.args(["--port", &p2p_port.to_string()])
			.args(["--prometheus-port", &prometheus_port.to_string()])
			.args(["--no-telemetry", "--no-mdns", "--name", name])
			.stdout(Stdio::null())
			.stderr(out)
			.spawn()
			.expect("spawn gridbrain-node");
		Node { name: name.into(), child: Some(child), rpc_port, p2p_port, prometheus_port, log }
	}

	/// Calls a JSON-RPC method; `None` while the node is not answering.
	pub fn rpc(&self, method: &str, params: Value) -> Option<Value> {
		rpc_call(self.rpc_port, method, params)
	}

	/// Number of the best block.
	pub fn best_number(&self) -> Option<u64> {
		header_number(&self.rpc("chain_getHeader", json!([]))?)
	}

	/// Number and hash of the finalized head.
	pub fn finalized(&self) -> Option<(u64, String)> {
		let hash = self.rpc("chain_getFinalizedHead", json!([]))?.as_str()?.to_string();
		let header = self.rpc("chain_getHeader", json!([hash]))?;
		Some((header_number(&header)?, hash))
	}

	/// Hash of the block at `number` on the node's best chain.
	pub fn block_hash(&self, number: u64) -> Option<String> {
		self.rpc("chain_getBlockHash", json!([number]))?.as_str().map(str::to_string)
	}

	/// Fails the test (with the log's tail) if the process has exited.
	pub fn assert_running(&mut self) {
		if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().unwrap()) {
			panic!("{} exited early with {status}; log tail:\n{}", self.name, self.log_tail());
		}
	}

	/// The last 40 lines of the node's log.
	pub fn log_tail(&self) -> String {
		let text = std::fs::read_to_string(&self.log).unwrap_or_default();
		let lines: Vec<_> = text.lines().collect();
		lines[lines.len().saturating_sub(40)..].join("\n")
	}

	/// Sends SIGINT and waits up to 60 s for a clean exit.
	pub fn stop(&mut self) -> ExitStatus {
		let mut child = self.child.take().expect("node still running");
		let _ = Command::new("kill").args(["-INT", &child.id().to_string()]).status();
		let deadline = Instant::now() + Duration::from_secs(60);
		loop {
			if let Some(status) = child.try_wait().unwrap() {
				return status;
			}
			if Instant::now() > deadline {
				let _ = child.kill();
				panic!("{} did not stop within 60 s of SIGINT", self.name);
			}
			std::thread::sleep(Duration::from_millis(200));
		}
	}
}

impl Drop for Node {
	fn drop(&mut self) {
		if let Some(mut child) = self.child.take() {
			let _ = child.kill();
			let _ = child.wait();
		}
	}
}

fn header_number(header: &Value) -> Option<u64> {
	let hex = header.get("number")?.as_str()?;
	u64::from_str_radix(hex.trim_start_matches("0x"), 16).ok()
}

/// Polls `f` every 500 ms until it returns `Some`, or panics after `timeout` with `what`.
pub fn wait_for<T>(timeout: Duration, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
	let deadline = Instant::now() + timeout;
	loop {
		if let Some(v) = f() {
			return v;
		}
		assert!(Instant::now() < deadline, "timed out after {timeout:?} waiting for {what}");
		std::thread::sleep(Duration::from_millis(500));
	}
}

/// A minimal HTTP/1.1 JSON-RPC client (the node serves HTTP and WebSocket on one port).
pub fn rpc_call(port: u16, method: &str, params: Value) -> Option<Value> {
	let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
	let response = http_post(port, "/", &body)?;
	let value: Value = serde_json::from_str(&response).ok()?;
	if let Some(err) = value.get("error") {
		panic!("RPC {method} failed: {err}");
	}
	value.get("result").cloned()
}

/// POSTs `body` and returns the response body (de-chunked), `None` on connection errors.
pub fn http_post(port: u16, path: &str, body: &str) -> Option<String> {
	let request = format!(
		"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\n\
		 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
		body.len()
	);
	http_exchange(port, &request)
}

/// GETs `path` and returns the response body, `None` on connection errors.
pub fn http_get(port: u16, path: &str) -> Option<String> {
	let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
	http_exchange(port, &request)
}

fn http_exchange(port: u16, request: &str) -> Option<String> {
	let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
	stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
	stream.write_all(request.as_bytes()).ok()?;
	let mut raw = Vec::new();
	stream.read_to_end(&mut raw).ok()?;
	let raw = String::from_utf8(raw).ok()?;
	let (head, body) = raw.split_once("\r\n\r\n")?;
	if !head.starts_with("HTTP/1.1 200") {
		return None;
	}
	if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
		return Some(dechunk(body));
	}
	Some(body.to_string())
}

fn dechunk(mut body: &str) -> String {
	let mut out = String::new();
	while let Some((size, rest)) = body.split_once("\r\n") {
		let Ok(n) = usize::from_str_radix(size.trim(), 16) else { break };
		if n == 0 || rest.len() < n {
			break;
		}
		out.push_str(&rest[..n]);
		body = rest[n..].trim_start_matches("\r\n");
	}
	out
}

/// A fresh temporary directory for one test, removed at the end unless the test failed.
pub struct TempDir(pub PathBuf);

impl TempDir {
	pub fn new(tag: &str) -> TempDir {
		let dir = std::env::temp_dir().join(format!("gridbrain-{tag}-{}", std::process::id()));
		let _ = std::fs::remove_dir_all(&dir);
		std::fs::create_dir_all(&dir).unwrap();
		TempDir(dir)
	}
}

impl Drop for TempDir {
	fn drop(&mut self) {
		if !std::thread::panicking() {
			let _ = std::fs::remove_dir_all(&self.0);
		} else {
			eprintln!("test data kept in {}", self.0.display());
		}
	}
}

/// Generates a node key file and returns the peer id the node will have.
pub fn generate_node_key(path: &std::path::Path) -> String {
	let out = Command::new(node_bin())
		.args(["key", "generate-node-key", "--file"])
		.arg(path)
		.output()
		.expect("run key generate-node-key");
	assert!(out.status.success(), "generate-node-key failed: {out:?}");
	String::from_utf8(out.stderr).unwrap().trim().to_string()
}
