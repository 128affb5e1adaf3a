//! Command-line interface of `gridbrain-node`.

/// Subcommands besides running the node.
#[derive(Debug, clap::Subcommand)]
#[allow(clippy::large_enum_variant)]
pub enum Subcommand {
	/// Key management: generate, inspect, insert keys into the keystore.
	#[command(subcommand)]
	Key(sc_cli::KeySubcommand),

	/// Build a chain specification (use `--raw` for the form other nodes can join).
	BuildSpec(sc_cli::BuildSpecCmd),

	/// Export the chain specification of a `--chain` (replacement of `build-spec`).
	ExportChainSpec(sc_cli::ExportChainSpecCmd),

	/// Print the genesis block (hash, state root, SCALE header) of a chain spec as JSON.
	ExportGenesisState(ExportGenesisStateCmd),

	/// Validate blocks.
	CheckBlock(sc_cli::CheckBlockCmd),

	/// Export blocks.
	ExportBlocks(sc_cli::ExportBlocksCmd),

	/// Export the state of a given block into a chain spec.
	ExportState(sc_cli::ExportStateCmd),

	/// Import blocks.
	ImportBlocks(sc_cli::ImportBlocksCmd),

	/// Remove the whole chain.
	PurgeChain(sc_cli::PurgeChainCmd),

	/// Revert the chain to a previous state.
	Revert(sc_cli::RevertCmd),

	/// Runtime and node benchmarks: `benchmark pallet|storage|block|machine`.
	#[cfg(feature = "runtime-benchmarks")]
	#[command(subcommand)]
	Benchmark(frame_benchmarking_cli::BenchmarkCmd),

	/// Benchmarks (not in this build: rebuild with `--features runtime-benchmarks`).
	#[cfg(not(feature = "runtime-benchmarks"))]
	Benchmark {
		/// Ignored: this build has no benchmarking.
		#[arg(trailing_var_arg = true, allow_hyphen_values = true)]
		args: Vec<String>,
	},

	/// Database meta columns information.
	ChainInfo(sc_cli::ChainInfoCmd),
}

/// `gridbrain-node [SUBCOMMAND] [OPTIONS]`: without a subcommand, runs the node.
#[derive(Debug, clap::Parser)]
pub struct Cli {
	#[command(subcommand)]
	pub subcommand: Option<Subcommand>,

	#[clap(flatten)]
	pub run: sc_cli::RunCmd,
}

/// `export-genesis-state`: the genesis block of `--chain` (hash, state root, header).
#[derive(Debug, Clone, clap::Parser)]
pub struct ExportGenesisStateCmd {
	/// Write the JSON to this file instead of stdout.
	#[arg(long)]
	pub output: Option<std::path::PathBuf>,

	#[allow(missing_docs)]
	#[clap(flatten)]
	pub shared_params: sc_cli::SharedParams,
}

impl sc_cli::CliConfiguration for ExportGenesisStateCmd {
	fn shared_params(&self) -> &sc_cli::SharedParams {
		&self.shared_params
	}
}
