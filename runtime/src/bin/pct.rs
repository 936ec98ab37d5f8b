//! `pct`: lists and removes what python-container-test created.
//!
//! ```text
//! cargo run -p python-container-test --bin pct -- list
//! cargo run -p python-container-test --bin pct -- gc [--all] [--images] [--scope SCOPE | --all-scopes]
//! ```
//!
//! `gc` removes the project's stale containers (not running, so with no
//! agent) and those kept for debugging, of one scope: this checkout's (the
//! one its tests use, see `PYTHON_CONTAINER_TEST_SCOPE`), another with
//! `--scope`, or every one with `--all-scopes`. `--all` also removes running
//! ones that no test process holds; `--images` also removes the project's
//! images (`docker/build-images.sh` builds them again). Everything is removed
//! by id, and only fixtures the harness created (see `sweep`): a container
//! of an image that merely carries the project's labels is never touched.

use python_container_test_fixtures::{block_on, sweep, Error};
use std::process::ExitCode;

const USAGE: &str = "usage: pct list | pct gc [--all] [--images] [--scope SCOPE | --all-scopes]";

/// What `pct --help` prints.
const HELP: &str = "pct: what python-container-test created on this Docker engine

usage:
  pct list               the project's containers (every scope) and images
  pct gc [options]       removes the project's stale containers (not running,
                         or kept for debugging) of this checkout's scope
    --all                running ones too, unless a test process holds one
    --images             the project's images too (built again when needed;
                         this project's own by docker/build-images.sh)
    --scope SCOPE        another scope (see PYTHON_CONTAINER_TEST_SCOPE)
    --all-scopes         every scope

Everything is removed by id, and only what the harness created.";

struct Gc {
    all: bool,
    images: bool,
    /// `None`: every scope.
    scope: Option<String>,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("-h" | "--help" | "help") => {
            println!("{HELP}");
            return ExitCode::SUCCESS;
        }
        Some("list") if args.len() == 1 => block_on(list()),
        Some("gc") => match parse_gc(&args[1..]) {
            Ok(gc) => block_on(run_gc(gc)),
            Err(message) => {
                eprintln!("pct: {message}\n{USAGE}");
                return ExitCode::from(2);
            }
        },
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("pct: {e}");
            ExitCode::FAILURE
        }
    }
}

fn parse_gc(args: &[String]) -> Result<Gc, String> {
    let mut gc = Gc {
        all: false,
        images: false,
        scope: Some(python_container_test::scope()),
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--all" => gc.all = true,
            "--images" => gc.images = true,
            "--scope" => gc.scope = Some(args.next().ok_or("--scope needs a value")?.clone()),
            "--all-scopes" => gc.scope = None,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    Ok(gc)
}

async fn list() -> Result<(), Error> {
    let containers = sweep::containers(None).await?;
    println!("containers ({}):", containers.len());
    for c in containers {
        let note = match (c.kept, c.stale) {
            (true, _) => " [kept]",
            (_, true) => " [stale]",
            _ => "",
        };
        println!(
            "  {}  {:<40} {:<8} {}  scope={}{note}",
            &c.id[..12.min(c.id.len())],
            c.name,
            c.state,
            c.image,
            c.scope
        );
    }
    let images = sweep::images().await?;
    println!("images ({}):", images.len());
    for i in images {
        let id = i.id.trim_start_matches("sha256:");
        println!(
            "  {}  {:<8} {}",
            &id[..12.min(id.len())],
            i.kind,
            i.tags.join(", ")
        );
    }
    Ok(())
}

async fn run_gc(gc: Gc) -> Result<(), Error> {
    let mut removed = 0;
    for c in sweep::containers(gc.scope.as_deref()).await? {
        if gc.all || c.stale || c.kept {
            // A running container may still serve a test process: leave it.
            let leased = match c.stale {
                true => None,
                false => sweep::other_leases(&c.id).await?.filter(|n| *n > 0),
            };
            if let Some(n) = leased {
                println!(
                    "kept container {} ({}): in use by {n} test process(es)",
                    c.name, c.state
                );
                continue;
            }
            sweep::remove_container(&c.id).await;
            println!("removed container {} ({})", c.name, c.state);
            removed += 1;
        }
    }
    if gc.images {
        for i in sweep::images().await? {
            sweep::remove_image(&i.id).await?;
            println!("removed image {}", i.tags.join(", "));
            removed += 1;
        }
    }
    println!("{removed} removed");
    Ok(())
}
