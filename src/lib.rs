//! factcheck
