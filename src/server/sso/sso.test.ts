import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgoCdConfigMap } from '../../apis/index.js';
import {
  dexClientSecret,
  referencedSecrets,
  resolveSsoConfig,
  type SsoConfigInput,
} from './config.js';
import { displayableErrorCode, errorPage, escapeHtml } from './pages.js';
import { stripHopByHop, withoutOwnCookies } from './proxy.js';
import { checkReturnUrl, loginBase } from './return-url.js';
import { describeError, expandLogoutUrl, resolveDexServerUrl } from './service.js';

function input(
  cm: Record<string, string>,
  secretData: Record<string, string> = { 'server.secretkey': 'a-server-secret-key' },
  secrets: Record<string, Record<string, string>> = {},
): SsoConfigInput {
  return {
    settings: parseArgoCdConfigMap(cm).settings,
    cm,
    secretData,
    lookupSecret: (name, key) => secrets[name]?.[key],
  };
}

describe('resolveSsoConfig', () => {
  it('is off without dex.config and oidc.config', () => {
    assert.equal(resolveSsoConfig(input({ url: 'https://cd.example.com' })).config, undefined);
  });

  it('configures the bundled provider from dex.config with Argo CD’s clients', () => {
    const { config, problems } = resolveSsoConfig(
      input({ url: 'https://cd.example.com/', 'dex.config': 'connectors: []' }),
    );
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.kind, 'dex');
    assert.equal(config.issuer, 'https://cd.example.com/api/dex');
    assert.equal(config.clientId, 'argo-cd');
    assert.equal(config.clientSecret, dexClientSecret('a-server-secret-key'));
    assert.equal(config.clientSecret.length, 40);
    assert.deepEqual(config.allowedAudiences, ['argo-cd', 'argo-cd-cli']);
    assert.deepEqual(config.scopes, ['openid', 'profile', 'email', 'groups']);
    assert.equal(config.pkce, true);
  });

  it('needs url for either provider and says so', () => {
    const { config, problems } = resolveSsoConfig(input({ 'dex.config': 'connectors: []' }));
    assert.equal(config, undefined);
    assert.match(problems.join(), /has no "url"/);
  });

  it('prefers oidc.config and resolves $key and $name:key references', () => {
    const { config, problems } = resolveSsoConfig(
      input(
        {
          url: 'https://cd.example.com',
          'dex.config': 'connectors: []',
          'oidc.config': `
name: Okta
issuer: https://example.okta.com/
clientID: argo
clientSecret: $oidc.okta:clientSecret
cliClientID: argo-cli
requestedScopes: [email, groups]
requestedIDTokenClaims: {groups: {essential: true}}
rootCA: $oidc.ca
logoutURL: https://example.okta.com/logout?id_token_hint={{token}}
refreshTokenThreshold: 5m
`,
        },
        { 'server.secretkey': 'k', 'oidc.ca': 'PEM' },
        { 'oidc.okta': { clientSecret: ' s3cret \n' } },
      ),
    );
    assert.deepEqual(problems, []);
    assert.ok(config);
    assert.equal(config.kind, 'oidc');
    assert.equal(config.issuer, 'https://example.okta.com');
    assert.equal(config.clientSecret, 's3cret');
    assert.equal(config.rootCa, 'PEM');
    assert.deepEqual(config.scopes, ['openid', 'email', 'groups']);
    assert.deepEqual(config.allowedAudiences, ['argo', 'argo-cli']);
    assert.deepEqual(config.idTokenClaims, { groups: { essential: true } });
    assert.equal(config.refreshThresholdMs, 300_000);
    assert.equal(config.pkce, true);
    assert.equal(config.insecureSkipVerify, false);
    assert.deepEqual(referencedSecrets('clientSecret: $oidc.okta:clientSecret\nx: $plain'), [
      'oidc.okta',
    ]);
  });

  const refusals: { name: string; oidc: string; want: RegExp }[] = [
    {
      name: 'a plain-HTTP issuer',
      oidc: 'issuer: http://idp.example.com\nclientID: a',
      want: /https/,
    },
    { name: 'a missing clientID', oidc: 'issuer: https://idp.example.com', want: /no clientID/ },
    {
      name: 'an issuer that is not a URL',
      oidc: 'issuer: "not a url"\nclientID: a',
      want: /not a URL/,
    },
  ];
  for (const c of refusals) {
    it(`turns SSO off for ${c.name}`, () => {
      const { config, problems } = resolveSsoConfig(
        input({ url: 'https://cd.example.com', 'oidc.config': c.oidc }),
      );
      assert.equal(config, undefined);
      assert.match(problems.join('\n'), c.want);
    });
  }

  it('uses allowedAudiences and the insecure switch as configured, and never logs a secret', () => {
    const { config, problems } = resolveSsoConfig(
      input({
        url: 'https://cd.example.com',
        'oidc.tls.insecure.skip.verify': 'true',
        'oidc.config':
          'issuer: https://idp.example.com\nclientID: a\nclientSecret: $missing\nallowedAudiences: [x, y]\nenablePKCEAuthentication: false',
      }),
    );
    assert.ok(config);
    assert.deepEqual(config.allowedAudiences, ['x', 'y']);
    assert.equal(config.insecureSkipVerify, true);
    assert.equal(config.pkce, false);
    assert.match(problems.join(), /"\$missing" names no key/);
  });

  it('changes its fingerprint with the configuration', () => {
    const a = resolveSsoConfig(
      input({ url: 'https://a.example.com', 'dex.config': 'x: 1' }),
    ).config;
    const b = resolveSsoConfig(
      input({ url: 'https://b.example.com', 'dex.config': 'x: 1' }),
    ).config;
    const a2 = resolveSsoConfig(
      input({ url: 'https://a.example.com', 'dex.config': 'y: 2' }),
    ).config;
    assert.notEqual(a?.fingerprint, b?.fingerprint);
    assert.equal(a?.fingerprint, a2?.fingerprint);
  });
});

describe('checkReturnUrl', () => {
  const urls = { url: 'https://cd.example.com', additionalUrls: ['https://cd.internal:8443/argo'] };
  const cases: { name: string; in: string | undefined; want: string | undefined }[] = [
    { name: 'empty gives url', in: undefined, want: 'https://cd.example.com/' },
    {
      name: 'a page of url',
      in: 'https://cd.example.com/applications?a=1',
      want: 'https://cd.example.com/applications?a=1',
    },
    {
      name: 'a page of an additional url',
      in: 'https://cd.internal:8443/argo/x',
      want: 'https://cd.internal:8443/argo/x',
    },
    {
      name: 'outside the additional url path',
      in: 'https://cd.internal:8443/other',
      want: undefined,
    },
    {
      name: 'a path that only starts alike',
      in: 'https://cd.internal:8443/argonaut',
      want: undefined,
    },
    { name: 'another host', in: 'https://evil.example/', want: undefined },
    {
      name: 'a host that starts alike',
      in: 'https://cd.example.com.evil.example/',
      want: undefined,
    },
    { name: 'another scheme', in: 'http://cd.example.com/', want: undefined },
    { name: 'another port', in: 'https://cd.example.com:444/', want: undefined },
    { name: 'protocol-relative', in: '//evil.example/', want: undefined },
    { name: 'javascript:', in: 'javascript:alert(1)', want: undefined },
    { name: 'backslashes', in: 'https://cd.example.com\\@evil.example/', want: undefined },
    { name: 'credentials', in: 'https://a:b@cd.example.com/', want: undefined },
    { name: 'control characters', in: 'https://cd.example.com/\n', want: undefined },
    { name: 'relative', in: '/applications', want: undefined },
  ];
  for (const c of cases)
    it(`${c.want === undefined ? 'refuses' : 'accepts'} ${c.name}`, () => {
      assert.equal(checkReturnUrl(c.in, urls), c.want);
    });

  it('picks the base by request host, then by return URL', () => {
    assert.equal(
      loginBase(urls, 'cd.internal:8443', 'https://cd.example.com/'),
      'https://cd.internal:8443/argo',
    );
    assert.equal(
      loginBase(urls, 'unknown', 'https://cd.internal:8443/argo/x'),
      'https://cd.internal:8443/argo',
    );
    assert.equal(loginBase(urls, undefined, 'https://cd.example.com/'), 'https://cd.example.com');
  });
});

describe('error page', () => {
  it('escapes everything and shows only well-formed error codes', () => {
    const html = errorPage({
      title: '<t>',
      message: '"m" & <b>',
      code: '<script>',
      retryHref: 'a"b',
    });
    assert.ok(!html.includes('<t>') && !html.includes('<b>') && !html.includes('<script>'));
    assert.ok(html.includes('&lt;t&gt;') && html.includes('&quot;m&quot; &amp; &lt;b&gt;'));
    assert.ok(html.includes('href="a&quot;b"'));
    assert.equal(displayableErrorCode('access_denied'), 'access_denied');
    assert.equal(displayableErrorCode('Access Denied!'), undefined);
    assert.equal(escapeHtml(`'`), '&#39;');
  });
});

describe('dex proxy headers', () => {
  it('drops hop-by-hop headers and those Connection names', () => {
    const out = stripHopByHop({
      connection: 'keep-alive, x-private',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      upgrade: 'h2c',
      'x-private': '1',
      'proxy-authorization': 'Basic x',
      te: 'trailers',
      accept: 'text/html',
    });
    assert.deepEqual(out, { accept: 'text/html' });
  });

  it('never forwards the session and login-state cookies', () => {
    assert.equal(
      withoutOwnCookies(
        'argocd.token=a; _interaction=b; argocd.token-1=c; argocd.oauthstate=d; x=1',
      ),
      '_interaction=b; x=1',
    );
    assert.equal(withoutOwnCookies('argocd.token=2:a'), undefined);
    assert.equal(withoutOwnCookies(undefined), undefined);
  });
});

describe('Dex link and logout helpers', () => {
  it('builds the provider URL from --dex-server and --dex-server-plaintext', () => {
    assert.equal(
      resolveDexServerUrl('argocd-dex-server:5556', false).href,
      'https://argocd-dex-server:5556/',
    );
    assert.equal(
      resolveDexServerUrl('argocd-dex-server:5556', true).href,
      'http://argocd-dex-server:5556/',
    );
    assert.equal(resolveDexServerUrl('https://[::1]:5556', false).hostname, '[::1]');
    assert.throws(() => resolveDexServerUrl('http://dex:5556', false), /TLS is required/);
    assert.throws(() => resolveDexServerUrl('https://dex:5556', true), /one or the other/);
    assert.throws(() => resolveDexServerUrl('ftp://dex:5556', false), /http\(s\)/);
    assert.throws(() => resolveDexServerUrl('https://dex:5556/path', false), /only scheme/);
  });

  it('fills the logoutURL placeholders, encoded', () => {
    assert.equal(
      expandLogoutUrl(
        'https://idp/logout?id_token_hint={{token}}&r={{logoutRedirectURL}}',
        'a.b.c',
        'https://cd.example.com/',
      ),
      'https://idp/logout?id_token_hint=a.b.c&r=https%3A%2F%2Fcd.example.com%2F',
    );
  });

  it('describes errors with their causes and the failed claim', () => {
    const inner = new Error('unable to verify the first certificate');
    assert.equal(
      describeError(new Error('something went wrong', { cause: inner })),
      'something went wrong: unable to verify the first certificate',
    );
    assert.equal(
      describeError(new Error('unexpected JWT claim value', { cause: { claim: 'nonce' } })),
      'unexpected JWT claim value: claim "nonce"',
    );
  });
});
