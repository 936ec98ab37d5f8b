//! Tests of the `baseline` suite: one container per test, removed at its end.

use baseline::{eval_i64, start};

#[tokio::test]
async fn t8() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "8 * 8").await, 64);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t9() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "9 * 9").await, 81);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t10() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "10 * 10").await, 100);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t11() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "11 * 11").await, 121);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t12() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "12 * 12").await, 144);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t13() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "13 * 13").await, 169);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t14() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "14 * 14").await, 196);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}
