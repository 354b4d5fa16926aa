#!/usr/bin/env bash
# Checks dependencies with cargo-deny against the advisory database snapshot in
# ../shared/rustsec-advisory-db, offline. cargo-deny wants a git repository, so the snapshot
# is copied and committed in a temporary one first.
set -euo pipefail
cd "$(dirname "$0")/.."
snapshot="${LCPF_ADVISORY_DB:-../shared/rustsec-advisory-db}"
[ -d "$snapshot/crates" ] || { echo "no advisory database at $snapshot" >&2; exit 1; }
command -v cargo-deny >/dev/null || cargo install --locked cargo-deny
db=target/advisory-dbs/advisory-db-3157b0e258782691
rm -rf target/advisory-dbs && mkdir -p "$db"
cp -R "$snapshot"/. "$db"/
git -C "$db" init -q
git -C "$db" -c user.name=ci -c user.email=ci@localhost add -A
git -C "$db" -c user.name=ci -c user.email=ci@localhost commit -qm snapshot
cargo fetch --quiet
cargo deny --offline check advisories licenses bans sources
