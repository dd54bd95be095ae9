#!/usr/bin/env python3
"""Fails when a locked dependency needs a newer Rust than the workspace's `rust-version`.

Cargo compares a dependency's `rust-version` only with the rustc that runs it, so a lock
file that needs more than Cargo.toml states builds fine on a newer toolchain and the stated
minimum silently becomes false; this compares them (from `cargo metadata --locked`, offline).
"""

import json
import subprocess
import sys


def version(text):
    return tuple(int(part) for part in text.split("."))


metadata = json.loads(
    subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--locked", "--offline"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
)
members = set(metadata["workspace_members"])
stated = {p["rust_version"] for p in metadata["packages"] if p["id"] in members}
if len(stated) != 1 or None in stated:
    sys.exit(f"FAILED: the workspace's crates should share one rust-version, not {sorted(map(str, stated))}")
minimum = stated.pop()
needed = sorted(
    (version(p["rust_version"]), p["name"], p["version"])
    for p in metadata["packages"]
    if p["id"] not in members and p.get("rust_version")
)
too_new = [(v, name, ver) for v, name, ver in needed if v > version(minimum)]
for v, name, ver in too_new:
    print(f"  {name} {ver} needs Rust {'.'.join(map(str, v))}")
if too_new:
    sys.exit(f"FAILED: {len(too_new)} locked dependencies need more than rust-version = \"{minimum}\" in Cargo.toml")
newest = needed[-1]
print(
    f"rust-version {minimum}: the newest any of {len(needed)} locked dependencies needs is "
    f"{'.'.join(map(str, newest[0]))} ({newest[1]} {newest[2]})"
)
