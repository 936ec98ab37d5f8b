//! Helpers of the `first` suite: showing the crate's `tracing` spans.
//!
//! The crate logs with `tracing` and installs no subscriber (a library must
//! not); a test that wants to see the spans of an acquire installs one, as
//! [`show_spans`] does: with `RUST_LOG=python_container_test_fixtures=debug`
//! each span's close prints its duration (`time.busy` + `time.idle`).

use std::time::Instant;
use tracing::span::{Attributes, Id};
use tracing::Subscriber;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Installs the subscriber of this process: with `RUST_LOG` set, the usual
/// `fmt` output, span closes (and so their durations) included; with
/// `PCT_BENCH_SPANS` set, one `PCT_SPAN <name> <microseconds>` line per
/// closed `pct.*` span on stdout, for the benchmark to parse.
pub fn show_spans() {
    let fmt = std::env::var_os("RUST_LOG").map(|_| {
        tracing_subscriber::fmt::layer()
            .with_span_events(FmtSpan::CLOSE)
            .with_test_writer()
            .with_filter(EnvFilter::from_default_env())
    });
    let bench = std::env::var_os("PCT_BENCH_SPANS").map(|_| Durations);
    let _ = tracing_subscriber::registry()
        .with(fmt)
        .with(bench)
        .try_init();
}

/// Prints the duration of every `pct.*` span when it closes.
struct Durations;

struct Opened(Instant);

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Durations {
    fn on_new_span(&self, _attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(Opened(Instant::now()));
        }
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else { return };
        if !span.name().starts_with("pct.") {
            return;
        }
        let opened = span.extensions().get::<Opened>().map(|o| o.0);
        if let Some(at) = opened {
            println!("PCT_SPAN {} {}", span.name(), at.elapsed().as_micros());
        }
    }
}
