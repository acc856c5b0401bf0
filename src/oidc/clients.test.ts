import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OidcError, argoCdClientSecret, buildClients } from './index.js';

describe('argoCdClientSecret', () => {
  const vectors = [
    // computed independently (Python: base64.urlsafe_b64encode(sha256(key)).decode()[:40])
    {
      name: 'a base64 server.secretkey',
      key: 'dGVzdC1zZXJ2ZXItc2VjcmV0LWtleS0zMi1ieXRlcw==',
      want: 'WNV7a4cD5gEEyZxxSzl7PXPFvfPxLC9Pe_iaW9mM',
    },
    {
      name: 'a key whose digest encodes "-" and "_"',
      key: 'c2VjcmV0LWtleS13aXRoLXNsYXNoZXMvKz0=',
      want: 'sus-Q6zxiSXGgkb9jVyrPXCURuKlFapGFMHI0xEm',
    },
  ];
  for (const v of vectors) {
    it(`derives the argo-cd client secret as Argo CD does for ${v.name}`, () => {
      assert.equal(argoCdClientSecret(v.key), v.want);
    });
  }

  it('refuses an empty key (a caller bug)', () => {
    assert.throws(() => argoCdClientSecret(''), TypeError);
  });
});

describe('buildClients', () => {
  it('registers argo-cd, argo-cd-cli and argo-cd-pkce with redirect URIs from url and additionalUrls', () => {
    const clients = buildClients({
      url: 'https://argocd.example.com/',
      additionalUrls: ['https://argocd.internal.example.com'],
      serverSecretKey: 'k3y',
      staticClients: [],
    });
    const byId = new Map(clients.map((c) => [c.clientId, c]));
    assert.deepEqual([...byId.keys()], ['argo-cd', 'argo-cd-cli', 'argo-cd-pkce']);
    const argo = byId.get('argo-cd');
    assert.ok(argo);
    assert.equal(argo.clientSecret, argoCdClientSecret('k3y'));
    assert.equal(argo.applicationType, 'web');
    assert.deepEqual(argo.redirectUris, [
      'https://argocd.example.com/auth/callback',
      'https://argocd.internal.example.com/auth/callback',
    ]);
    const cli = byId.get('argo-cd-cli');
    assert.ok(cli);
    assert.equal(cli.clientSecret, undefined, 'the CLI is a public client');
    assert.equal(cli.applicationType, 'native', 'so any loopback port is accepted');
    assert.deepEqual(cli.redirectUris, ['http://localhost:8085/auth/callback', 'http://localhost']);
    assert.deepEqual(byId.get('argo-cd-pkce')?.redirectUris, [
      'https://argocd.example.com/pkce/verify',
      'https://argocd.internal.example.com/pkce/verify',
    ]);
  });

  it('leaves argo-cd out while server.secretkey is unknown', () => {
    const ids = buildClients({
      url: 'https://a.example',
      additionalUrls: [],
      serverSecretKey: undefined,
      staticClients: [],
    }).map((c) => c.clientId);
    assert.deepEqual(ids, ['argo-cd-cli', 'argo-cd-pkce']);
  });

  it('adds static clients: public loopback ones as native, others as web', () => {
    const clients = buildClients({
      url: 'https://a.example',
      additionalUrls: [],
      serverSecretKey: undefined,
      staticClients: [
        {
          id: 'kubectl',
          name: undefined,
          secret: undefined,
          public: true,
          redirectURIs: ['http://localhost:8000'],
        },
        {
          id: 'spa',
          name: 'SPA',
          secret: undefined,
          public: true,
          redirectURIs: ['https://spa.example/cb'],
        },
        {
          id: 'wf',
          name: undefined,
          secret: 's',
          public: false,
          redirectURIs: ['https://wf.example/cb'],
        },
      ],
    });
    assert.deepEqual(
      clients.slice(2).map((c) => [c.clientId, c.name, c.applicationType, c.clientSecret]),
      [
        ['kubectl', 'kubectl', 'native', undefined],
        ['spa', 'SPA', 'web', undefined],
        ['wf', 'wf', 'web', 's'],
      ],
    );
  });

  it('refuses a url that is not http(s)', () => {
    assert.throws(
      () =>
        buildClients({
          url: 'ftp://a.example',
          additionalUrls: [],
          serverSecretKey: undefined,
          staticClients: [],
        }),
      (err: unknown) => err instanceof OidcError && /argocd-cm url/.test(err.message),
    );
    assert.throws(
      () =>
        buildClients({
          url: 'https://a.example',
          additionalUrls: ['nope'],
          serverSecretKey: undefined,
          staticClients: [],
        }),
      /additionalUrls\[0\]: "nope" is not a URL/,
    );
  });

  const badRedirects = [
    {
      name: 'a javascript: URI',
      uri: 'javascript:alert(1)',
      public: true,
      want: /must not use the javascript: scheme/,
    },
    { name: 'a relative URI', uri: '/callback', public: false, want: /is not an absolute URI/ },
    {
      name: 'a fragment',
      uri: 'https://x.example/cb#frag',
      public: false,
      want: /must not have a fragment/,
    },
    {
      name: 'a custom scheme on a confidential client',
      uri: 'myapp://cb',
      public: false,
      want: /must be http\(s\)/,
    },
  ];
  for (const c of badRedirects) {
    it(`refuses a static client with ${c.name}`, () => {
      assert.throws(
        () =>
          buildClients({
            url: 'https://a.example',
            additionalUrls: [],
            serverSecretKey: undefined,
            staticClients: [
              {
                id: 'bad',
                name: undefined,
                secret: c.public ? undefined : 's',
                public: c.public,
                redirectURIs: [c.uri],
              },
            ],
          }),
        (err: unknown) =>
          err instanceof OidcError && c.want.test(err.message) && /\(id bad\)/.test(err.message),
      );
    });
  }
});
