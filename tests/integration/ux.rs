//! The polish around rendering: shell completions, the man page, `--version`, `--help` and
//! `init`, specified through what a user sees. Completion scripts and the man page are checked
//! by the shells and groff themselves.

use std::path::Path;
use std::process::Command;

use clap::CommandFactory;
use relaygen::cli::Cli;

use crate::support::{judge, relaygen, relaygen_in};

/// Every subcommand's name, from the command definition itself.
fn subcommands() -> Vec<String> {
    Cli::command().get_subcommands().map(|c| c.get_name().to_owned()).collect()
}

/// Runs an outside tool; returns (success, stdout + stderr).
fn run(tool: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(tool).args(args).output().expect("tool runs");
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

/// What relaygen answers when a shell asks it to complete the last of `words` (bash's protocol).
fn complete_in(dir: &Path, words: &[&str]) -> Vec<String> {
    let out = Command::new(env!("CARGO_BIN_EXE_relaygen"))
        .arg("--")
        .args(words)
        .current_dir(dir)
        .env("RELAYGEN_COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env_remove("RELAYGEN_PROFILES_DIR")
        .output()
        .expect("relaygen runs");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8").lines().map(str::to_owned).collect()
}

#[test]
fn completions_are_generated_for_every_shell_and_know_every_subcommand() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = relaygen(&["completions", shell]).ok();
        // Each script registers relaygen and asks relaygen itself for the candidates.
        assert!(script.contains("relaygen") && script.contains("RELAYGEN_COMPLETE"), "{shell}:\n{script}");
    }
    let subcommands_offered = complete_in(crate::support::repo(), &["relaygen", ""]);
    for sub in subcommands() {
        assert!(subcommands_offered.contains(&sub), "`{sub}` is not offered: {subcommands_offered:?}");
    }
    let flags = complete_in(crate::support::repo(), &["relaygen", "render", "--"]);
    assert!(flags.iter().any(|f| f == "--profile"), "{flags:?}");
}

#[test]
fn profile_completes_the_names_of_the_profiles_found_not_file_names() {
    let root = crate::support::repo();
    assert_eq!(complete_in(root, &["relaygen", "render", "--profile", ""]), ["dev", "prod", "staging"]);
    assert_eq!(complete_in(root, &["relaygen", "diff", "--against-profile", "st"]), ["staging"]);
    assert_eq!(complete_in(root, &["relaygen", "render", "-p", "profiles/pr"]), ["profiles/prod.yaml"]);
    // From a subdirectory of a repository, as --profile itself finds them.
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(tmp.path().join(".git")).expect("mkdir");
    std::fs::create_dir_all(tmp.path().join("profiles")).expect("mkdir");
    std::fs::create_dir_all(tmp.path().join("deploy")).expect("mkdir");
    std::fs::write(tmp.path().join("profiles/eu-west.yaml"), "").expect("write");
    assert_eq!(complete_in(&tmp.path().join("deploy"), &["relaygen", "values", "--profile", ""]), ["eu-west"]);

    // Through bash itself: the script from `relaygen completions bash`, the completion function
    // it registers, and relaygen found on PATH.
    let Some(bash) = judge("bash", "bash") else { return };
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_relaygen")).parent().expect("bin dir");
    let script = tmp.path().join("relaygen.bash");
    std::fs::write(&script, relaygen(&["completions", "bash"]).ok()).expect("write");
    let out = Command::new(bash)
        .arg("-c")
        .arg(
            r#"source "$1"; COMP_WORDS=(relaygen render --profile p); COMP_CWORD=3
               _clap_complete_relaygen relaygen p --profile; printf '%s\n' "${COMPREPLY[@]}""#,
        )
        .arg("bash")
        .arg(&script)
        .current_dir(root)
        .env("PATH", format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default()))
        .output()
        .expect("bash runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "prod\n", "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn completion_scripts_parse_in_their_shells() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let shells: [(&str, &str, &[&str]); 3] =
        [("bash", "bash", &["-n"]), ("zsh", "zsh", &["-n"]), ("fish", "fish", &["--no-execute"])];
    for (shell, binary, check) in shells {
        let Some(tool) = judge(binary, binary) else { continue };
        let path = tmp.path().join(format!("relaygen.{shell}"));
        std::fs::write(&path, relaygen(&["completions", shell]).ok()).expect("write script");
        let mut args = check.to_vec();
        let path = path.to_str().expect("UTF-8 path");
        args.push(path);
        let (ok, output) = run(&tool, &args);
        assert!(ok, "{shell} rejects the completion script:\n{output}");
    }
    // The judge can fail: a broken script is rejected.
    if let Some(bash) = judge("bash", "bash") {
        let broken = tmp.path().join("broken.bash");
        std::fs::write(&broken, "_relaygen() {\n  if then\n}\n").expect("write");
        assert!(!run(&bash, &["-n", broken.to_str().expect("UTF-8")]).0);
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let run = relaygen(&["completions", "tcsh"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("possible values"), "{}", run.stderr);
}

#[test]
fn the_man_page_lists_every_subcommand_and_renders_without_warnings() {
    let page = relaygen(&["man"]).ok();
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "not roff:\n{page}");
    assert!(page.contains(".TH relaygen 1"), "{page}");
    for sub in subcommands() {
        assert!(page.contains(&format!("relaygen\\-{sub}(1)")), "the man page does not list `{sub}`");
    }
    assert!(page.contains(".SH EXAMPLES"), "{page}");
    assert!(page.contains("kubectl apply"), "the examples are missing");

    let Some(groff) = judge("groff", "groff") else { return };
    let tmp = tempfile::tempdir().expect("tempdir");
    let file = tmp.path().join("relaygen.1");
    std::fs::write(&file, &page).expect("write");
    let out = Command::new(&groff).args(["-man", "-ww", "-Tutf8"]).arg(&file).output().expect("groff runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success() && stderr.is_empty(), "groff warns:\n{stderr}");
    let text = String::from_utf8_lossy(&out.stdout);
    for sub in subcommands() {
        assert!(text.contains(&format!("relaygen-{sub}(1)")), "rendered page lacks `{sub}`:\n{text}");
    }
    // The judge can fail: groff warns about a malformed request.
    std::fs::write(&file, ".TH x 1\n.SH\n.IP \\fB\n.nosuchmacro\n").expect("write");
    let out = Command::new(&groff).args(["-man", "-ww", "-Tutf8"]).arg(&file).output().expect("groff runs");
    assert!(!out.stderr.is_empty(), "groff accepted a broken page");
}

#[test]
fn output_directories_are_named_out_everywhere_with_helm_s_output_dir_as_an_alias() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let path = |name: &str| tmp.path().join(name).to_str().expect("UTF-8 path").to_owned();
    relaygen(&["render", "--out", &path("a")]).ok();
    relaygen(&["render", "--output-dir", &path("b")]).ok();
    assert_eq!(std::fs::read_dir(tmp.path().join("b")).expect("written").count(), 10);
    for name in ["kustomization.yaml", "deployment-postfix-relay.yaml"] {
        let read = |dir: &str| std::fs::read(tmp.path().join(dir).join(name)).expect("file");
        assert_eq!(read("a"), read("b"), "{name}");
    }
    for flag in ["--out", "--output-dir", "--dir"] {
        let dir = path(&format!("man{flag}"));
        relaygen(&["man", flag, &dir]).ok();
        assert!(Path::new(&dir).join("relaygen-render.1").is_file(), "man {flag}");
    }
    assert!(relaygen(&["check", "--output-dir", "out"]).ok().starts_with("ok: out is fresh"));
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("man1");
    let dir_arg = dir.to_str().expect("UTF-8 path");
    relaygen(&["man", "--dir", dir_arg]).ok();
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().into_string().expect("name"))
        .collect();
    pages.sort();
    // A page for the program and for every command path, nested ones included: each page a
    // subcommand list names (`relaygen-argocd-generate(1)`) exists.
    let mut expected: Vec<String> =
        commands_with_flags().iter().map(|(path, _, _)| format!("relaygen-{}.1", path.join("-"))).collect();
    expected.push("relaygen.1".into());
    expected.sort();
    assert_eq!(pages, expected);
    assert!(pages.contains(&"relaygen-argocd-generate.1".to_owned()), "{pages:?}");
    let mut references = 0;
    for page in &pages {
        let text = std::fs::read_to_string(dir.join(page)).expect("page");
        for named in text.split("(1)").filter_map(|before| before.rsplit(['\n', ' ']).next()) {
            if named.starts_with("relaygen\\-") {
                let file = format!("{}.1", named.replace("\\-", "-"));
                assert!(pages.contains(&file), "{page} names {named}(1), which is not written");
                references += 1;
            }
        }
    }
    // Every page but relaygen(1) is named once: by relaygen(1) or by relaygen-argocd(1).
    assert_eq!(references, pages.len() - 1, "pages named by a subcommand list");
    let render = std::fs::read_to_string(dir.join("relaygen-render.1")).expect("render page");
    assert!(render.contains("\\-\\-profile"), "the render page lists its flags");
}

/// Every command path (`["render"]`, `["argocd", "sidecar"]`, ...) with the long flags of the
/// fully built command definition and the description the unbuilt one gives it. Unbuilt, a
/// subcommand carries only its own description: its flags (and whatever their struct would set)
/// are added when it is built.
fn commands_with_flags() -> Vec<(Vec<String>, Vec<String>, String)> {
    fn walk(
        built: &clap::Command,
        unbuilt: &clap::Command,
        path: &[String],
        out: &mut Vec<(Vec<String>, Vec<String>, String)>,
    ) {
        for sub in built.get_subcommands().filter(|s| s.get_name() != "help") {
            let declared = unbuilt.find_subcommand(sub.get_name()).expect("the same subcommands before building");
            let mut path = path.to_vec();
            path.push(sub.get_name().to_owned());
            let flags = sub
                .get_arguments()
                .filter_map(|a| a.get_long())
                .filter(|long| !matches!(*long, "help" | "version"))
                .map(|long| format!("--{long}"))
                .collect();
            let about = declared.get_about().map(ToString::to_string).unwrap_or_default();
            out.push((path.clone(), flags, about));
            walk(sub, declared, &path, out);
        }
    }
    let unbuilt = Cli::command();
    let mut built = Cli::command();
    built.build();
    let mut out = Vec::new();
    walk(&built, &unbuilt, &[], &mut out);
    out
}

#[test]
fn flags_defined_only_when_their_subcommand_runs_still_reach_help_completions_and_man_pages() {
    // Subcommands' flags are deferred (clap `Command::defer`) so that a run builds only its own;
    // every place a user reads them from must still show all of them, under the right title.
    let commands = commands_with_flags();
    let render = commands.iter().find(|(path, _, _)| path == &["render"]).expect("render");
    assert!(render.1.contains(&"--profile".to_owned()) && render.1.contains(&"--out".to_owned()), "{render:?}");
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().to_str().expect("UTF-8 path");
    relaygen(&["man", "--dir", dir]).ok();
    for (path, flags, about) in &commands {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let help = relaygen(&args).ok();
        assert_eq!(help.lines().next(), Some(about.as_str()), "`{}` help opens with its description", path.join(" "));
        // One page per command path: `relaygen-render.1`, `relaygen-argocd-generate.1`.
        let page_name = format!("relaygen-{}.1", path.join("-"));
        let page = std::fs::read_to_string(tmp.path().join(&page_name)).unwrap_or_else(|e| panic!("{page_name}: {e}"));
        let mut words: Vec<&str> = vec!["relaygen"];
        words.extend(path.iter().map(String::as_str));
        words.push("--");
        let completed = complete_in(crate::support::repo(), &words);
        for flag in flags {
            assert!(help.contains(flag.as_str()), "`{} --help` lacks {flag}", path.join(" "));
            assert!(completed.contains(flag), "completion lacks {flag} of `{}`", path.join(" "));
            assert!(page.contains(&flag.replace('-', "\\-")), "{page_name} lacks {flag}");
        }
    }
}

/// What `git` says the checked-out commit is, if this is a git checkout with git installed.
fn git_head() -> Option<String> {
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().chars().take(12).collect())
}

#[test]
fn version_names_the_crate_version_and_the_git_revision() {
    let version = relaygen(&["--version"]).ok();
    let expected = match git_head() {
        Some(rev) => format!("relaygen {} (git {rev})\n", env!("CARGO_PKG_VERSION")),
        None => format!("relaygen {}\n", env!("CARGO_PKG_VERSION")),
    };
    assert_eq!(version, expected);
    // Deterministic: the same binary answers the same.
    assert_eq!(relaygen(&["--version"]).ok(), version);
    // Every subcommand knows it too.
    assert!(relaygen(&["render", "--version"]).ok().contains(version.trim_start_matches("relaygen ").trim_end()));
}

#[test]
fn every_subcommand_has_examples_in_its_help() {
    for sub in subcommands() {
        let help = relaygen(&[sub.as_str(), "--help"]).ok();
        let examples = help.split("Examples:\n").nth(1).unwrap_or_else(|| panic!("`{sub} --help` has no examples"));
        assert!(
            examples.contains(&format!("relaygen {sub}")),
            "`{sub}` examples do not show `relaygen {sub}`:\n{help}"
        );
    }
    assert!(relaygen(&["--help"]).ok().contains("Examples:"));
}

#[test]
fn init_scaffolds_profiles_and_a_readme_that_render() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let repo = tmp.path().join("gitops");
    let out = relaygen_in(tmp.path(), &["init", "gitops"]).ok();
    for file in ["profiles/dev.yaml", "profiles/staging.yaml", "profiles/prod.yaml", "values.schema.json", "README.md"]
    {
        assert!(repo.join(file).is_file(), "{file} was not written");
        assert!(out.contains(file), "init does not report {file}:\n{out}");
    }
    for profile in ["dev", "staging", "prod"] {
        let text = std::fs::read_to_string(repo.join(format!("profiles/{profile}.yaml"))).expect("profile");
        assert!(
            text.starts_with("# yaml-language-server: $schema=../values.schema.json\n"),
            "{profile} lacks the schema comment"
        );
        // Rendered from inside the new repository, as its README says.
        let rendered = relaygen_in(&repo, &["render", "--profile", profile]).ok();
        // The scaffold is the shipped profile: identical output.
        assert_eq!(rendered, relaygen(&["render", "--profile", profile]).ok(), "{profile}");
    }
    // The schema the profiles point at is the one `relaygen schema` prints.
    let schema = std::fs::read_to_string(repo.join("values.schema.json")).expect("schema");
    assert_eq!(schema, relaygen(&["schema"]).ok());
    let readme = std::fs::read_to_string(repo.join("README.md")).expect("README");
    assert!(readme.contains("relaygen render --profile prod"));
}

#[test]
fn init_into_the_current_directory_by_default() {
    let tmp = tempfile::tempdir().expect("tempdir");
    relaygen_in(tmp.path(), &["init"]).ok();
    assert!(tmp.path().join("profiles/prod.yaml").is_file());
    assert!(tmp.path().join("README.md").is_file());
}

#[test]
fn init_refuses_to_overwrite_and_writes_nothing() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(tmp.path().join("profiles")).expect("mkdir");
    std::fs::write(tmp.path().join("profiles/staging.yaml"), "mine\n").expect("write");
    let stderr = relaygen_in(tmp.path(), &["init"]).fails();
    assert!(stderr.contains("refusing to overwrite"), "{stderr}");
    assert!(stderr.contains("staging.yaml"), "the error names the file in the way:\n{stderr}");
    assert_eq!(std::fs::read_to_string(tmp.path().join("profiles/staging.yaml")).expect("read"), "mine\n");
    let mut left: Vec<String> = walk(tmp.path());
    left.sort();
    assert_eq!(left, ["profiles", "profiles/staging.yaml"], "init wrote something");
}

#[test]
fn init_reports_a_directory_it_cannot_create() {
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::write(tmp.path().join("file"), "x").expect("write");
    let stderr = relaygen_in(tmp.path(), &["init", "file/repo"]).fails();
    assert!(stderr.contains("cannot write") && stderr.contains("file"), "{stderr}");
    assert_eq!(walk(tmp.path()), ["file"]);
}

/// Every path under `dir`, relative to it.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).expect("read_dir") {
            let path = entry.expect("entry").path();
            out.push(path.strip_prefix(dir).expect("prefix").to_string_lossy().into_owned());
            if path.is_dir() {
                stack.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn the_shipped_images_draw_one_line_warnings_each_naming_its_profile_with_details_on_request() {
    let pinned = |line: &str, key: &str| {
        line.starts_with("warning: ") && line.contains(&format!("{key}: ")) && line.ends_with("(more: --verbose)")
    };
    for args in [&["render"][..], &["values"], &["validate"], &["diff", "--against", "out/prod", "--profile", "prod"]] {
        let run = relaygen(args);
        let lines: Vec<&str> = run.stderr.lines().collect();
        assert_eq!(lines.len(), 2, "{args:?}:\n{}", run.stderr);
        assert!(pinned(lines[0], "image.digest") && pinned(lines[1], "monitoring.exporter.image.digest"), "{lines:?}");
    }
    // The same beside the errors of a failed run.
    let err = relaygen(&["render", "--set", "deployment.replicas=-1"]).fails();
    let warnings: Vec<&str> = err.lines().filter(|l| l.contains("pinned by tag only")).collect();
    assert!(warnings.len() == 2 && warnings.iter().all(|l| l.ends_with("(more: --verbose)")), "{err}");
    assert!(!err.contains("built-in defaults:"), "{err}");
    // In full with --verbose: where the value comes from, and advice that needs no other tool.
    let verbose = relaygen(&["validate", "--verbose"]).stderr;
    assert!(verbose.contains("built-in defaults:") && verbose.contains("= help:"), "{verbose}");
    assert!(verbose.contains("relaygen explain image.digest") && !verbose.contains("crane"), "{verbose}");
    assert!(relaygen(&["explain", "image.digest"]).ok().contains("docker pull"));
    // A warning about what the user wrote keeps its location without --verbose.
    let own = relaygen(&["validate", "--set", "image.tag=latest"]).stderr;
    assert!(own.contains("--> --set image.tag=latest"), "{own}");
    // --all-profiles: each warning names its profile.
    let tmp = tempfile::tempdir().expect("tempdir");
    let out = tmp.path().join("out");
    let stderr = relaygen(&["render", "--all-profiles", "--out", out.to_str().expect("UTF-8")]).stderr;
    for profile in crate::support::profiles() {
        let named = stderr.lines().filter(|l| l.starts_with(&format!("warning: profile {profile}: "))).count();
        assert_eq!(named, 2, "{profile}:\n{stderr}");
    }
    assert_eq!(stderr.lines().count(), 2 * crate::support::profiles().len(), "{stderr}");
    // A diff of two profiles renders twice: each side's warnings name their profile.
    let stderr = relaygen(&["diff", "--profile", "staging", "--against-profile", "prod", "-n", "x"]).stderr;
    for profile in ["staging", "prod"] {
        let named = stderr.lines().filter(|l| l.starts_with(&format!("warning: profile {profile}: "))).count();
        assert_eq!(named, 2, "{profile}:\n{stderr}");
    }
}

#[test]
fn the_readme_names_the_rust_version_cargo_requires_and_where_to_get_it() {
    let manifest = std::fs::read_to_string(crate::support::repo().join("Cargo.toml")).expect("Cargo.toml");
    let field = |key: &str| {
        manifest
            .lines()
            .find_map(|l| {
                l.strip_prefix(key)?.trim_start().strip_prefix('=').map(|v| v.trim().trim_matches('"').to_owned())
            })
            .unwrap_or_else(|| panic!("Cargo.toml has no {key}"))
    };
    let (version, edition) = (field("rust-version"), field("edition"));
    let readme = std::fs::read_to_string(crate::support::repo().join("README.md")).expect("README.md");
    let setup = readme.split("## Set-up").nth(1).and_then(|s| s.split("\n## ").next()).expect("a Set-up section");
    assert!(setup.contains(&format!("Rust {version} or later")), "Set-up names Rust {version}:\n{setup}");
    assert!(setup.contains(&format!("edition {edition}")) && setup.contains("rustup"), "{setup}");
}
