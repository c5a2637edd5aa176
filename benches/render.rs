//! The in-process cost of `relaygen render --profile prod`: read and parse the prod profile, type
//! and validate the values, build the typed objects and serialise them to YAML; and the
//! once-per-process parse of the built-in defaults. No target: the whole process is measured
//! by scripts/bench.sh (docs/performance.md).

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use relaygen::error::{Error, Layer, Source};
use relaygen::output::{Format, serialize};
use relaygen::render::{Target, stack};
use relaygen::values::load::DEFAULTS_YAML;
use relaygen::values::tree::parse_document;
use relaygen::values::{ProfilesDir, Selection, load};

fn render_prod(c: &mut Criterion) {
    let selection = Selection {
        profile: Some("prod".into()),
        profiles_dir: ProfilesDir::Given(Path::new(env!("CARGO_MANIFEST_DIR")).join("profiles")),
        ..Selection::default()
    };
    let target = Target::default();
    // Fail loudly before measuring if the profile does not render.
    let rendered = render(&selection, &target, Format::Yaml).expect("the prod profile renders");
    assert!(rendered.contains("kind: Deployment"));

    c.bench_function("render_prod_yaml", |b| {
        b.iter(|| render(black_box(&selection), black_box(&target), Format::Yaml))
    });
    c.bench_function("render_prod_json", |b| {
        b.iter(|| render(black_box(&selection), black_box(&target), Format::Json))
    });
}

/// What `relaygen render` does between reading the command line and printing: load and
/// validate the values, build the typed objects, serialise them.
fn render(selection: &Selection, target: &Target, format: Format) -> Result<String, Error> {
    let resolved = load(selection)?;
    let bundle = stack(&resolved, target)?;
    serialize(&bundle, format)
}

fn parse_defaults(c: &mut Criterion) {
    let source =
        Arc::new(Source { layer: Layer::Defaults, name: "built-in defaults".into(), text: DEFAULTS_YAML.into() });
    c.bench_function("parse_defaults", |b| b.iter(|| parse_document(black_box(&source))));
}

criterion_group!(benches, render_prod, parse_defaults);
criterion_main!(benches);
