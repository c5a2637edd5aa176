//! The exact output of every profile and every seed command, reviewed as a diff on change.

use crate::support::{SEED_COMMANDS, profiles, relaygen};

fn settings() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path("../../snapshots");
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings
}

#[test]
fn every_profile() {
    settings().bind(|| {
        for profile in profiles() {
            let out = relaygen(&["render", "--profile", &profile]).ok();
            insta::assert_snapshot!(format!("profile_{profile}"), out);
        }
        insta::assert_snapshot!("profile_builtin_defaults", relaygen(&["render"]).ok());
    });
}

#[test]
fn every_seed_command() {
    settings().bind(|| {
        for (name, args) in SEED_COMMANDS {
            let mut s = settings();
            s.set_description(args.join(" "));
            s.bind(|| insta::assert_snapshot!(*name, relaygen(args).ok()));
        }
    });
}
