//! Every flag and subcommand, in one place. No logic: `lib.rs` turns these into a
//! [`Selection`](crate::values::Selection).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use clap_complete::ArgValueCompleter;

use crate::output::Format;

/// Render a validated Postfix SMTP relay stack for Kubernetes.
#[derive(Debug, Parser)]
#[command(
    name = "relaygen",
    version = env!("RELAYGEN_VERSION"),
    about,
    propagate_version = true,
    after_help = "\
Examples:
  relaygen init my-gitops-repo
  relaygen render --profile prod | kubectl apply -f -
  relaygen values --profile prod --show-origin
  relaygen completions bash > ~/.local/share/bash-completion/completions/relaygen
  relaygen man | man -l -"
)]
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
  relaygen render -f my-values.yaml -o json
  relaygen render --profile prod --out out/prod
  relaygen render --all-profiles --out out")]
    Render(RenderArgs),
    /// Print the effective values after layering, optionally with where each came from.
    #[command(after_help = "\
Examples:
  relaygen values --profile prod
  relaygen values --profile prod --set deployment.replicas=3 --show-origin")]
    Values(ValuesArgs),
    /// Check the values and the rendered stack without printing it (exit 0 valid, 1 invalid).
    #[command(after_help = "\
On success prints one `ok:` line on stdout, like `helm lint`; on failure prints nothing on
stdout, the problems on stderr, and exits 1. Warnings go to stderr; --strict fails on them.

Examples:
  relaygen validate --profile prod --strict
  relaygen validate -f my-values.yaml --kube-version 1.35")]
    Validate(ValidateArgs),
    /// Print the JSON Schema of a values file (the repository keeps it as values.schema.json).
    #[command(after_help = "\
Examples:
  relaygen schema > values.schema.json
  # in a values file, for completion in editors with yaml-language-server:
  # yaml-language-server: $schema=../values.schema.json
  relaygen schema -o markdown > docs/values.md   # every key as a table")]
    Schema(SchemaArgs),
    /// Show the type, default, description and allowed values of one key.
    #[command(after_help = "\
Examples:
  relaygen explain postfix.tls.securityLevel
  relaygen explain deployment            # lists the keys below it
  relaygen explain 'deployment.tolerations[].effect'")]
    Explain(ExplainArgs),
    /// Check that the committed output directory equals a fresh render of every profile.
    #[command(after_help = "\
Exit status: 0 when fresh (one `ok:` line), 1 when any profile's directory is stale (each one
and its files are listed), 2 on an error, such as no output directory at all (create it with
`relaygen render --all-profiles --out out`).

Examples:
  relaygen check
  relaygen check --out deploy/rendered")]
    Check(CheckArgs),
    /// Compare the selected render with other manifests, object by object.
    #[command(after_help = "\
Objects are matched by apiVersion, kind, namespace and name (an old object naming no namespace
matches the render's object in any); document order, key order and quoting do not matter.
A change Kubernetes will not make in place (a StatefulSet's claim templates, a selector, a
Service's cluster IP, ...) is an error on stderr naming the field, why, and what to do instead;
the whole diff is still printed on stdout.

Exit status, as diff(1): 0 no differences, 1 differences, 2 an error, or a change Kubernetes
will not make in place (so a gate that applies on 1 never applies one).

--removed prints, instead of the diff, only the objects the old side has and the render lacks,
as a YAML stream for `kubectl delete -f -` (apiVersion, kind, name and namespace of each); a
Namespace only with --include-namespace. Exit status: 0 nothing to delete (stdout empty), 1
objects printed, 2 an error.

Examples:
  relaygen diff --profile prod --against out/prod
  relaygen diff --profile staging --against-profile prod
  git show main:out/prod/deployment-postfix-relay.yaml | relaygen diff --profile prod --against -
  # deployed/prod: the manifests last applied (e.g. out/prod as of the deployed commit)
  relaygen diff --profile prod --against deployed/prod || [ $? -eq 1 ]   # a CI gate: fails on 2
  relaygen diff --profile prod --against deployed/prod --removed > gone.yaml
  kubectl delete -f gone.yaml                       # after review, if gone.yaml is not empty")]
    Diff(DiffArgs),
    /// Print every object of the release, for `kubectl delete --ignore-not-found -f -`.
    #[command(after_help = "\
Prints each object the release can have (every optional component, whatever its switch now;
the Deployment and the StatefulSet) as apiVersion, kind, name and namespace, in reverse apply
order. Never printed: the PersistentVolumeClaims of a persistent queue (they may hold queued
mail), objects relaygen did not render (the SASL Secret), and the Namespace unless
--include-namespace. What stays, and how to remove it, goes to stderr.

Examples:
  relaygen uninstall --profile prod | kubectl delete --ignore-not-found -f -
  relaygen uninstall --profile prod --set name=relay-b | kubectl delete --ignore-not-found -f -")]
    Uninstall(UninstallArgs),
    /// Start a GitOps repository: profiles/ (dev, staging, prod) and a README.
    #[command(after_help = "\
Examples:
  relaygen init my-gitops-repo
  relaygen init            # into the current directory

Refuses to overwrite: if any file it would write exists, it writes nothing.")]
    Init(InitArgs),
    /// Print a shell completion script.
    #[command(after_help = "\
Examples:
  relaygen completions bash > ~/.local/share/bash-completion/completions/relaygen
  relaygen completions zsh > \"${fpath[1]}/_relaygen\"
  relaygen completions fish > ~/.config/fish/completions/relaygen.fish
  relaygen completions powershell >> $PROFILE")]
    Completions(CompletionsArgs),
    /// Print the manual page (roff), or write one page per command into a directory.
    #[command(after_help = "\
Examples:
  relaygen man | man -l -
  relaygen man --out /usr/local/share/man/man1")]
    Man(ManArgs),
    /// Argo CD: the config-management plugin, its sidecar, Applications and fleets.
    #[command(
        subcommand,
        after_help = "\
Examples:
  relaygen argocd plugin                                  # the plugin.yaml baked into the image
  relaygen argocd sidecar --image registry.example.com/relaygen-cmp:0.1.0
  relaygen argocd application --profile prod --repo URL --path deploy/relay
  relaygen argocd appset --repo URL --path deploy/relay"
    )]
    Argocd(ArgocdCommand),
}

/// Subcommands of `argocd`.
#[derive(Debug, Subcommand)]
pub enum ArgocdCommand {
    /// Print the plugin's plugin.yaml (for /home/argocd/cmp-server/config/plugin.yaml).
    #[command(after_help = "\
Examples:
  relaygen argocd plugin > plugin.yaml    # scripts/build-image.sh bakes it into the image")]
    Plugin,
    /// Print the argocd-repo-server patch (Kustomize strategic merge) adding the plugin sidecar.
    #[command(after_help = "\
Examples:
  relaygen argocd sidecar --image registry.example.com/relaygen-cmp:0.1.0 > relaygen-sidecar.yaml
  # kustomization.yaml of your Argo CD installation:
  #   patches:
  #   - path: relaygen-sidecar.yaml")]
    Sidecar(SidecarArgs),
    /// The plugin's generate command: render from Argo CD's environment (run by Argo CD).
    #[command(after_help = "\
Run by argocd-cmp-server in the application's directory. Reads ARGOCD_ENV_{PROFILE,VALUES,SET,
NAMESPACE}, the parameters (ARGOCD_APP_PARAMETERS, else PARAM_*), ARGOCD_APP_NAMESPACE,
KUBE_VERSION and KUBE_API_VERSIONS. Prints only manifests on stdout; never an empty stream.

Examples:
  ARGOCD_APP_NAMESPACE=mail ARGOCD_ENV_PROFILE=prod KUBE_VERSION=v1.34.2 relaygen argocd generate")]
    Generate,
    /// The plugin's dynamic parameters command: the profiles found, as JSON (run by Argo CD).
    #[command(after_help = "\
Examples:
  relaygen argocd parameters    # in the application's directory")]
    Parameters,
    /// Print an Application deploying one profile through the plugin.
    #[command(after_help = "\
Examples:
  relaygen argocd application --profile prod \\
    --repo https://git.example.com/mail.git --path deploy/relay")]
    Application(ApplicationArgs),
    /// Print an ApplicationSet deploying a fleet: one Application per profile (and cluster).
    #[command(after_help = "\
Examples:
  relaygen argocd appset --repo https://git.example.com/mail.git --path deploy/relay
  relaygen argocd appset --repo URL --path deploy/relay \\
    --profiles eu-west=https://eu-west.example.com:6443,us-east=https://us-east.example.com:6443")]
    Appset(AppSetArgs),
}

/// Flags of `argocd sidecar`.
#[derive(Debug, Args)]
pub struct SidecarArgs {
    /// The plugin image (built from the repository's Containerfile).
    #[arg(long, value_name = "IMAGE")]
    pub image: String,
}

/// Where the relay's source lives and where Argo CD keeps its Applications.
#[derive(Debug, Args)]
pub struct SourceArgs {
    /// Git repository URL.
    #[arg(long, value_name = "URL")]
    pub repo: String,
    /// Directory in the repository that holds profiles/.
    #[arg(long, value_name = "PATH")]
    pub path: String,
    /// Branch, tag or commit to deploy.
    #[arg(long, value_name = "REVISION", default_value = "HEAD")]
    pub revision: String,
    /// Argo CD project.
    #[arg(long, value_name = "PROJECT", default_value = "default")]
    pub project: String,
    /// Namespace Argo CD watches for Applications.
    #[arg(long, value_name = "NAMESPACE", default_value = "argocd")]
    pub argocd_namespace: String,
    /// Local copy of the profiles, to check them and read their namespaces [default: PATH/profiles].
    #[arg(long, value_name = "DIR")]
    pub profiles_dir: Option<PathBuf>,
}

/// Flags of `argocd application`.
#[derive(Debug, Args)]
pub struct ApplicationArgs {
    /// Profile to deploy.
    #[arg(short, long, value_name = "NAME")]
    pub profile: String,
    /// Repository, path and Argo CD placement.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Application name [default: postfix-relay-PROFILE].
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Destination namespace [default: the profile's `namespace` value].
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// API server URL of the destination cluster.
    #[arg(long, value_name = "URL", default_value = crate::argocd::apps::IN_CLUSTER)]
    pub server: String,
}

/// Flags of `argocd appset`.
#[derive(Debug, Args)]
pub struct AppSetArgs {
    /// Repository, path and Argo CD placement.
    #[command(flatten)]
    pub source: SourceArgs,
    /// Fleet members, PROFILE or PROFILE=SERVER (comma list or repeated) [default: every profile, in-cluster].
    #[arg(long, value_name = "PROFILE[=SERVER]", value_delimiter = ',')]
    pub profiles: Vec<crate::argocd::apps::Member>,
    /// ApplicationSet name.
    #[arg(long, value_name = "NAME", default_value = "postfix-relay")]
    pub name: String,
}

/// Flags of `validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Which values to use.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// What to check against.
    #[command(flatten)]
    pub checks: ValidationArgs,
}

/// Flags of `schema`.
#[derive(Debug, Args)]
pub struct SchemaArgs {
    /// Output format: the JSON Schema, or the values reference as Markdown tables.
    #[arg(short, long, value_enum, default_value_t = SchemaFormat::Json)]
    pub output: SchemaFormat,
}

/// Output formats of `schema`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SchemaFormat {
    /// JSON Schema (draft 2020-12), for editors and validators.
    Json,
    /// Every key with its type, default, allowed values and description (docs/values.md).
    Markdown,
}

/// Flags of `explain`.
#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Dotted key path, e.g. `postfix.tls.securityLevel`; `list[]` steps into list elements.
    #[arg(value_name = "KEY")]
    pub key: String,
}

/// How strictly and for which Kubernetes version a rendering is validated (`render`,
/// `validate`, `diff`).
#[derive(Debug, Args)]
pub struct ValidationArgs {
    /// Treat warnings (e.g. an unpinned image tag such as `latest`) as errors.
    #[arg(long)]
    pub strict: bool,
    /// Kubernetes version to render for (MAJOR.MINOR, 1.33 through 1.37).
    #[arg(long, value_name = "X.Y", default_value_t = crate::kube::KubeVersion::default())]
    pub kube_version: crate::kube::KubeVersion,
}

/// Flags of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The output directory to check (as written by `render --all-profiles --out DIR`).
    #[arg(long, value_name = "DIR", visible_alias = "output-dir", default_value = "out")]
    pub out: PathBuf,
    /// Directory holding the profiles [default: the nearest profiles/ in the current directory
    /// or a parent, up to the repository root].
    #[arg(long, value_name = "DIR", env = crate::values::profiles_dir::PROFILES_DIR_VAR)]
    pub profiles_dir: Option<PathBuf>,
}

/// Flags of `diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Which values to render (the new side of the diff).
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// What to check against.
    #[command(flatten)]
    pub checks: ValidationArgs,
    /// Add the Namespace object to the render.
    #[arg(long)]
    pub create_namespace: bool,
    /// The old side: a YAML or JSON file, a directory of them (e.g. out/prod), or `-` for stdin.
    #[arg(long, value_name = "PATH", required_unless_present = "against_profile")]
    pub against: Option<PathBuf>,
    /// The old side: the render of another profile, with the same -f, --set and -n layers.
    #[arg(
        long,
        value_name = "NAME",
        conflicts_with = "against",
        add = ArgValueCompleter::new(crate::values::profiles_dir::profile_names)
    )]
    pub against_profile: Option<String>,
    /// Print only the objects the old side has and the render lacks, as a YAML stream for
    /// `kubectl delete -f -`.
    #[arg(long)]
    pub removed: bool,
    /// With --removed: print a dropped Namespace too (deleting it deletes everything in it).
    #[arg(long, requires = "removed")]
    pub include_namespace: bool,
}

/// Flags of `uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Which release: the values that name it and its namespace.
    #[command(flatten)]
    pub selection: SelectionArgs,
    /// Also delete the Namespace, and with it everything in it (such as the SASL Secret).
    #[arg(long)]
    pub include_namespace: bool,
    /// Kubernetes version the objects were rendered for (MAJOR.MINOR, 1.33 through 1.37).
    #[arg(long, value_name = "X.Y", default_value_t = crate::kube::KubeVersion::default())]
    pub kube_version: crate::kube::KubeVersion,
}

/// Flags of `init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the new repository; created if missing.
    #[arg(value_name = "DIR", default_value = ".")]
    pub dir: PathBuf,
}

/// Flags of `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Flags of `man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write relaygen.1 and one page per command (relaygen-render.1, relaygen-argocd-generate.1)
    /// into this directory instead of printing relaygen(1).
    #[arg(long, value_name = "DIR", visible_aliases = ["dir", "output-dir"])]
    pub out: Option<PathBuf>,
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
    /// What to check against.
    #[command(flatten)]
    pub checks: ValidationArgs,
    /// Add the Namespace object, first in the stream.
    #[arg(long)]
    pub create_namespace: bool,
    /// Output format.
    #[arg(short, long, value_enum, default_value_t = Format::Yaml)]
    pub output: Format,
    /// Write one YAML file per object and a kustomization.yaml into DIR instead of stdout.
    /// DIR is replaced whole and atomically; it must be new, empty or written by relaygen.
    #[arg(long, value_name = "DIR", visible_alias = "output-dir", conflicts_with = "output")]
    pub out: Option<PathBuf>,
    /// Render every profile in the profiles directory into DIR/<profile>/ (with --out).
    #[arg(long, requires = "out", conflicts_with = "profile")]
    pub all_profiles: bool,
}

/// Flags that select the values: shared by every subcommand that reads values.
#[derive(Debug, Args)]
pub struct SelectionArgs {
    /// Profile to layer over the built-in defaults: NAME (profiles/NAME.yaml) or a file's path.
    #[arg(short, long, value_name = "NAME", add = ArgValueCompleter::new(crate::values::profiles_dir::profile_names))]
    pub profile: Option<String>,
    /// Directory holding the profiles [default: the nearest profiles/ in the current directory
    /// or a parent, up to the repository root].
    #[arg(long, value_name = "DIR", env = crate::values::profiles_dir::PROFILES_DIR_VAR)]
    pub profiles_dir: Option<PathBuf>,
    /// Values file layered over the profile; repeatable, later files win. `-` reads stdin.
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,
    /// Set a value, typed by the values schema (KEY=VAL, a.b=c, list[0].x=y); repeatable. A comma
    /// separates assignments: write a={x,y} for a list, a=x\,y for a comma in a value.
    #[arg(long, value_name = "KEY=VAL")]
    pub set: Vec<String>,
    /// Set a value that must be a string; repeatable.
    #[arg(long, value_name = "KEY=VAL")]
    pub set_string: Vec<String>,
    /// Namespace of every namespaced object (overrides the `namespace` value).
    #[arg(short, long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,
    /// Show every warning in full: where the value comes from and what to do (a warning about
    /// a built-in default otherwise takes one line).
    #[arg(short, long)]
    pub verbose: bool,
}
