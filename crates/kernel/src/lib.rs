#![doc = include_str!("../README.md")]

mod clock;
mod error;
mod ids;
mod money;
mod page;

pub use clock::{Clock, SystemClock};
pub use error::{ErrorCode, ErrorKind, FieldError};
pub use ids::{TenantId, new_id};
pub use money::Money;
pub use page::{Page, PageRequest};
