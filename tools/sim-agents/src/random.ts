import { createHash } from 'node:crypto';

/** A random number generator: each call returns a number in [0, 1). */
export type Random = () => number;

/** mulberry32: a small, fast, deterministic generator for a 32-bit seed. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The generator of one task attempt, from the run's seed and the task: the same seed gives the
 * same duration, tokens and failure for a task whatever order tasks arrive in.
 */
export function taskRandom(seed: number, agentId: string, taskId: string, attempt: number): Random {
  const digest = createHash('sha256').update(`${seed}\u0000${agentId}\u0000${taskId}\u0000${attempt}`).digest();
  return seededRandom(digest.readUInt32BE(0));
}

/** A whole number in [min, max]. */
export function between(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}
