/**
 * `sso-verify`: what verifying an SSO ID token costs per API request. A browser session sends the
 * same token with every call, so the candidate verifies one token repeatedly through
 * OidcTokenVerifier (alg allow-list, issuer pre-check, signature against the cached JWKS with the
 * signature result cached, exp/nbf/iat, audience, revocation lookup on every call). The floor is
 * jose `jwtVerify` with the public key already imported and the same options (what a verifier
 * without the signature cache pays per request). Ratio = candidate rate / floor rate; target >= 5.
 * The details also give the first-sight cost (a new token each time: RSA every call) against the
 * same floor, which must stay >= 0.7 (the extra checks cost little next to RSA).
 */
import { exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { MemoryRevocationStore, OidcTokenVerifier, type OidcFetch } from '../../src/auth/index.js';
import { interleave, median, percentile, round, type Scenario } from '../lib.js';

const TARGET = 5;
const FIRST_SIGHT_TARGET = 0.7;
const ISSUER = 'https://argocd.example.com/api/dex';

const sizes = {
  S: { rounds: 500, pairs: 5 },
  M: { rounds: 2_000, pairs: 7 },
  L: { rounds: 5_000, pairs: 9 },
} as const;

export const scenario: Scenario = {
  name: 'sso-verify',
  description:
    'SSO ID-token verifications/s through OidcTokenVerifier vs bare jose jwtVerify (RS256)',
  async run(ctx) {
    const { rounds, pairs } = sizes[ctx.size];
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    let fetches = 0;
    const fetch: OidcFetch = () => {
      fetches++;
      return Promise.resolve(Response.json({ keys: [jwk] }));
    };
    const makeVerifier = (): OidcTokenVerifier =>
      new OidcTokenVerifier(
        { issuer: ISSUER, jwksUri: `${ISSUER}/keys`, allowedAudiences: ['argo-cd', 'argo-cd-cli'] },
        { fetch, revocations: new MemoryRevocationStore() },
      );
    const verifier = makeVerifier();
    const token = await new SignJWT({
      sub: 'CgVlcmluLTESBWxvY2Fs',
      email: 'erin@example.com',
      groups: ['ops', 'dev'],
      at_hash: 'x7c0',
    })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience('argo-cd')
      .setIssuedAt()
      .setExpirationTime('1h')
      .sign(privateKey);

    const fresh: string[] = [];
    for (let i = 0; i < rounds; i++)
      fresh.push(
        await new SignJWT({ sub: `user-${i}`, groups: ['ops'] })
          .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
          .setIssuer(ISSUER)
          .setAudience('argo-cd')
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(privateKey),
      );
    const rate = async (fn: () => Promise<unknown>): Promise<number> => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < rounds; i++) await fn();
      return rounds / (Number(process.hrtime.bigint() - t0) / 1e9);
    };
    const reference = (): Promise<number> =>
      rate(() =>
        jwtVerify(token, publicKey, { issuer: ISSUER, audience: 'argo-cd', algorithms: ['RS256'] }),
      );
    const candidate = (): Promise<number> => rate(() => verifier.verify(token));
    const firstSight = async (): Promise<number> => {
      // a new verifier each round (keys loaded before timing), so no token was seen before
      const v = makeVerifier();
      await v.keys.reload();
      let n = 0;
      return rate(() => v.verify(fresh[n++ % rounds] ?? ''));
    };
    const joseFresh = (): Promise<number> => {
      let m = 0;
      return rate(() =>
        jwtVerify(fresh[m++ % rounds] ?? '', publicKey, {
          issuer: ISSUER,
          audience: 'argo-cd',
          algorithms: ['RS256'],
        }),
      );
    };

    ctx.log('warm-up');
    await reference();
    await candidate();
    ctx.log(`${pairs} interleaved pairs of ${rounds} sequential verifications`);
    const r = await interleave(pairs, reference, candidate);
    for (let i = 0; i < pairs; i++)
      ctx.log(
        `pair ${i + 1}: jose ${round(r.reference[i] ?? NaN, 0)}/s, OidcTokenVerifier ${round(r.candidate[i] ?? NaN, 0)}/s, ratio ${round(r.ratios[i] ?? NaN)}`,
      );
    ctx.log(`first sight: ${pairs} interleaved pairs of ${rounds} distinct tokens`);
    const f = await interleave(pairs, joseFresh, firstSight);
    const ratio = median(r.ratios);
    const firstRatio = median(f.ratios);
    const value = median(r.candidate);
    return {
      scenario: 'sso-verify',
      metric: 'verifications_per_second',
      value: round(value, 0),
      unit: 'verifications/s',
      reference: round(median(r.reference), 0),
      ratio: round(ratio),
      target: `>= ${TARGET}x bare jose jwtVerify (RS256, key imported)`,
      pass: ratio >= TARGET && firstRatio >= FIRST_SIGHT_TARGET,
      details: {
        firstSight: {
          verificationsPerSecond: round(median(f.candidate), 0),
          joseVerificationsPerSecond: round(median(f.reference), 0),
          ratio: round(firstRatio),
          target: `>= ${FIRST_SIGHT_TARGET}x`,
        },
        microsecondsPerVerification: round(1e6 / value, 1),
        jwksFetches: fetches,
        pairs,
        roundsPerSide: rounds,
        ratioIqr: round(percentile(r.ratios, 75) - percentile(r.ratios, 25)),
      },
    };
  },
};
