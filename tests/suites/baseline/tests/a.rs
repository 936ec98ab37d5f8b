//! Tests of the `baseline` suite: one container per test, removed at its end.

use baseline::{eval_i64, start};

#[tokio::test]
async fn t1() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "1 * 1").await, 1);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t2() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "2 * 2").await, 4);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t3() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "3 * 3").await, 9);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t4() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "4 * 4").await, 16);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t5() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "5 * 5").await, 25);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t6() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "6 * 6").await, 36);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}

#[tokio::test]
async fn t7() {
    let container = start().await;
    assert_eq!(eval_i64(&container, "7 * 7").await, 49);
    // Dropped inside the runtime: testcontainers removes it (force).
    drop(container);
}
