//! The in-process cost of `relaygen render --profile prod`: read and parse the built-in defaults
//! and the prod profile, type and validate the values, build the typed objects and serialise them
//! to YAML. Target: a median under 200 µs (see the README's performance section).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use relaygen::output::Format;
use relaygen::render::Target;
use relaygen::values::Selection;

fn render_prod(c: &mut Criterion) {
    let selection = Selection {
        profile: Some("prod".into()),
        profiles_dir: Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles"),
        ..Selection::default()
    };
    let target = Target::default();
    // Fail loudly before measuring if the profile does not render.
    let rendered = relaygen::render_to_string(&selection, &target, Format::Yaml).expect("the prod profile renders");
    assert!(rendered.text.contains("kind: Deployment"));

    c.bench_function("render_prod_yaml", |b| {
        b.iter(|| relaygen::render_to_string(black_box(&selection), black_box(&target), Format::Yaml))
    });
    c.bench_function("render_prod_json", |b| {
        b.iter(|| relaygen::render_to_string(black_box(&selection), black_box(&target), Format::Json))
    });
}

criterion_group!(benches, render_prod);
criterion_main!(benches);
