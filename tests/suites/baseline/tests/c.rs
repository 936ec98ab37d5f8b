//! Tests of the `baseline` suite: one container per test, removed at its end.

use baseline::{eval_i64, start};

#[tokio::test]
async fn t15() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "15 * 15").await, 225);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t16() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "16 * 16").await, 256);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t17() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "17 * 17").await, 289);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t18() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "18 * 18").await, 324);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t19() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "19 * 19").await, 361);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t20() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "20 * 20").await, 400);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}
