/**
 * Test doubles for the auth ports that tests inject (clock, randomness, sleep, security log).
 * Used by this folder's tests and the login benchmark only; not exported from index.ts.
 */
import type {
  Clock,
  Random,
  SecurityEvent,
  SecurityEventName,
  SecurityLogger,
  Sleep,
} from './ports.js';

/** A clock that moves only when told to. */
export class TestClock implements Clock {
  #ms: number;

  constructor(startMs = Date.UTC(2026, 0, 1, 12, 0, 0)) {
    this.#ms = startMs;
  }

  now(): number {
    return this.#ms;
  }

  advance(ms: number): void {
    this.#ms += ms;
  }

  set(ms: number): void {
    this.#ms = ms;
  }
}

/** Deterministic bytes (xorshift32) so runs repeat; never for production. */
export class SeededRandom implements Random {
  #state: number;

  constructor(seed = 0x9e3779b9) {
    this.#state = seed >>> 0 || 1;
  }

  bytes(size: number): Uint8Array {
    const out = new Uint8Array(size);
    for (let i = 0; i < size; i++) {
      let x = this.#state;
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      this.#state = x >>> 0;
      out[i] = this.#state & 0xff;
    }
    return out;
  }
}

/** Random bytes from a fixed list (repeated), to drive exact cases. */
export class ScriptedRandom implements Random {
  readonly #bytes: readonly number[];
  #i = 0;

  constructor(bytes: readonly number[]) {
    if (bytes.length === 0) throw new TypeError('ScriptedRandom needs bytes');
    this.#bytes = bytes;
  }

  bytes(size: number): Uint8Array {
    const out = new Uint8Array(size);
    for (let k = 0; k < size; k++) {
      out[k] = this.#bytes[this.#i % this.#bytes.length] ?? 0;
      this.#i++;
    }
    return out;
  }
}

/** Keeps every security event for assertions. */
export class CollectingLogger implements SecurityLogger {
  readonly events: SecurityEvent[] = [];

  log(event: SecurityEvent): void {
    this.events.push(event);
  }

  named(name: SecurityEventName): SecurityEvent[] {
    return this.events.filter((e) => e.event === name);
  }
}

/** A sleep that records what it was asked and returns at once. */
export class RecordingSleep {
  readonly requests: number[] = [];
  readonly sleep: Sleep = (ms) => {
    this.requests.push(ms);
    return Promise.resolve();
  };
}

/** A 44-byte key like the ones generateServerSecretKey makes (fixed for reproducible tests). */
export const TEST_SECRET_KEY = new Uint8Array(
  Buffer.from('dGVzdC1rZXktdGVzdC1rZXktdGVzdC1rZXktdGVzdC0=', 'utf8'),
);

/** A sleep whose waits end only when the test releases them. */
export class GatedSleep {
  readonly requests: number[] = [];
  #waiting: (() => void)[] = [];
  readonly sleep: Sleep = (ms) => {
    this.requests.push(ms);
    return new Promise<void>((resolve) => {
      this.#waiting.push(resolve);
    });
  };

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Ends every wait so far. */
  release(): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** Lets pending promise callbacks (and bcrypt's thread-pool work) run. */
export async function settle(rounds = 3): Promise<void> {
  for (let i = 0; i < rounds; i++)
    await new Promise<void>((resolve) => {
      setImmediate(resolve);
    });
}
