//! YAML output through serde-saphyr, which quotes every string a YAML 1.1 reader (kubectl's
//! parser, PyYAML) would misread: `no`, `on`, `y`, `1e3`, `0755`, `12:30`.

use crate::error::{Error, Result};
use crate::render::Bundle;

/// The emitter settings, in one place.
fn options() -> serde_saphyr::SerializerOptions {
    // Long single-line strings (PromQL, args) stay on one line instead of `>-` folding.
    serde_saphyr::ser_options! { folded_wrap_chars: usize::MAX, min_fold_chars: usize::MAX }
}

/// One YAML stream with `---` between the objects, in bundle order.
pub fn to_stream(bundle: &Bundle) -> Result<String> {
    serde_saphyr::to_string_multiple_with_options(&bundle.objects, options())
        .map_err(|e| Error::Internal(format!("YAML serialisation failed: {e}")))
}

/// Any serialisable value as one YAML document (e.g. the effective values).
pub fn to_document<T: serde::Serialize>(value: &T) -> Result<String> {
    serde_saphyr::to_string_with_options(value, options())
        .map_err(|e| Error::Internal(format!("YAML serialisation failed: {e}")))
}
