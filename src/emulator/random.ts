// A small seeded pseudo-random generator, so a seed reproduces the same mailbox and the same
// faults on every machine (Math.random cannot be seeded).

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability p. */
  chance(p: number): boolean;
  /** `length` characters drawn from `alphabet`. */
  string(alphabet: string, length: number): string;
}

/** mulberry32: 32-bit state, fast, and good enough for test data (not for secrets). */
export function createRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(items.length)] as T,
    chance: (p) => next() < p,
    string(alphabet, length) {
      // Char codes then one fromCharCode: a flat string, cheaper to hash than a concatenation.
      const codes: number[] = [];
      for (let i = 0; i < length; i++) codes.push(alphabet.charCodeAt(int(alphabet.length)));
      return String.fromCharCode(...codes);
    },
  };
}

/** Derives an independent seed from a seed and a label (FNV-1a), one stream per purpose. */
export function deriveSeed(seed: number, label: string): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}
