//! Helpers shared by the test modules.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root: tests run there so `profiles/` resolves as for a user.
pub(crate) fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Where `scripts/install-judges.sh` keeps the judges it builds, outside the clone:
/// `$XDG_CACHE_HOME/relaygen`, or `~/.cache/relaygen`.
pub(crate) fn judge_cache() -> PathBuf {
    std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| Path::new(&home).join(".cache")))
        .expect("HOME is set")
        .join("relaygen")
}

/// The result of one relaygen run.
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub(crate) fn ok(self) -> String {
        assert_eq!(self.code, 0, "relaygen failed:\n{}", self.stderr);
        self.stdout
    }

    /// Asserts a failure with nothing on stdout and returns stderr.
    #[track_caller]
    pub(crate) fn fails(self) -> String {
        assert_ne!(self.code, 0, "relaygen should have failed; stdout:\n{}", self.stdout);
        assert!(self.stdout.is_empty(), "a failed run must print nothing on stdout, got:\n{}", self.stdout);
        self.stderr
    }
}

/// Runs relaygen with `args` in the repository root.
pub(crate) fn relaygen(args: &[&str]) -> Run {
    relaygen_in(repo(), args)
}

/// Runs relaygen with `args` in `dir`.
pub(crate) fn relaygen_in(dir: &Path, args: &[&str]) -> Run {
    relaygen_in_env(dir, &[], args)
}

/// Runs relaygen with `args` in `dir`, with the environment variables `env` set.
pub(crate) fn relaygen_in_env(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Run {
    let Output { status, stdout, stderr } = Command::new(env!("CARGO_BIN_EXE_relaygen"))
        .args(args)
        .current_dir(dir)
        .env_remove("NO_COLOR")
        .env_remove("RELAYGEN_PROFILES_DIR")
        .envs(env.iter().copied())
        .output()
        .expect("relaygen runs");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Runs relaygen with `args` in the repository root, feeding `input` on stdin.
pub(crate) fn relaygen_with_stdin(args: &[&str], input: &str) -> Run {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_relaygen"))
        .args(args)
        .current_dir(repo())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("relaygen starts");
    // relaygen may refuse the command line and exit before it reads stdin: a closed pipe is
    // then the expected end of the input, not a failure of the test.
    match child.stdin.take().expect("stdin").write_all(input.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => panic!("write stdin: {e}"),
        _ => {}
    }
    let Output { status, stdout, stderr } = child.wait_with_output().expect("relaygen ends");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// The shipped profiles, by name.
pub(crate) fn profiles() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo().join("profiles"))
        .expect("profiles/ exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok()?.strip_suffix(".yaml").map(str::to_owned))
        .collect();
    names.sort();
    assert!(!names.is_empty(), "no profiles found");
    names
}

/// The commands of the replaced Helm chart's documentation, as relaygen arguments.
pub(crate) const SEED_COMMANDS: &[(&str, &[&str])] = &[
    (
        "seed_maildomain_relayhost",
        &["render", "--set", "env.maildomain=example.org", "--set", "env.relayhost=[smtp-relay.gmail.com]:587"],
    ),
    ("seed_replicas", &["render", "--set", "deployment.replicas=3"]),
    ("seed_limits", &["render", "--set", "resources.limits.cpu=400m", "--set", "resources.limits.memory=512Mi"]),
    (
        "seed_autoscaling",
        &[
            "render",
            "--set",
            "autoscaling.enabled=true",
            "--set",
            "autoscaling.minReplicas=2",
            "--set",
            "autoscaling.maxReplicas=10",
        ],
    ),
    ("seed_image_tag", &["render", "--set", "image.tag=v5.0.1"]),
    ("seed_namespace", &["render", "-n", "email-server-prod", "--create-namespace"]),
];

/// The arguments of one seed command, by name.
pub(crate) fn seed_command(name: &str) -> &'static [&'static str] {
    SEED_COMMANDS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, args)| *args)
        .unwrap_or_else(|| panic!("no seed command {name}"))
}

/// Finds an installed judge: the project's `.judges/` first, then `PATH`.
///
/// A missing judge fails the test: `scripts/test.sh` installs them all. Only a developer who
/// says so (`RELAYGEN_ALLOW_MISSING_JUDGES=1`, never honoured under `CI`) may skip one.
pub(crate) fn judge(relative: &str, name: &str) -> Option<PathBuf> {
    let local = repo().join(".judges").join(relative);
    if local.is_file() {
        return Some(local);
    }
    if let Some(found) = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
    {
        return Some(found);
    }
    unavailable(&format!("judge `{name}` is not installed: run scripts/install-judges.sh (or scripts/test.sh)"));
    None
}

/// A judge that cannot run here fails the test, unless a developer opted out
/// (`RELAYGEN_ALLOW_MISSING_JUDGES=1`, never honoured under `CI`); then it is skipped, loudly.
#[allow(clippy::print_stderr)] // A skip must be visible in the test log.
pub(crate) fn unavailable(reason: &str) {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    let allowed = std::env::var("RELAYGEN_ALLOW_MISSING_JUDGES").is_ok_and(|v| v == "1");
    if allowed && !ci {
        eprintln!("SKIPPED: {reason} (RELAYGEN_ALLOW_MISSING_JUDGES=1)");
        return;
    }
    panic!("{reason}");
}

/// A measured figure for the test log (`cargo test -- --nocapture` shows it): how long an event
/// took on a real node, what the enforcer let through.
#[allow(clippy::print_stderr)] // The figures are the point of the line.
pub(crate) fn report(line: &str) {
    eprintln!("{line}");
}
