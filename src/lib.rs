//! relaygen renders a typed, validated Postfix SMTP relay stack for Kubernetes.
//!
//! The pipeline runs one way: command line → [`values::Selection`] → layered values
//! ([`values::load`]) → validation → typed objects ([`render::stack`]) → [`output`].
//! Errors are values ([`error::Error`]) and are printed once, here, at the edge.

mod argocd;
mod check;
pub mod cli;
pub mod completions;
mod crd;
pub mod diff;
pub mod error;
mod explain;
mod init;
mod kube;
mod man;
pub mod output;
mod parallel;
mod postfix;
mod profiles;
pub mod render;
pub mod schema;
mod style;
mod suggest;
mod uninstall;
pub mod values;
mod values_doc;

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use clap::{ArgMatches, CommandFactory, FromArgMatches};

use crate::cli::{Cli, Command, SelectionArgs};
use crate::error::Error;
use crate::values::{Selection, SetArg};

/// Runs relaygen with the given arguments (including the program name) and returns the exit
/// code: 0 on success, 1 on invalid input, 2 on a usage error. `check` and `diff` answer a
/// question, as diff(1): 0 no differences, 1 differences, 2 an error (for `diff`, also a change
/// Kubernetes will not make in place).
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let matches = match Cli::command().try_get_matches_from(args) {
        Ok(m) => m,
        Err(e) => {
            // clap prints help and version to stdout (exit 0) and usage errors to stderr.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    let result = Cli::from_arg_matches(&matches).map_err(|e| Error::Internal(e.to_string())).and_then(|cli| {
        let sub = matches.subcommand().map(|(_, m)| m);
        execute(cli, sub)
    });
    let error_code = if matches!(matches.subcommand_name(), Some("check" | "diff")) { 2 } else { 1 };
    match result {
        Ok(Outcome::Done) => ExitCode::SUCCESS,
        Ok(Outcome::Differences) => ExitCode::from(1),
        Ok(Outcome::NotInPlace) => ExitCode::from(2),
        Err(Error::Write(e)) if e.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            // `--verbose` of the commands that read values: warnings in full.
            let verbose = matches
                .subcommand()
                .and_then(|(_, m)| m.try_get_one::<bool>("verbose").ok().flatten().copied())
                .unwrap_or(false);
            style::write_stderr(&e.render_verbose(verbose));
            ExitCode::from(error_code)
        }
    }
}

/// How a command that ran to the end came out.
enum Outcome {
    /// Success; for `check` and `diff`: nothing differs.
    Done,
    /// `check` or `diff` found differences (exit status 1).
    Differences,
    /// `diff` found changes Kubernetes will not make in place, named on stderr (exit status 2,
    /// as an error: a gate that applies on 1 must not apply them).
    NotInPlace,
}

fn execute(cli: Cli, matches: Option<&ArgMatches>) -> Result<Outcome, Error> {
    match cli.command {
        Command::Render(args) => render_command(&args, matches),
        Command::Check(args) => {
            let base = Selection {
                profiles_dir: values::ProfilesDir::from_current_dir(args.profiles_dir.clone()),
                ..Selection::default()
            };
            let outputs = profiles::render_profiles(&base, &render::Target::default(), false)?;
            if !args.out.exists() {
                return Err(Error::Usage(check::no_output_message(&args.out)));
            }
            let stale = check::check(&args.out, &outputs)?;
            if stale.is_empty() {
                return write_stdout(&check::fresh_summary(&args.out, &outputs)).map(|()| Outcome::Done);
            }
            write_stdout(&check::report(&stale, &args.out, base.profiles_dir.path()?)).map(|()| Outcome::Differences)
        }
        Command::Diff(args) => {
            let selection = selection(&args.selection, matches);
            let target =
                render::Target { create_namespace: args.create_namespace, kube_version: args.checks.kube_version };
            let verbose = args.selection.verbose;
            // Two rendered sides each warn: each names its profile.
            let named = args.against_profile.as_ref().and(selection.profile.as_deref());
            let new = diff_side(&selection, &args.checks, &target, named, verbose)?;
            let old = match (&args.against, &args.against_profile) {
                (_, Some(profile)) => diff_side(
                    &Selection { profile: Some(profile.clone()), ..selection.clone() },
                    &args.checks,
                    &target,
                    Some(profile),
                    verbose,
                )?,
                (Some(path), None) => {
                    if path == Path::new("-") && selection.files.iter().any(|f| f == Path::new("-")) {
                        return Err(Error::Usage("`-f -` and `--against -` cannot both read stdin".into()));
                    }
                    diff::Manifests::load(path)?
                }
                (None, None) => return Err(Error::Usage("--against or --against-profile is required".into())),
            };
            if args.removed {
                let gone = diff::removed::removed(&old, &new, args.include_namespace);
                write_stdout(&gone.to_yaml()?)?;
                style::write_stderr(&gone.notes());
                return Ok(if gone.objects.is_empty() { Outcome::Done } else { Outcome::Differences });
            }
            let report = diff::compare(&old, &new)?;
            let refused = diff::immutable::immutable_changes(&old, &new);
            let written = style::write_stdout(&report.render());
            // Named even when stdout is gone (`| head`): the exit status must not say 1 or 0.
            if !refused.is_empty() {
                style::write_stderr(&diff::immutable::render_all(&refused));
                return Ok(Outcome::NotInPlace);
            }
            written.map_err(Error::Write)?;
            Ok(if report.is_empty() { Outcome::Done } else { Outcome::Differences })
        }
        Command::Uninstall(args) => {
            let selection = selection(&args.selection, matches);
            let resolved = values::load(&selection)?;
            let references = uninstall::references(&resolved, args.kube_version, args.include_namespace)?;
            write_stdout(&output::yaml::to_documents(&references)?)?;
            style::write_stderr(&uninstall::what_stays(&resolved, args.include_namespace));
            Ok(Outcome::Done)
        }
        Command::Validate(args) => validate_command(&args, matches),
        Command::Argocd(command) => argocd_command(command).map(|()| Outcome::Done),
        Command::Schema(args) => {
            let text = match args.output {
                cli::SchemaFormat::Json => schema::values_schema_text()?,
                cli::SchemaFormat::Markdown => values_doc::values_markdown()?,
            };
            write_stdout(&text).map(|()| Outcome::Done)
        }
        Command::Explain(args) => write_stdout(&explain::explain(&args.key)?).map(|()| Outcome::Done),
        Command::Values(args) => values_command(&args, matches),
        Command::Init(args) => {
            let written = init::init(&args.dir)?;
            write_stdout(&written.iter().map(|p| format!("created {}\n", p.display())).collect::<String>())
                .map(|()| Outcome::Done)
        }
        Command::Completions(args) => write_stdout(&completions::script(args.shell)).map(|()| Outcome::Done),
        Command::Man(args) => match args.out {
            Some(dir) => {
                let written = man::write_pages(&dir)?;
                write_stdout(&written.iter().map(|p| format!("wrote {}\n", p.display())).collect::<String>())
                    .map(|()| Outcome::Done)
            }
            None => write_stdout(&man::main_page()?).map(|()| Outcome::Done),
        },
    }
}

/// `render`: to stdout, or into output directories with `--out`.
fn render_command(args: &cli::RenderArgs, matches: Option<&ArgMatches>) -> Result<Outcome, Error> {
    let selection = selection(&args.selection, matches);
    let verbose = args.selection.verbose;
    let target = render::Target { create_namespace: args.create_namespace, kube_version: args.checks.kube_version };
    if let Some(out) = &args.out {
        return render_to_dir(&selection, &args.checks, &target, out, args.all_profiles, verbose)
            .map(|()| Outcome::Done);
    }
    let resolved = checked_load(&selection, &args.checks, None, verbose)?;
    let bundle = checked_stack(&resolved, &target, &args.checks, None, verbose)?;
    write_stdout(&output::serialize(&bundle, args.output)?).map(|()| Outcome::Done)
}

/// `validate`: load and render everything, print only a summary.
fn validate_command(args: &cli::ValidateArgs, matches: Option<&ArgMatches>) -> Result<Outcome, Error> {
    let selection = selection(&args.selection, matches);
    let resolved = checked_load(&selection, &args.checks, None, args.selection.verbose)?;
    // Rendering runs the cross-object guard and the Postfix templates: validation
    // covers everything `render` would do except printing.
    let target = render::Target { kube_version: args.checks.kube_version, ..render::Target::default() };
    let bundle = checked_stack(&resolved, &target, &args.checks, None, args.selection.verbose)?;
    let what = selection.profile.as_deref().map_or_else(String::new, |p| format!(", profile {p}"));
    let warnings = resolved.warnings.len() + bundle.warnings.len();
    write_stdout(&format!(
        "ok: values valid, {} objects for Kubernetes {}{what}, {warnings} warning(s)\n",
        bundle.objects.len(),
        args.checks.kube_version,
    ))
    .map(|()| Outcome::Done)
}

/// `values`: the effective values, or with `--show-origin` where each came from.
fn values_command(args: &cli::ValuesArgs, matches: Option<&ArgMatches>) -> Result<Outcome, Error> {
    let selection = selection(&args.selection, matches);
    let resolved = values::load(&selection)?;
    warn(&resolved.warnings, None, args.selection.verbose);
    let text = if args.show_origin {
        values::origins::listing(&resolved.tree)
    } else {
        output::yaml::to_document(&resolved.values)?
    };
    write_stdout(&text).map(|()| Outcome::Done)
}

fn argocd_command(command: cli::ArgocdCommand) -> Result<(), Error> {
    use cli::ArgocdCommand as C;
    let source = |args: &cli::SourceArgs| argocd::apps::SourceRef {
        repo: args.repo.clone(),
        path: args.path.clone(),
        revision: args.revision.clone(),
        project: args.project.clone(),
        argocd_namespace: args.argocd_namespace.clone(),
        profiles_dir: args
            .profiles_dir
            .clone()
            .unwrap_or_else(|| std::path::Path::new(&args.path).join(argocd::PROFILES_DIR)),
    };
    match command {
        C::Plugin => write_stdout(&output::yaml::to_document(&argocd::plugin::plugin())?),
        C::Sidecar(args) => write_stdout(&output::yaml::to_document(&argocd::sidecar::patch(&args.image)?)?),
        C::Generate => {
            // The only place the Argo CD environment is read; everything below gets a map.
            let vars = argocd::env::contract_variables(std::env::vars_os())?;
            let generated = argocd::generate(&vars)?;
            // Argo CD shows the plugin's stderr only when it fails: in full, or not at all.
            warn(&generated.warnings, None, true);
            write_stdout(&generated.manifests)
        }
        C::Parameters => write_stdout(&argocd::parameters(std::path::Path::new("."))?),
        C::Application(args) => {
            let app = argocd::apps::application(
                &source(&args.source),
                &args.profile,
                args.name.as_deref(),
                args.namespace.as_deref(),
                &args.server,
            )?;
            write_stdout(&output::yaml::to_document(&app)?)
        }
        C::Appset(args) => {
            let set = argocd::apps::application_set(&source(&args.source), &args.name, &args.profiles)?;
            write_stdout(&output::yaml::to_document(&set)?)
        }
    }
}

/// Loads the values and prints their warnings; with `--strict` the warnings fail the run.
/// `profile` names the profile in the warnings, where several renderings print theirs.
fn checked_load(
    selection: &Selection,
    checks: &cli::ValidationArgs,
    profile: Option<&str>,
    verbose: bool,
) -> Result<values::Resolved, Error> {
    let resolved = values::load(selection)?;
    if checks.strict && !resolved.warnings.is_empty() {
        return Err(Error::Values(values::validate::strict(resolved.warnings)));
    }
    warn(&resolved.warnings, profile, verbose);
    Ok(resolved)
}

/// Builds the typed objects and prints the warnings about them; with `--strict` they fail the
/// run, as the values' warnings do.
fn checked_stack(
    resolved: &values::Resolved,
    target: &render::Target,
    checks: &cli::ValidationArgs,
    profile: Option<&str>,
    verbose: bool,
) -> Result<render::Bundle, Error> {
    let bundle = render::stack(resolved, target)?;
    if checks.strict && !bundle.warnings.is_empty() {
        return Err(Error::Values(values::validate::strict(bundle.warnings)));
    }
    warn(&bundle.warnings, profile, verbose);
    Ok(bundle)
}

/// `render --out DIR [--all-profiles]`: everything is rendered and validated first, then the
/// directories are replaced; a failure leaves every existing directory as it was.
fn render_to_dir(
    selection: &Selection,
    checks: &cli::ValidationArgs,
    target: &render::Target,
    out: &Path,
    all_profiles: bool,
    verbose: bool,
) -> Result<(), Error> {
    if all_profiles {
        if selection.files.iter().any(|f| f == Path::new("-")) {
            return Err(Error::Usage("`-f -` (stdin) cannot be layered over every profile".into()));
        }
        let outputs = profiles::render_profiles(selection, target, checks.strict)?;
        for output in &outputs {
            warn(&output.warnings, Some(&output.profile), verbose);
        }
        let removed = profiles::write_profiles(out, outputs)?;
        report_removed(&removed);
        return Ok(());
    }
    let resolved = checked_load(selection, checks, None, verbose)?;
    let bundle = checked_stack(&resolved, target, checks, None, verbose)?;
    let removed = output::dir::replace(&[(out.to_owned(), output::dir::files(&bundle)?)])?;
    report_removed(&removed);
    Ok(())
}

/// Names on stderr what replacing output directories removed: a file a user put there, or one
/// of an object no longer rendered, never goes silently.
fn report_removed(removed: &[std::path::PathBuf]) {
    let text: String =
        removed.iter().map(|path| format!("removed {}: not part of the rendered output\n", path.display())).collect();
    style::write_stderr(&text);
}

/// The render side of a diff, described by its profile.
fn diff_side(
    selection: &Selection,
    checks: &cli::ValidationArgs,
    target: &render::Target,
    named: Option<&str>,
    verbose: bool,
) -> Result<diff::Manifests, Error> {
    let resolved = checked_load(selection, checks, named, verbose)?;
    let bundle = checked_stack(&resolved, target, checks, named, verbose)?;
    let mut source = match &selection.profile {
        Some(profile) => format!("profile {profile}"),
        None => "built-in defaults".to_owned(),
    };
    if !selection.files.is_empty() || !selection.sets.is_empty() || selection.namespace.is_some() {
        source.push_str(" with -f/--set/-n");
    }
    diff::Manifests::from_bundle(&bundle, &source)
}

/// Prints warnings on stderr, naming the profile they belong to when there are several.
fn warn(warnings: &[error::Diagnostic], profile: Option<&str>, verbose: bool) {
    style::write_stderr(&warnings.iter().map(|w| w.render_warning(profile, verbose)).collect::<String>());
}

/// Writes all output in one go, only after everything succeeded: a failed run prints nothing.
fn write_stdout(text: &str) -> Result<(), Error> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()).map_err(Error::Write)
}

/// Builds the [`Selection`], keeping `--set` and `--set-string` in command-line order.
fn selection(args: &SelectionArgs, matches: Option<&ArgMatches>) -> Selection {
    let indexed = |id: &str, values: &[String], string: bool| -> Vec<(usize, SetArg)> {
        let indices: Vec<usize> = matches.and_then(|m| m.indices_of(id)).map(Iterator::collect).unwrap_or_default();
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (indices.get(i).copied().unwrap_or(usize::MAX), SetArg { expression: v.clone(), string }))
            .collect()
    };
    let mut sets = indexed("set", &args.set, false);
    sets.extend(indexed("set_string", &args.set_string, true));
    sets.sort_by_key(|(index, _)| *index);
    Selection {
        profile: args.profile.clone(),
        profiles_dir: values::ProfilesDir::from_current_dir(args.profiles_dir.clone()),
        files: args.values.clone(),
        sets: sets.into_iter().map(|(_, s)| s).collect(),
        namespace: args.namespace.clone(),
    }
}
