//! Three of the four `local` validators (Alice, Bob, Charlie) find each other, finalize
//! height >= 3 and agree on the finalized hash.

mod common;

use std::time::Duration;

use common::{generate_node_key, wait_for, Node, TempDir};

#[test]
fn three_local_validators_finalize_and_agree() {
	let dir = TempDir::new("multi");
	let mut nodes: Vec<Node> = Vec::new();
	let mut bootnode = String::new();
	for name in ["alice", "bob", "charlie"] {
		let key = dir.0.join(format!("{name}.node-key"));
		let peer = generate_node_key(&key);
		let base = dir.0.join(name);
		let mut args = vec![
			"--chain".to_string(),
			"local".into(),
			format!("--{name}"),
			"--validator".into(),
			"--base-path".into(),
			base.display().to_string(),
			"--node-key-file".into(),
			key.display().to_string(),
		];
		if !bootnode.is_empty() {
			args.extend(["--bootnodes".to_string(), bootnode.clone()]);
		}
		let args: Vec<&str> = args.iter().map(String::as_str).collect();
		let node = Node::start(name, &dir.0, &args);
		if bootnode.is_empty() {
			bootnode = format!("/ip4/127.0.0.1/tcp/{}/p2p/{peer}", node.p2p_port);
		}
		nodes.push(node);
	}

	let height = wait_for(Duration::from_secs(240), "finalized >= 3 on all nodes", || {
		let mut min = u64::MAX;
		for node in nodes.iter_mut() {
			node.assert_running();
			min = min.min(node.finalized()?.0);
		}
		(min >= 3).then_some(min)
	});

	let hashes: Vec<String> = nodes.iter().map(|n| n.block_hash(height).unwrap()).collect();
	assert!(hashes.iter().all(|h| *h == hashes[0]), "finalized hashes differ at #{height}: {hashes:?}");

	for node in nodes.iter_mut() {
		let status = node.stop();
		assert!(status.success(), "{} exited with {status}:\n{}", node.name, node.log_tail());
	}
}
