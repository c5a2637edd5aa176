//! Renders the `prod` profile in process N times (default 20), as `benches/render.rs` does once
//! per iteration, for tools that count rather than time: `scripts/render-instructions.sh` runs
//! it under callgrind, and `valgrind --tool=dhat` on it shows where a render allocates.

use std::path::Path;

use relaygen::output::Format;
use relaygen::render::Target;
use relaygen::values::Selection;

fn main() -> Result<(), String> {
    let renders = match std::env::args().nth(1) {
        None => 20,
        Some(n) => n.parse::<usize>().map_err(|_| format!("usage: render_prod [RENDERS], not {n:?}"))?,
    };
    let selection = Selection {
        profile: Some("prod".into()),
        profiles_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles"),
        ..Selection::default()
    };
    let target = Target::default();
    for _ in 0..renders {
        relaygen::render_to_string(&selection, &target, Format::Yaml).map_err(|e| e.to_string())?;
    }
    Ok(())
}
