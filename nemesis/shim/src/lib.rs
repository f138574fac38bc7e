//! The clock shim.
