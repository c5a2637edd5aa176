//! The values: layered input (defaults, profile, files, `--set`), the typed model, validation.

pub(crate) mod de;
pub(crate) mod derive;
pub(crate) mod effect;
pub mod load;
pub(crate) mod model;
pub(crate) mod origins;
pub(crate) mod profiles_dir;
pub(crate) mod set;
pub(crate) mod syntax;
pub mod tree;
pub(crate) mod validate;

pub use load::{Resolved, Selection, SetArg, load};
pub use model::Values;
pub use profiles_dir::ProfilesDir;
pub use validate::RelayHost;
