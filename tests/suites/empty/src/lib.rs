//! Nothing: the tests of this crate are empty (the runners' floor).
