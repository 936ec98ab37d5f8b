//! Where a run's CPU time went, beside the test processes: the engine's
//! daemons, its storage driver's processes (`fuse-overlayfs`, where the
//! engine uses it) and a scope's containers, read from `/proc` and from the
//! containers' cgroups. Each part reads zero where it cannot be read.

use crate::driver::{stat_ticks, TICK_MS};
use python_container_test_e2e::containers_in_scope;
use std::collections::BTreeMap;
use std::time::Duration;

/// Processes (by `comm`, 15 characters at most) counted as the engine's.
const ENGINE: [&str; 5] = [
    "dockerd",
    "containerd",
    "containerd-shim",
    "docker-proxy",
    "runc",
];

/// Processes counted as the storage driver's.
const STORAGE: [&str; 1] = ["fuse-overlayfs"];

/// CPU time used so far: by each engine and storage driver process (by
/// pid), and by each container (by id).
#[derive(Default, Clone)]
pub struct Sample {
    engine: BTreeMap<u32, Duration>,
    storage: BTreeMap<u32, Duration>,
    containers: BTreeMap<String, Duration>,
}

/// The CPU time each part used between two [`Sample`]s.
#[derive(Default, Clone, Copy)]
pub struct Split {
    pub engine: Duration,
    pub storage: Duration,
    pub containers: Duration,
}

/// Now's sample: the engine's and the storage driver's processes alive (with
/// their children they waited for), and the containers of `scope`.
pub fn sample(scope: &str) -> Sample {
    sample_of(containers_in_scope(scope)) // first: its own engine time is before
}

/// Now's sample, of the containers `ids` (see [`sample`]).
pub fn sample_of(ids: Vec<String>) -> Sample {
    let (engine, storage) = processes();
    let containers = ids
        .into_iter()
        .map(|id| {
            let used = container_cpu(&id);
            (id, used)
        })
        .collect();
    Sample {
        engine,
        storage,
        containers,
    }
}

impl Sample {
    /// What was used from `before` to this sample. A process or container
    /// `before` did not see is new (all its time counts); one gone since is
    /// not counted (a container's processes end with it).
    pub fn since(&self, before: &Sample) -> Split {
        Split {
            engine: used_since(&self.engine, &before.engine),
            storage: used_since(&self.storage, &before.storage),
            containers: used_since(&self.containers, &before.containers),
        }
    }
}

fn used_since<K: Ord>(now: &BTreeMap<K, Duration>, before: &BTreeMap<K, Duration>) -> Duration {
    now.iter()
        .map(|(k, used)| used.saturating_sub(before.get(k).copied().unwrap_or_default()))
        .sum()
}

/// The CPU time of each of the engine's processes and the storage driver's.
fn processes() -> (BTreeMap<u32, Duration>, BTreeMap<u32, Duration>) {
    let (mut engine, mut storage) = (BTreeMap::new(), BTreeMap::new());
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return (engine, storage);
    };
    for entry in dir.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let Some((head, _)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, c)| c).unwrap_or("");
        // utime, stime, cutime, cstime.
        let used = Duration::from_millis(stat_ticks(&stat, 11, 4) * TICK_MS);
        if ENGINE.contains(&comm) {
            engine.insert(pid, used);
        } else if STORAGE.contains(&comm) {
            storage.insert(pid, used);
        }
    }
    (engine, storage)
}

/// A container's CPU usage from its cgroup (v1 `cpuacct.usage` or v2
/// `cpu.stat`, under the cgroupfs or the systemd driver's path).
fn container_cpu(id: &str) -> Duration {
    let v1 = [
        format!("/sys/fs/cgroup/cpuacct/docker/{id}/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpu,cpuacct/docker/{id}/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpuacct/system.slice/docker-{id}.scope/cpuacct.usage"),
        format!("/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-{id}.scope/cpuacct.usage"),
    ];
    for path in v1 {
        if let Some(ns) = read_number(&path) {
            return Duration::from_nanos(ns);
        }
    }
    let v2 = [
        format!("/sys/fs/cgroup/docker/{id}/cpu.stat"),
        format!("/sys/fs/cgroup/system.slice/docker-{id}.scope/cpu.stat"),
    ];
    for path in v2 {
        let stat = std::fs::read_to_string(path).unwrap_or_default();
        let usec = stat
            .lines()
            .find_map(|l| l.strip_prefix("usage_usec "))
            .and_then(|v| v.trim().parse::<u64>().ok());
        if let Some(usec) = usec {
            return Duration::from_micros(usec);
        }
    }
    Duration::ZERO
}

fn read_number(path: &str) -> Option<u64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// The engine's CPU per request for each read a test process makes (a
/// ping, the scope's containers, the image: not by a warm one on Docker,
/// which reads the image's id off the listing), each sent `n` times in turn
/// on a connection of its own to the engine's Unix socket `socket`, as the
/// crate sends them; `None` where a request failed.
pub fn engine_reads(
    socket: &str,
    scope: &str,
    image: &str,
    n: usize,
) -> Option<Vec<(&'static str, Duration)>> {
    let filters = format!(
        r#"{{"label":["python-container-test.managed=true","python-container-test.scope={scope}"]}}"#
    );
    let reads = [
        ("a ping", "/_ping".to_owned()),
        (
            "the scope's containers",
            format!("/containers/json?all=true&filters={}", encode(&filters)),
        ),
        ("the image", format!("/images/{}/json", encode(image))),
    ];
    let mut costs = Vec::new();
    for (what, target) in reads {
        let before = processes().0;
        for _ in 0..n {
            get(socket, &target)?;
        }
        let used = used_since(&processes().0, &before);
        costs.push((what, used / n as u32));
    }
    Some(costs)
}

/// `GET target` over HTTP/1.0 (the answer ends with the connection); `None`
/// unless the engine answers 200.
fn get(socket: &str, target: &str) -> Option<()> {
    use std::io::{Read, Write};
    let mut stream = std::os::unix::net::UnixStream::connect(socket).ok()?;
    write!(stream, "GET {target} HTTP/1.0\r\nHost: docker\r\n\r\n").ok()?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).ok()?;
    answer
        .starts_with(b"HTTP/1.0 200")
        .then_some(())
        .or_else(|| answer.starts_with(b"HTTP/1.1 200").then_some(()))
}

/// Percent-encodes all but unreserved characters (and `/` and `:`, which
/// an image name's path keeps).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' | b':' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
