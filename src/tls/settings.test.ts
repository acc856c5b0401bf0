import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createSecureContext, getCiphers } from 'node:tls';
import { recordingLogger } from '../../test/support/tls.js';
import {
  DEFAULT_TLS_CIPHERS,
  formatSupportedCipherSuites,
  handleTlsCiphersList,
  isTlsError,
  listSupportedCipherSuites,
  parseTlsVersion,
  resolveTlsSettings,
  type TlsSettingsInput,
} from './index.js';

describe('parseTlsVersion', () => {
  const cases = [
    { name: '1.0', input: '1.0', want: '1.0' },
    { name: '1.1', input: '1.1', want: '1.1' },
    { name: '1.2', input: '1.2', want: '1.2' },
    { name: '1.3 with spaces', input: ' 1.3 ', want: '1.3' },
  ];
  for (const c of cases)
    it(`accepts ${c.name}`, () => {
      assert.equal(parseTlsVersion(c.input), c.want);
    });

  for (const bad of ['1.4', 'TLSv1.2', '', '1', 'ssl3'])
    it(`rejects "${bad}" naming the flag`, () => {
      assert.throws(
        () => parseTlsVersion(bad, '--tlsmaxversion'),
        (err: unknown) =>
          isTlsError(err, 'ERR_TLS_INVALID_OPTION') && err.message.includes('--tlsmaxversion'),
      );
    });
});

describe('resolveTlsSettings', () => {
  it('defaults to TLS 1.2-1.3 with Argo CD’s suite, its ECDSA twin and the TLS 1.3 suites', () => {
    const s = resolveTlsSettings();
    assert.equal(s.nodeMinVersion, 'TLSv1.2');
    assert.equal(s.nodeMaxVersion, 'TLSv1.3');
    assert.deepEqual(
      s.cipherSuites.map((c) => c.name),
      [
        'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384',
        'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384',
        'TLS_AES_128_GCM_SHA256',
        'TLS_AES_256_GCM_SHA384',
        'TLS_CHACHA20_POLY1305_SHA256',
      ],
    );
    assert.equal(
      s.ciphers,
      'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256',
    );
    assert.deepEqual(s.warnings, []);
  });

  const errors: { name: string; input: TlsSettingsInput; flag: string; text: RegExp }[] = [
    {
      name: 'an unknown suite',
      input: { ciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_FOO_BAR' },
      flag: '--tlsciphers',
      text: /unknown cipher suite "TLS_FOO_BAR"/,
    },
    {
      name: 'an OpenSSL name instead of an IANA name',
      input: { ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' },
      flag: '--tlsciphers',
      text: /unknown cipher suite/,
    },
    {
      name: 'a minimum above the maximum',
      input: { minVersion: '1.3', maxVersion: '1.2' },
      flag: '--tlsminversion',
      text: /--tlsminversion 1\.3 is higher than --tlsmaxversion 1\.2/,
    },
    {
      name: 'an invalid maximum',
      input: { maxVersion: '2.0' },
      flag: '--tlsmaxversion',
      text: /not a TLS version/,
    },
    {
      name: 'only TLS 1.3 suites while TLS 1.2 is allowed',
      input: { ciphers: 'TLS_AES_256_GCM_SHA384' },
      flag: '--tlsciphers',
      text: /none of the listed suites works with TLS 1\.2/,
    },
    {
      name: 'an empty list',
      input: { ciphers: ' : ' },
      flag: '--tlsciphers',
      text: /empty/,
    },
    {
      name: 'the list request, not handled by the program',
      input: { ciphers: 'list' },
      flag: '--tlsciphers',
      text: /handleTlsCiphersList/,
    },
    {
      name: 'an unknown suite even when min is 1.3',
      input: { minVersion: '1.3', ciphers: 'TLS_TYPO' },
      flag: '--tlsciphers',
      text: /TLS_TYPO/,
    },
  ];
  for (const c of errors)
    it(`refuses ${c.name} with an error naming ${c.flag}`, () => {
      assert.throws(
        () => resolveTlsSettings(c.input),
        (err: unknown) =>
          isTlsError(err, 'ERR_TLS_INVALID_OPTION') &&
          err.message.includes(c.flag) &&
          c.text.test(err.message),
      );
    });

  it('accepts the TLS document’s default list and warns about the suite without forward secrecy', () => {
    const log = recordingLogger();
    const s = resolveTlsSettings(
      { ciphers: 'TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384:TLS_RSA_WITH_AES_256_GCM_SHA384' },
      log,
    );
    assert.ok(s.ciphers.startsWith('ECDHE-RSA-AES256-GCM-SHA384:AES256-GCM-SHA384:'));
    assert.equal(log.entries.length, 1);
    assert.match(
      log.entries[0]?.msg ?? '',
      /without forward secrecy.*TLS_RSA_WITH_AES_256_GCM_SHA384/,
    );
  });

  it('ignores the list with a warning when the minimum is 1.3', () => {
    const log = recordingLogger();
    const s = resolveTlsSettings(
      { minVersion: '1.3', ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256' },
      log,
    );
    assert.ok(s.cipherSuites.every((c) => c.versions.includes('1.3')));
    assert.equal(s.ciphers.includes('ECDHE'), false);
    assert.match(
      log.entries[0]?.msg ?? '',
      /--tlsciphers is ignored because --tlsminversion is 1\.3/,
    );
  });

  it('does not warn about the default list when the minimum is 1.3', () => {
    const log = recordingLogger();
    resolveTlsSettings({ minVersion: '1.3', ciphers: DEFAULT_TLS_CIPHERS }, log);
    assert.equal(log.entries.length, 0);
  });

  it('offers only the TLS 1.3 suites the list names', () => {
    const s = resolveTlsSettings({
      ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384:TLS_AES_256_GCM_SHA384',
    });
    assert.equal(s.ciphers, 'ECDHE-ECDSA-AES256-GCM-SHA384:TLS_AES_256_GCM_SHA384');
  });

  it('drops TLS 1.3 suites when the maximum is 1.2', () => {
    const s = resolveTlsSettings({ maxVersion: '1.2' });
    assert.equal(s.ciphers, 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384');
  });

  it('lowers the OpenSSL security level for TLS 1.0/1.1 and warns', () => {
    const log = recordingLogger();
    const s = resolveTlsSettings(
      { minVersion: '1.0', ciphers: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA' },
      log,
    );
    assert.equal(s.nodeMinVersion, 'TLSv1');
    assert.ok(s.ciphers.endsWith(':@SECLEVEL=0'));
    assert.ok(log.entries.some((e) => e.level === 'warn' && /security level 0/.test(e.msg)));
  });

  it('produces cipher strings OpenSSL accepts', () => {
    for (const input of [{}, { minVersion: '1.0' }, { maxVersion: '1.2' }, { minVersion: '1.3' }]) {
      const s = resolveTlsSettings(input);
      assert.doesNotThrow(() =>
        createSecureContext({
          ciphers: s.ciphers,
          minVersion: s.nodeMinVersion,
          maxVersion: s.nodeMaxVersion,
        }),
      );
    }
  });
});

describe('listSupportedCipherSuites', () => {
  it('maps every suite to a name this OpenSSL knows', () => {
    const available = new Set(getCiphers());
    const suites = listSupportedCipherSuites();
    assert.ok(suites.length >= 15, `${suites.length} suites`);
    for (const s of suites) assert.ok(available.has(s.openssl.toLowerCase()), s.openssl);
    for (const s of suites)
      assert.doesNotThrow(() => createSecureContext({ ciphers: s.openssl }), s.name);
  });

  it('includes Argo CD’s defaults', () => {
    const names = listSupportedCipherSuites().map((s) => s.name);
    assert.ok(names.includes('TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384'));
    assert.ok(names.includes('TLS_RSA_WITH_AES_256_GCM_SHA384'));
  });
});

describe('handleTlsCiphersList', () => {
  it('prints the supported suites for "list" and reports it handled', () => {
    let out = '';
    assert.equal(
      handleTlsCiphersList('list', (t) => (out += t)),
      true,
    );
    assert.equal(out, formatSupportedCipherSuites());
    assert.match(out, /^Supported TLS ciphers:\n/);
    assert.match(out, /\* TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 \(TLS versions: 1\.2\)/);
    assert.match(out, /\* TLS_AES_128_GCM_SHA256 \(TLS versions: 1\.3\)/);
  });

  it('does nothing for a cipher list', () => {
    let out = '';
    assert.equal(
      handleTlsCiphersList(DEFAULT_TLS_CIPHERS, (t) => (out += t)),
      false,
    );
    assert.equal(handleTlsCiphersList(undefined), false);
    assert.equal(out, '');
  });
});
