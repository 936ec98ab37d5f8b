#!/usr/bin/env bash
# Fuzzes the extractor behind `copy_from` / `read_file` (runtime/src/copy.rs)
# for a fixed time: ./fuzz/run.sh [seconds, default 60]. Needs nightly and
# cargo-fuzz (`cargo install cargo-fuzz --locked`).
set -euo pipefail
cd "$(dirname "$0")"
umask 022
exec cargo +nightly fuzz run untar -- \
    -max_total_time="${1:-60}" -max_len=4096 -len_control=0 -print_final_stats=1
