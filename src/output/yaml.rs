//! YAML output. Every YAML byte relaygen prints is written here, by our own block-style emitter
//! ([`super::emit`]), which quotes every string a YAML 1.1 reader (kubectl's parser, PyYAML)
//! would misread: `no`, `on`, `y`, `1e3`, `0755`, `12:30`. Its output is byte-for-byte that of
//! serde-saphyr 2.2.0 with `folded_wrap_chars` and `min_fold_chars` at `usize::MAX` (long
//! single-line strings such as PromQL stay on one line instead of `>-` folding), which the
//! tests hold it to.

use super::emit;
use crate::error::{Error, Result};
use crate::render::Bundle;

/// Room reserved per document up front: a rendered object is 1–8 KiB, so the output `String`
/// grows at most a few times.
const BYTES_PER_DOCUMENT: usize = 4096;

/// One YAML stream with `---` between the objects, in bundle order.
pub fn to_stream(bundle: &Bundle) -> Result<String> {
    let mut out = String::with_capacity(BYTES_PER_DOCUMENT * bundle.objects.len().max(1));
    for (index, object) in bundle.objects.iter().enumerate() {
        if index > 0 {
            out.push_str("---\n");
        }
        emit::document(object, &mut out).map_err(failed)?;
    }
    Ok(out)
}

/// Any serialisable value as one YAML document (e.g. the effective values).
pub fn to_document<T: serde::Serialize + ?Sized>(value: &T) -> Result<String> {
    let mut out = String::with_capacity(BYTES_PER_DOCUMENT);
    emit::document(value, &mut out).map_err(failed)?;
    Ok(out)
}

fn failed(e: emit::EmitError) -> Error {
    Error::Internal(format!("YAML serialisation failed: {e}"))
}
