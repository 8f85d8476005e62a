/**
 * Randomness, injected. Jitter, weighted answers, arrivals and fault probabilities all draw from a
 * {@link Random}, so a seeded run replays exactly.
 */
import { finiteNumber } from './validate.js';

/** A source of uniformly distributed numbers. */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
}

/** `Math.random()`: the default in production. */
export const mathRandom: Random = { next: Math.random };

/**
 * A fast seedable generator (sfc32, seeded through splitmix32), the same sequence for the same seed
 * on every platform. Not for cryptography.
 *
 * @param seed - any finite number; its integer part (mod 2^32) is used.
 * @example
 * const random = seededRandom(42);
 * random.next(); // always the same first value for seed 42
 */
export function seededRandom(seed: number): Random {
  finiteNumber('seed', seed);
  let s = Math.trunc(seed) >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return {
    next(): number {
      a >>>= 0;
      b >>>= 0;
      c >>>= 0;
      d >>>= 0;
      let t = (a + b) | 0;
      a = b ^ (b >>> 9);
      b = (c + (c << 3)) | 0;
      c = (c << 21) | (c >>> 11);
      d = (d + 1) | 0;
      t = (t + d) | 0;
      c = (c + t) | 0;
      return (t >>> 0) / 4294967296;
    },
  };
}

/** An integer in [min, max] drawn from `random`. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1));
}

/**
 * An exponentially distributed interval with the given mean: the gap between Poisson arrivals.
 * Never returns Infinity (a draw of 0 is nudged).
 */
export function exponential(random: Random, mean: number): number {
  return -Math.log(1 - random.next() * 0.999_999_999) * mean;
}

/**
 * A normally distributed number with the given mean and standard deviation (Box–Muller; one of the
 * pair is used so every call draws exactly two numbers, which keeps seeded runs aligned).
 */
export function normal(random: Random, mean: number, sd: number): number {
  const u = 1 - random.next(); // (0, 1]: log(u) is finite
  const v = random.next();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Normally distributed numbers for a hot loop (the simulator): Box–Muller with both values of each
 * pair used, so a draw costs half the uniform numbers, logarithms and square roots of {@link normal}.
 * A seeded source replays exactly; its sequence differs from `normal`'s.
 *
 * @example
 * const delays = new NormalPairs(seededRandom(1));
 * Math.abs(delays.next(10, 2)); // a network delay of |Normal(10 ms, 2 ms)|
 */
export class NormalPairs {
  readonly #random: Random;
  #spare = 0;
  #hasSpare = false;

  constructor(random: Random) {
    this.#random = random;
  }

  /** A draw from Normal(`mean`, `sd`). */
  next(mean: number, sd: number): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return mean + sd * this.#spare;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.#random.next())); // 1 - next() is in (0, 1]
    const angle = 2 * Math.PI * this.#random.next();
    this.#spare = r * Math.sin(angle);
    this.#hasSpare = true;
    return mean + sd * r * Math.cos(angle);
  }
}
