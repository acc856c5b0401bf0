import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import {
  KeyManager,
  MemoryKeyStore,
  OidcError,
  decodeKeySet,
  encodeKeySet,
  generateSigningKey,
  type KeySet,
  type KeyStore,
  type SigningKey,
  type StoredKeySet,
} from './index.js';

const HOUR = 3_600_000;

/** Pre-generated keys handed out in order, so tests do not wait for RSA generation each time. */
function keySource(keys: SigningKey[]): (now: number) => Promise<SigningKey> {
  let i = 0;
  return (now) => {
    const k = keys[i++ % keys.length];
    assert.ok(k);
    return Promise.resolve({ ...k, kid: `${k.kid}-${i}`, createdAt: now });
  };
}

function expectKeyError(text: string, want: RegExp): void {
  assert.throws(
    () => decodeKeySet(text),
    (err: unknown) =>
      err instanceof OidcError && err.code === 'ERR_OIDC_KEYS' && want.test(err.message),
  );
}

describe('signing key sets', () => {
  let pool: SigningKey[];
  before(async () => {
    pool = await Promise.all([generateSigningKey(0), generateSigningKey(0), generateSigningKey(0)]);
  });

  it('generates 2048-bit RS256 keys with random kids', () => {
    const [a, b] = pool;
    assert.ok(a && b);
    assert.equal(a.alg, 'RS256');
    assert.equal(Buffer.from(a.jwk.n, 'base64url').length, 256);
    assert.notEqual(a.kid, b.kid);
  });

  it('round-trips through the stored JSON', () => {
    const [a, b] = pool;
    assert.ok(a && b);
    const set: KeySet = {
      keys: [
        { ...a, createdAt: 2 * HOUR },
        { ...b, createdAt: HOUR, retiredAt: 2 * HOUR },
      ],
    };
    assert.deepEqual(decodeKeySet(encodeKeySet(set)), set);
  });

  it('refuses stored keys that are malformed or weak', () => {
    const [a] = pool;
    assert.ok(a);
    const good = JSON.parse(encodeKeySet({ keys: [a] })) as { keys: Record<string, unknown>[] };
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'jwk',
    });
    const variants: { name: string; text: string; want: RegExp }[] = [
      { name: 'not JSON', text: '{', want: /not JSON/ },
      { name: 'no keys', text: '{"keys":[]}', want: /at least one key/ },
      {
        name: 'an RSA key under 2048 bits',
        text: JSON.stringify({ keys: [{ ...good.keys[0], jwk: weak }] }),
        want: /1024-bit RSA key; at least 2048 bits/,
      },
      {
        name: 'a public key only',
        text: JSON.stringify({
          keys: [{ ...good.keys[0], jwk: { kty: 'RSA', n: a.jwk.n, e: a.jwk.e } }],
        }),
        want: /jwk\.d is missing/,
      },
      {
        name: 'another algorithm',
        text: JSON.stringify({ keys: [{ ...good.keys[0], alg: 'HS256' }] }),
        want: /alg must be RS256/,
      },
      {
        name: 'a duplicate kid',
        text: JSON.stringify({
          keys: [good.keys[0], { ...good.keys[0], retiredAt: new Date(0).toISOString() }],
        }),
        want: /used twice/,
      },
      {
        name: 'a retired current key',
        text: JSON.stringify({ keys: [{ ...good.keys[0], retiredAt: new Date(0).toISOString() }] }),
        want: /current key and cannot be retired/,
      },
    ];
    for (const v of variants) expectKeyError(v.text, v.want);
  });
});

describe('KeyManager', () => {
  let pool: SigningKey[];
  before(async () => {
    pool = await Promise.all([generateSigningKey(0), generateSigningKey(0)]);
  });

  function manager(store: KeyStore, clock: { now: number }): KeyManager {
    return new KeyManager({
      store,
      rotationPeriodMs: 24 * HOUR,
      retentionMs: 10 * HOUR,
      now: () => clock.now,
      generate: keySource(pool),
    });
  }

  it('creates the first key, keeps it within the period, rotates after it and prunes after retention', async () => {
    const clock = { now: 0 };
    const km = manager(new MemoryKeyStore(), clock);
    assert.equal(await km.sync(), true);
    const first = km.keySet.keys[0]?.kid;

    clock.now = 23 * HOUR;
    assert.equal(await km.sync(), false, 'nothing to do within the rotation period');

    clock.now = 24 * HOUR;
    assert.equal(await km.sync(), true);
    assert.equal(km.keySet.keys.length, 2);
    assert.equal(km.keySet.keys[1]?.kid, first, 'the old key stays published');
    assert.equal(km.keySet.keys[1]?.retiredAt, 24 * HOUR);

    clock.now = 24 * HOUR + 10 * HOUR - 1;
    await km.sync();
    assert.equal(km.keySet.keys.length, 2, 'kept until every token it signed has expired');
    clock.now = 24 * HOUR + 10 * HOUR;
    assert.equal(await km.sync(), true);
    assert.deepEqual(
      km.keySet.keys.map((k) => k.kid),
      [km.keySet.keys[0]?.kid],
    );
  });

  it('rotates on demand, current key first', async () => {
    const clock = { now: 0 };
    const km = manager(new MemoryKeyStore(), clock);
    await km.sync();
    const old = km.keySet.keys[0]?.kid;
    const set = await km.rotate();
    assert.equal(set.keys[1]?.kid, old);
    assert.notEqual(set.keys[0]?.kid, old);
    assert.equal(set.keys[0]?.retiredAt, undefined);
  });

  it('lets a second replica adopt the keys another one created or rotated', async () => {
    const clock = { now: 0 };
    const store = new MemoryKeyStore();
    const a = manager(store, clock);
    const b = manager(store, clock);
    await a.sync();
    await b.sync();
    assert.deepEqual(b.keySet, a.keySet, 'b did not create a key of its own');
    await a.rotate();
    assert.equal(await b.sync(), true);
    assert.deepEqual(b.keySet, a.keySet);
  });

  it('retries when another writer saves between its load and its save', async () => {
    const clock = { now: 0 };
    const inner = new MemoryKeyStore();
    const other = manager(inner, clock);
    let interfere = true;
    const racy: KeyStore = {
      load: () => inner.load(),
      async save(set: KeySet, version: string | undefined): Promise<string> {
        if (interfere) {
          interfere = false;
          await other.sync(); // someone else creates the first key meanwhile
        }
        return inner.save(set, version);
      },
    };
    const km = manager(racy, clock);
    await km.sync();
    assert.deepEqual(km.keySet, other.keySet, 'the loser adopted the winner keys');
  });

  it('reports a broken store as a key error', async () => {
    const broken: KeyStore = {
      load: (): Promise<StoredKeySet | undefined> => Promise.reject(new Error('etcd down')),
      save: () => Promise.reject(new Error('unreachable')),
    };
    await assert.rejects(
      manager(broken, { now: 0 }).sync(),
      (err: unknown) => err instanceof OidcError && err.code === 'ERR_OIDC_KEYS',
    );
  });
});
