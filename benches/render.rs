//! The in-process cost of `relaygen render --profile prod`: read and parse the prod profile, type
//! and validate the values, build the typed objects and serialise them to YAML; and the
//! once-per-process parse of the built-in defaults. No target: the whole process is measured
//! by scripts/bench.sh (docs/performance.md).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use relaygen::error::{Layer, Source};
use relaygen::output::Format;
use relaygen::render::Target;
use relaygen::values::load::DEFAULTS_YAML;
use relaygen::values::tree::parse_document;
use relaygen::values::{ProfilesDir, Selection};

fn render_prod(c: &mut Criterion) {
    let selection = Selection {
        profile: Some("prod".into()),
        profiles_dir: ProfilesDir::Given(Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")),
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

fn parse_defaults(c: &mut Criterion) {
    let source =
        Arc::new(Source { layer: Layer::Defaults, name: "built-in defaults".into(), text: DEFAULTS_YAML.into() });
    c.bench_function("parse_defaults", |b| b.iter(|| parse_document(black_box(&source))));
}

criterion_group!(benches, render_prod, parse_defaults);
criterion_main!(benches);
