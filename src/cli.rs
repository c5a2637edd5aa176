//! Every flag and subcommand, in one place. No logic: `lib.rs` turns these into a
//! [`Selection`](crate::values::Selection).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// Render a validated Postfix SMTP relay stack for Kubernetes.
#[derive(Debug, Parser)]
#[command(name = "relaygen", version, about, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Render the stack's manifests to stdout.
    #[command(after_help = "\
Examples:
  relaygen render | kubectl apply -f -
  relaygen render --profile prod -n email-server-prod --create-namespace
  relaygen render --set env.relayhost='[smtp-relay.gmail.com]:587' --set deployment.replicas=3
  relaygen render -f my-values.yaml -o json")]
    Render(RenderArgs),
    /// Print the effective values after layering, optionally with where each came from.
    #[command(after_help = "\
Examples:
  relaygen values --profile prod
  relaygen values --profile prod --set deployment.replicas=3 --show-origin")]
    Values(ValuesArgs),
}

/// Flags of `values`.
#[derive(Debug, Args)]
pub struct ValuesArgs {
    /// Which values to use.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// List every value with the layer, file and line (or `--set`) that set it.
    #[arg(long)]
    pub show_origin: bool,
}

/// Flags of `render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Which values to use.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Add the Namespace object, first in the stream.
    #[arg(long)]
    pub create_namespace: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
}

/// Flags that select the values: shared by every subcommand that reads values.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Profile to layer over the built-in defaults (profiles/NAME.yaml).
    #[arg(short, long, value_name = "NAME")]
    pub profile: Option<String>,
    /// Directory holding the profiles.
    #[arg(long, value_name = "DIR", default_value = "profiles")]
    pub profiles_dir: PathBuf,
    /// Values file layered over the profile; repeatable, later files win. `-` reads stdin.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set a value, typed by the values schema (KEY=VAL, a.b=c, list[0].x=y, a={x,y}); repeatable.
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set a value that must be a string; repeatable.
    #[arg(long, value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Namespace of every namespaced object (overrides the `namespace` value).
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
}
