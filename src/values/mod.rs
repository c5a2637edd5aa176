//! The values: layered input (defaults, profile, files, `--set`), the typed model, validation.

pub mod de;
pub mod derive;
pub mod effect;
pub mod load;
pub mod model;
pub mod origins;
pub mod profiles_dir;
pub mod set;
pub mod syntax;
pub mod tree;
pub mod validate;

pub use load::{Resolved, Selection, SetArg, load};
pub use model::Values;
pub use profiles_dir::ProfilesDir;
pub use validate::RelayHost;
