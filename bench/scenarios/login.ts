/**
 * `login`: successful logins per second through LoginService (real bcrypt cost 10, the random
 * 500-1000 ms delay disabled by injection, failure counters and concurrency cap on, a signed JWT
 * per login) against raw `bcrypt.compare` of the same password and hash, both with 32 logins in
 * flight, interleaved. Ratio = candidate rate / reference rate; target >= 0.85.
 * Also reports the event-loop delay p99 during each side (bcrypt runs on the libuv pool, so the
 * loop should stay free).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import bcrypt from 'bcrypt';
import {
  LoginService,
  MemoryAccountStore,
  MemoryFailureStore,
  MemoryRevocationStore,
  SessionManager,
  generateServerSecretKey,
  hashPassword,
  projectTokenLookupFrom,
} from '../../src/auth/index.js';
import { interleave, median, percentile, round, type Scenario } from '../lib.js';

const CONCURRENCY = 32;
const TARGET = 0.85;
const PASSWORD = 'benchmark-password';

const sizes = {
  S: { logins: 64, pairs: 5 },
  M: { logins: 160, pairs: 7 },
  L: { logins: 320, pairs: 9 },
} as const;

/** Runs `task` `total` times with `concurrency` in flight; returns completions per second. */
async function ratePerSecond(
  total: number,
  concurrency: number,
  task: (i: number) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const t0 = process.hrtime.bigint();
  const worker = async (): Promise<void> => {
    while (next < total) {
      const i = next++;
      await task(i);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return total / seconds;
}

export const scenario: Scenario = {
  name: 'login',
  description: `logins/s via LoginService (bcrypt 10, delay off) vs raw bcrypt.compare, ${CONCURRENCY} in flight`,
  async run(ctx) {
    const { logins, pairs } = sizes[ctx.size];
    const hash = await hashPassword(PASSWORD, 10);
    const accounts = new MemoryAccountStore([
      { name: 'admin', enabled: true, capabilities: ['login'], passwordHash: hash, tokens: [] },
    ]);
    const sessions = new SessionManager({
      secretKey: generateServerSecretKey(),
      accounts,
      projects: projectTokenLookupFrom(() => undefined),
      revocations: new MemoryRevocationStore(),
    });
    const login = new LoginService(
      { sessions, accounts, failures: new MemoryFailureStore(), sleep: () => Promise.resolve() },
      { delayMinMs: 0, delayMaxMs: 0 },
    );
    if (login.options.maxConcurrentLogins < CONCURRENCY)
      throw new Error('the concurrency cap would refuse part of the load');

    const lagRef: number[] = [];
    const lagCand: number[] = [];
    const measured = async (lags: number[], run: () => Promise<number>): Promise<number> => {
      const h = monitorEventLoopDelay({ resolution: 5 });
      h.enable();
      const rate = await run();
      h.disable();
      lags.push(h.percentile(99) / 1e6);
      return rate;
    };
    const reference = (): Promise<number> =>
      measured(lagRef, () =>
        ratePerSecond(logins, CONCURRENCY, async () => {
          if (!(await bcrypt.compare(PASSWORD, hash))) throw new Error('reference compare failed');
        }),
      );
    const candidate = (): Promise<number> =>
      measured(lagCand, () =>
        ratePerSecond(logins, CONCURRENCY, async (i) => {
          const r = await login.login('admin', PASSWORD, `10.0.${i >> 8}.${i & 255}`);
          if (r.token === '') throw new Error('no token');
        }),
      );

    ctx.log(`warm-up (${CONCURRENCY} logins each)`);
    await ratePerSecond(CONCURRENCY, CONCURRENCY, () => bcrypt.compare(PASSWORD, hash));
    await ratePerSecond(CONCURRENCY, CONCURRENCY, () => login.login('admin', PASSWORD, 'w'));
    ctx.log(
      `${pairs} interleaved pairs of ${logins} logins; the 500-1000 ms login delay is disabled by injection`,
    );
    const r = await interleave(pairs, reference, candidate);
    for (let i = 0; i < pairs; i++) {
      ctx.log(
        `pair ${i + 1}: raw bcrypt ${round(r.reference[i] ?? NaN, 1)}/s, LoginService ${round(r.candidate[i] ?? NaN, 1)}/s, ratio ${round(r.ratios[i] ?? NaN)}`,
      );
    }
    const ratio = median(r.ratios);
    return {
      scenario: 'login',
      metric: 'logins_per_second',
      value: median(r.candidate),
      unit: 'logins/s',
      reference: median(r.reference),
      ratio,
      target: `>= ${TARGET}x raw bcrypt.compare at concurrency ${CONCURRENCY}`,
      pass: ratio >= TARGET,
      details: {
        bcryptCost: 10,
        concurrency: CONCURRENCY,
        loginsPerRound: logins,
        pairs,
        loginDelay: 'disabled by injection (production adds 500-1000 ms per login)',
        ratioIqr: round(percentile(r.ratios, 75) - percentile(r.ratios, 25)),
        eventLoopDelayP99Ms: {
          loginService: round(median(lagCand), 2),
          rawBcrypt: round(median(lagRef), 2),
        },
      },
    };
  },
};
