#!/usr/bin/env bash
# A second checkout to benchmark against: bench/ab-worktree.sh <commit> [dir] (default /tmp/baton-ab)
# makes a git worktree of <commit>, gives it this checkout's installed packages but its own
# workspace packages, and builds it. Then run the same bench command in both directories, in turn.
#
# Why not just a symlink to node_modules: npm links each workspace package (@baton/*) as
# node_modules/@baton/<name> -> ../../libs/<name>, relative to the real node_modules, so through a
# symlinked node_modules the other checkout's services load this checkout's libraries, and an A/B
# of a library change compares the same code twice.
set -euo pipefail
rev="${1:?usage: bench/ab-worktree.sh <commit> [dir]}"
dir="${2:-/tmp/baton-ab}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
git rev-parse --verify --quiet "${rev}^{commit}" > /dev/null || { echo "ab-worktree: no commit '${rev}' here" >&2; exit 64; }
if [ -e "$dir" ]; then
  git worktree remove --force "$dir" 2> /dev/null || rm -rf "$dir"
fi
git worktree prune
git worktree add --force --detach "$dir" "$rev" > /dev/null
mkdir "$dir/node_modules"
for entry in "$root"/node_modules/* "$root"/node_modules/.[!.]*; do
  name="$(basename "$entry")"
  [ "$name" = "@baton" ] && continue
  ln -s "$entry" "$dir/node_modules/$name"
done
mkdir "$dir/node_modules/@baton"
for link in "$root"/node_modules/@baton/*; do
  # The same relative target, resolved from the worktree's node_modules: its own libs and services.
  ln -s "$(readlink "$link")" "$dir/node_modules/@baton/$(basename "$link")"
done
echo "ab-worktree: $(git -C "$dir" log --oneline -1) in $dir; building" >&2
(cd "$dir" && PATH="$root/node_modules/.bin:$PATH" npm run -s build)
echo "ab-worktree: ready; @baton/contracts resolves to $(cd "$dir" && node -p "require.resolve('@baton/contracts')")" >&2
