//! Turning a [`Bundle`](crate::render::Bundle) into bytes: the only module that calls a
//! serialisation library for output.

pub(crate) mod dir;
pub(crate) mod yaml;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::render::Bundle;

/// Output formats of `render`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A YAML stream, `---` between documents.
    Yaml,
    /// A JSON `List` object, for tools.
    Json,
}

/// A `v1` `List`, the shape kubectl prints for `-o json` of several objects.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct List<'a> {
    api_version: &'static str,
    items: &'a Bundle,
    kind: &'static str,
}

/// Serialises the bundle in the requested format.
pub fn serialize(bundle: &Bundle, format: Format) -> Result<String> {
    match format {
        Format::Yaml => yaml::to_stream(bundle),
        Format::Json => {
            let list = List { api_version: "v1", items: bundle, kind: "List" };
            let mut text = serde_json::to_string_pretty(&list).map_err(|e| Error::Internal(e.to_string()))?;
            text.push('\n');
            Ok(text)
        }
    }
}
