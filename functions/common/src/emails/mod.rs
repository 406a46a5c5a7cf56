//! Every email examreg sends, one module each: a function from typed inputs
//! to the message, built with the one `Message` builder.

pub mod account_exists;
pub mod activation;
pub mod activation_pending;
pub mod already_active;
pub mod password_reset;
pub mod password_reset_unknown;
