//! Nothing: see `tests/` (200 tests of one spec).
