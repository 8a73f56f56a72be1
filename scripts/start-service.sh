#!/bin/sh
# The start command of every Baton service, and the one home of the Node settings it runs with:
#
#   scripts/start-service.sh services/<service>/dist/main.js [node options...]
#
# (from the repository root, the image's /app) runs the compiled service (`npm run build`) with
# `exec`, so the service is the process (PID 1 in a container, the pid a benchmark watches). The image's CMD (and so
# docker compose and the Helm chart), `npm start` (scripts/run.sh) and the benchmarks
# (bench/support.ts) all start services through it: what is measured is what runs.
#
# Memory. Node's defaults size V8's heap for the machine (here 4 GB of heap on 24 GB): the young
# generation grows to 64-128 MB and the old one to four times its live data before a full
# collection, so a service holding 40-60 MB of live objects sat at 160-175 MB resident at ready
# and the scheduler at 536 MB after a 20,000-task drain. Bounded instead (figures in
# docs/architecture.md, "Services run compiled"):
#   --max-semi-space-size=S   young generation at most 2 x S MB, S = BATON_SEMI_SPACE_MB, else 8.
#                             More trades memory for CPU: the scheduler allocates about 100 KB per
#                             task, and with 8 MB semi-spaces what is still in use across a round
#                             trip gets promoted and collected again by full collections. In a
#                             5,000-task drain (bench:dispatch --profile) its collections took
#                             830-966 ms of 3.9-4.0 s busy with 8, 558-572 with 16, 353-512 with 32,
#                             383-392 with 64, and its CPU per lifecycle fell 18-23% with 32; but its
#                             RSS at ready rose 137 -> 155-157 MB, and once quiet after the
#                             20,000-task drain it read 141-148 MB (142 with 8): under the 150 MB
#                             target with less to spare, for no target it would meet that 8 does
#                             not, so 8 stays the default (docs/architecture.md);
#   --max-old-space-size=N    old generation at most N MB, N = half the memory limit:
#                             BATON_MEMORY_LIMIT_MB, else the container's cgroup limit, else 512.
#                             The other half is for what is not V8's heap (60 MB of the node
#                             binary's pages, malloc, buffers); and V8 lets a heap limited to
#                             256 MB-2 GB grow 1.3-2x its live data between full collections
#                             instead of 4x (256: 1.3x; 16 MB less after a 20,000-task drain
#                             than with 384, at the same CPU per task);
#   MALLOC_ARENA_MAX=2        two glibc malloc arenas instead of up to eight per core for V8's
#                             and libuv's threads (kept if already set).
# After a burst, a service's RSS is about the burst's high-water mark, not its live data: nothing
# collects the burst's garbage while nothing allocates, and V8 keeps the 256 KB pages a collection
# frees in a pool, given back only in a memory-reducing collection (memory pressure,
# --memory-saver-mode, or the memory reducer, which an idle process may never start). After
# bench:dispatch's drain the scheduler holds 63-90 MB of heap in 85-125 MB committed plus 30-60 MB
# of pooled pages, 15-19 MB of malloc and 57 MB of the node binary's pages: 204-241 MB, and stays
# there (198 MB for 8 s after a 5,000-task drain). Flags do not fix that, tried back to back on one
# build: --max-semi-space-size=2 saves 11 MB at ready but nothing after the drain, for 16-20% more
# scheduler CPU per task; --memory-saver-mode or --optimize-for-size end at 151-158 MB for about
# three times the CPU; --heap-growing-percent=10 and fixed malloc trim/mmap thresholds change
# nothing. So these stay as they are, and the service gives the memory back itself instead: once
# quiet for BATON_MEMORY_RELEASE_IDLE_MS (2 s; 0 = off) after RSS grew 32 MB, one last-resort
# collection (libs/messaging/src/idle-memory.ts) takes the scheduler from 196-228 MB to 131-136 MB
# for a 67-170 ms pause once per burst (docs/architecture.md, "Memory after a burst").
# Extra node options (a benchmark's preload, --cpu-prof) go after these, so they may override them.
set -eu

main="${1:-}"
[ "$#" -gt 0 ] && shift
if [ ! -f "$main" ]; then
  echo "no compiled service at '${main}' (an unknown SERVICE, or npm run build not run)" >&2
  exit 64
fi

# The memory limit in MB: explicit, else cgroup v2 (memory.max), else cgroup v1, else 512.
limit_mb="${BATON_MEMORY_LIMIT_MB:-}"
if [ -z "$limit_mb" ]; then
  bytes=""
  if [ -r /sys/fs/cgroup/memory.max ]; then bytes="$(cat /sys/fs/cgroup/memory.max)"
  elif [ -r /sys/fs/cgroup/memory/memory.limit_in_bytes ]; then bytes="$(cat /sys/fs/cgroup/memory/memory.limit_in_bytes)"
  fi
  case "$bytes" in
    '' | max | *[!0-9]*) limit_mb=512 ;;
    *) limit_mb=$((bytes / 1048576)) ;;
  esac
  # cgroup v1 reports "no limit" as a huge number.
  [ "$limit_mb" -gt 1048576 ] && limit_mb=512
fi
case "$limit_mb" in
  '' | *[!0-9]*) echo "BATON_MEMORY_LIMIT_MB is invalid: expected a whole number of MB, got \"${limit_mb}\"" >&2; exit 64 ;;
esac
if [ "$limit_mb" -lt 256 ]; then
  echo "BATON_MEMORY_LIMIT_MB is invalid: a service needs at least 256 MB, got ${limit_mb}" >&2
  exit 64
fi

# The young generation's semi-space in MB (see above): explicit, else 8.
semi_mb="${BATON_SEMI_SPACE_MB:-8}"
case "$semi_mb" in
  '' | *[!0-9]*) echo "BATON_SEMI_SPACE_MB is invalid: expected a whole number of MB (1-256), got \"${semi_mb}\"" >&2; exit 64 ;;
esac
if [ "$semi_mb" -lt 1 ] || [ "$semi_mb" -gt 256 ]; then
  echo "BATON_SEMI_SPACE_MB is invalid: expected a whole number of MB (1-256), got ${semi_mb}" >&2
  exit 64
fi

export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec node --enable-source-maps --max-semi-space-size="$semi_mb" --max-old-space-size=$((limit_mb / 2)) "$@" "$main"
