import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  AuthError,
  bcryptCost,
  generateInitialPassword,
  generateServerSecretKey,
  hashPassword,
  isBcryptHash,
  parseServerSecretKey,
  validatePasswordPattern,
  verifyPassword,
} from './index.js';
import { ScriptedRandom, SeededRandom } from './test-helpers.js';

function authCode(code: string) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof AuthError, `expected AuthError, got ${String(err)}`);
    assert.equal(err.code, code);
    return true;
  };
}

describe('hashPassword / verifyPassword', () => {
  it('hashes with bcrypt cost 10 by default and verifies the same password only', async () => {
    const hash = await hashPassword('correct horse');
    assert.ok(isBcryptHash(hash));
    assert.equal(bcryptCost(hash), 10);
    assert.equal(await verifyPassword('correct horse', hash), true);
    assert.equal(await verifyPassword('correct horsE', hash), false);
    assert.equal(await verifyPassword('', hash), false);
  });

  it('verifies Go-style $2a$ hashes (Argo CD writes $2a$10$)', async () => {
    const hash = (await hashPassword('from argo cd')).replace(/^\$2b\$/, '$2a$');
    assert.match(hash, /^\$2a\$10\$/);
    assert.equal(await verifyPassword('from argo cd', hash), true);
  });

  it('refuses a cost below 10', async () => {
    await assert.rejects(hashPassword('pw-long-enough', 9), authCode('ERR_AUTH_INVALID_OPTION'));
  });

  it('refuses to hash a 73-byte password instead of truncating it silently', async () => {
    await assert.rejects(hashPassword('a'.repeat(73)), (err: unknown) => {
      authCode('ERR_AUTH_INVALID_ARGUMENT')(err);
      assert.match((err as Error).message, /longer than 72 bytes/);
      return true;
    });
    // 72 bytes is fine; multi-byte characters count as bytes
    await hashPassword('a'.repeat(72));
    await assert.rejects(hashPassword('é'.repeat(37)), authCode('ERR_AUTH_INVALID_ARGUMENT'));
  });

  it('never verifies a 73-byte password whose first 72 bytes match (bcrypt truncation)', async () => {
    const password = 'p'.repeat(72);
    const hash = await hashPassword(password);
    assert.equal(await verifyPassword(password, hash), true);
    assert.equal(await verifyPassword(`${password}X`, hash), false);
  });

  it('refuses NUL characters (the native binding stops at them)', async () => {
    await assert.rejects(hashPassword('abc\u0000def'), authCode('ERR_AUTH_INVALID_ARGUMENT'));
    const hash = await hashPassword('abcdefgh');
    assert.equal(await verifyPassword('abcdefgh\u0000tail', hash), false);
  });

  it('returns false for malformed hashes instead of throwing', async () => {
    for (const hash of ['', 'plaintext', '$2a$10$short', '$1$abc$def']) {
      assert.equal(await verifyPassword('whatever', hash), false);
    }
  });
});

describe('validatePasswordPattern', () => {
  const cases = [
    { name: 'default pattern accepts 8 characters', pw: 'abcdefgh', ok: true },
    { name: 'default pattern refuses 7 characters', pw: 'abcdefg', ok: false },
    { name: 'default pattern refuses 33 characters', pw: 'a'.repeat(33), ok: false },
    { name: 'characters are counted, not UTF-16 units (as Go)', pw: '😀'.repeat(8), ok: true },
    { name: 'a newline does not match . (as Go)', pw: 'abcd\nefgh', ok: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      if (c.ok) validatePasswordPattern(c.pw);
      else
        assert.throws(() => {
          validatePasswordPattern(c.pw);
        }, authCode('ERR_AUTH_PASSWORD_POLICY'));
    });
  }

  it('names the pattern but never the password', () => {
    assert.throws(
      () => {
        validatePasswordPattern('hunter2', '^[0-9]+$');
      },
      (err: unknown) => {
        authCode('ERR_AUTH_PASSWORD_POLICY')(err);
        const message = (err as Error).message;
        assert.match(message, /\^\[0-9\]\+\$/);
        assert.doesNotMatch(message, /hunter2/);
        return true;
      },
    );
  });

  it('enforces the bcrypt limit whatever the pattern', () => {
    assert.throws(() => {
      validatePasswordPattern('x'.repeat(80), '.*');
    }, authCode('ERR_AUTH_PASSWORD_POLICY'));
  });

  it('reports a pattern that does not compile as a configuration error', () => {
    assert.throws(() => {
      validatePasswordPattern('abcdefgh', '(unclosed');
    }, authCode('ERR_AUTH_INVALID_OPTION'));
  });
});

describe('generateInitialPassword', () => {
  it('makes 16 characters of [0-9A-Za-z-]', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const pw = generateInitialPassword();
      assert.match(pw, /^[0-9A-Za-z-]{16}$/);
      seen.add(pw);
    }
    assert.equal(seen.size, 50);
  });

  it('skips bytes that would bias the choice (rejection sampling)', () => {
    // 252..255 are rejected; 0 -> '0', 62 -> '-', 63 -> '0' (wraps at 63 characters)
    const pw = generateInitialPassword(new ScriptedRandom([255, 252, 0, 62, 63, 253]), 4);
    assert.equal(pw, '0-00');
  });

  it('uses the injected random source', () => {
    assert.equal(
      generateInitialPassword(new SeededRandom(7)),
      generateInitialPassword(new SeededRandom(7)),
    );
  });
});

describe('server secret key', () => {
  it('generates the base64 text of 32 random bytes, as Argo CD does', () => {
    const key = generateServerSecretKey();
    const text = key.toString('utf8');
    assert.match(text, /^[A-Za-z0-9+/]{43}=$/);
    assert.equal(Buffer.from(text, 'base64').length, 32);
    assert.deepEqual(parseServerSecretKey(text), new Uint8Array(key));
  });

  it('refuses a missing key and says how to get one', () => {
    assert.throws(
      () => parseServerSecretKey(undefined),
      (err: unknown) => {
        authCode('ERR_AUTH_INVALID_SECRET_KEY')(err);
        assert.match((err as Error).message, /openssl rand -base64 32/);
        return true;
      },
    );
  });

  it('refuses a key shorter than 32 bytes without echoing it', () => {
    assert.throws(
      () => parseServerSecretKey('tooshort-secret'),
      (err: unknown) => {
        authCode('ERR_AUTH_INVALID_SECRET_KEY')(err);
        assert.match((err as Error).message, /15 bytes long/);
        assert.doesNotMatch((err as Error).message, /tooshort-secret/);
        return true;
      },
    );
  });
});
