//! Dispatch of the command line: run the node or one of the subcommands.

use codec::Encode;
#[cfg(feature = "runtime-benchmarks")]
use frame_benchmarking_cli::{BenchmarkCmd, SUBSTRATE_REFERENCE_HARDWARE};
use gridbrain_runtime::opaque::Block;
use sc_cli::SubstrateCli;
use sc_service::PartialComponents;
use sp_runtime::traits::{Block as BlockT, Hash as HashT, HashingFor, Header as HeaderT};

use crate::{
	chain_spec,
	cli::{Cli, ExportGenesisStateCmd, Subcommand},
	service,
};

impl SubstrateCli for Cli {
	fn impl_name() -> String {
		"gridbrain node".into()
	}

	fn impl_version() -> String {
		env!("SUBSTRATE_CLI_IMPL_VERSION").into()
	}

	fn description() -> String {
		env!("CARGO_PKG_DESCRIPTION").into()
	}

	fn author() -> String {
		env!("CARGO_PKG_AUTHORS").into()
	}

	fn support_url() -> String {
		"https://example.invalid/gridbrain/issues".into()
	}

	fn copyright_start_year() -> i32 {
		2026
	}

	fn load_spec(&self, id: &str) -> Result<Box<dyn sc_service::ChainSpec>, String> {
		chain_spec::load(id)
	}
}

/// Parses the command line and runs what it asks for.
pub fn run() -> sc_cli::Result<()> {
	let cli = Cli::from_args();

	match &cli.subcommand {
		Some(Subcommand::Key(cmd)) => cmd.run(&cli),
		Some(Subcommand::BuildSpec(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.chain_spec, config.network))
		},
		Some(Subcommand::ExportChainSpec(cmd)) => {
			let chain_spec = cli.load_spec(&cmd.chain)?;
			cmd.run(chain_spec)
		},
		Some(Subcommand::ExportGenesisState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| export_genesis_state(cmd, &*config.chain_spec, &config))
		},
		Some(Subcommand::CheckBlock(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::ExportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.database), task_manager))
			})
		},
		Some(Subcommand::ExportState(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, .. } = service::new_partial(&config)?;
				Ok((cmd.run(client, config.chain_spec), task_manager))
			})
		},
		Some(Subcommand::ImportBlocks(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, import_queue, .. } =
					service::new_partial(&config)?;
				Ok((cmd.run(client, import_queue), task_manager))
			})
		},
		Some(Subcommand::PurgeChain(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run(config.database))
		},
		Some(Subcommand::Revert(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.async_run(|config| {
				let PartialComponents { client, task_manager, backend, .. } =
					service::new_partial(&config)?;
				let aux_revert = Box::new(|client, _, blocks| {
					sc_consensus_grandpa::revert(client, blocks)?;
					Ok(())
				});
				Ok((cmd.run(client, backend, Some(aux_revert)), task_manager))
			})
		},
		#[cfg(not(feature = "runtime-benchmarks"))]
		Some(Subcommand::Benchmark { .. }) => Err("this gridbrain-node was built without \
			benchmarking; rebuild it with `cargo build --release -p gridbrain-node --features \
			runtime-benchmarks` (see scripts/benchmark-pallets.sh)"
			.into()),
		#[cfg(feature = "runtime-benchmarks")]
		Some(Subcommand::Benchmark(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| match cmd {
				BenchmarkCmd::Pallet(cmd) =>
					cmd.run_with_spec::<HashingFor<Block>, ()>(Some(config.chain_spec)),
				BenchmarkCmd::Block(cmd) => {
					let PartialComponents { client, .. } = service::new_partial(&config)?;
					cmd.run(client)
				},
				BenchmarkCmd::Storage(cmd) => {
					let PartialComponents { client, backend, .. } = service::new_partial(&config)?;
					let db = backend.expose_db();
					let storage = backend.expose_storage();
					let shared_cache = backend.expose_shared_trie_cache();
					cmd.run(config, client, db, storage, shared_cache)
				},
				BenchmarkCmd::Machine(cmd) =>
					cmd.run(&config, SUBSTRATE_REFERENCE_HARDWARE.clone()),
				// The per-block and per-extrinsic base weights (`runtime/src/weights/`),
				// measured on the chain spec's genesis with `System::remark` extrinsics.
				BenchmarkCmd::Overhead(cmd) =>
					cmd.run_with_default_builder_and_spec::<Block, ()>(Some(config.chain_spec)),
				BenchmarkCmd::Extrinsic(_) => Err("`benchmark extrinsic` is not supported by \
					gridbrain-node; use `benchmark pallet`, `overhead`, `block`, `storage` or \
					`machine`"
					.into()),
			})
		},
		Some(Subcommand::ChainInfo(cmd)) => {
			let runner = cli.create_runner(cmd)?;
			runner.sync_run(|config| cmd.run::<Block>(&config))
		},
		None => {
			let runner = cli.create_runner(&cli.run)?;
			runner.run_node_until_exit(|config| async move {
				service::new_full::<sc_network::NetworkWorker<Block, <Block as BlockT>::Hash>>(
					config,
				)
				.map_err(sc_cli::Error::Service)
			})
		},
	}
}

/// Computes the genesis block of a chain spec without opening a database, and prints its hash,
/// state root and SCALE-encoded header as JSON (to stdout or `--output`).
fn export_genesis_state(
	cmd: &ExportGenesisStateCmd,
	spec: &dyn sc_service::ChainSpec,
	config: &sc_service::Configuration,
) -> sc_cli::Result<()> {
	let storage = spec.as_storage_builder().build_storage()?;
	if !storage.children_default.is_empty() {
		return Err("genesis state with child tries is not supported by export-genesis-state".into());
	}
	let executor = sc_service::new_wasm_executor::<service::HostFunctions>(&config.executor);
	let state_version = sc_chain_spec::resolve_state_version_from_wasm::<_, HashingFor<Block>>(
		&storage, &executor,
	)?;
	let state_root =
		HashingFor::<Block>::trie_root(storage.top.into_iter().collect(), state_version);
	let block: Block = sc_chain_spec::construct_genesis_block(state_root, state_version);
	let header = block.header();
	let json = serde_json::json!({
		"chain": spec.id(),
		"genesisHash": format!("{:?}", header.hash()),
		"stateRoot": format!("{:?}", header.state_root()),
		"header": format!("0x{}", hex_encode(&header.encode())),
	});
	let text = serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?;
	match &cmd.output {
		Some(path) => std::fs::write(path, text + "\n")
			.map_err(|e| format!("cannot write {}: {e}", path.display()))?,
		None => println!("{text}"),
	}
	Ok(())
}

fn hex_encode(bytes: &[u8]) -> String {
	use std::fmt::Write;
	bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
		let _ = write!(s, "{b:02x}");
		s
	})
}
