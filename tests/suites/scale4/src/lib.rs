//! The 4 specs of the `scale4` suite: one image, told apart by an env var
//! (part of the spec's key), so 4 containers serve the 200 tests.

use python_container_test::ContainerSpec;

fn spec(which: &str) -> ContainerSpec {
    ContainerSpec::image("python-container-test/python:3.11").env("PCT_SCALE_SPEC", which)
}

/// Spec a.
pub fn spec_a() -> ContainerSpec {
    spec("a")
}

/// Spec b.
pub fn spec_b() -> ContainerSpec {
    spec("b")
}

/// Spec c.
pub fn spec_c() -> ContainerSpec {
    spec("c")
}

/// Spec d.
pub fn spec_d() -> ContainerSpec {
    spec("d")
}
