import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EMPTY_DEX_CONFIG, OidcError, parseDexConfig, secretReferences } from './index.js';

const full = readFileSync(new URL('testdata/dex-config-full.yaml', import.meta.url), 'utf8');
const HASH = '$2a$10$2b2cU8CPhOTaGrs1HRQuAueS7JTT5ZHsHSzYiFPm1leZck7Mc8T4W';
const secrets: Record<string, string> = {
  'dex.okta.clientSecret': '  okta-secret \n',
  'argo-workflows-sso:client-secret': 'workflows-secret',
};
const lookup = (ref: string): string | undefined => secrets[ref];

function configError(text: string): OidcError {
  try {
    parseDexConfig(text, lookup);
  } catch (err) {
    assert.ok(err instanceof OidcError, String(err));
    assert.equal(err.code, 'ERR_OIDC_CONFIG');
    return err;
  }
  assert.fail('expected parseDexConfig to throw');
}

describe('parseDexConfig', () => {
  it('reads a complete dex.config written for Argo CD', () => {
    const { config, warnings } = parseDexConfig(full, lookup);
    assert.equal(config.enablePasswordDB, true);
    assert.deepEqual(
      config.staticPasswords.map((u) => [u.email, u.username, u.userID, u.hash, u.groups]),
      [
        ['admin@example.com', 'admin', '08a8684b-db88-4b73-90a9-3cd1661f5466', HASH, ['admins']],
        ['dev@example.com', 'dev', '41331323-6f44-45e6-b3b9-2c4b60c02be5', HASH, []],
      ],
    );
    const [okta] = config.connectors;
    assert.ok(okta);
    assert.equal(okta.id, 'okta');
    assert.equal(okta.name, 'Okta');
    assert.equal(okta.settings.issuer, 'https://example.okta.com');
    assert.equal(
      okta.settings.clientSecret,
      'okta-secret',
      'references resolve, trimmed as Argo CD does',
    );
    assert.equal(okta.settings.groupsClaim, 'okta_groups');
    assert.equal(okta.settings.insecureEnableGroups, true);
    assert.equal(okta.settings.getUserInfo, true);
    assert.equal(okta.settings.insecureSkipVerify, false, 'TLS is verified unless said otherwise');
    assert.deepEqual(okta.settings.scopes, ['profile', 'email', 'groups']);
    assert.deepEqual(
      config.staticClients.map((c) => [c.id, c.public, c.secret, c.redirectURIs]),
      [
        [
          'argo-workflows-sso',
          false,
          'workflows-secret',
          ['https://argo-workflows.example.com/oauth2/callback'],
        ],
        ['kubectl', true, undefined, ['http://localhost:8000']],
      ],
    );
    assert.equal(config.idTokenTtlMs, 12 * 3_600_000);
    assert.equal(config.signingKeyRotationMs, 6 * 3_600_000);
    assert.equal(config.refreshTokenTtlMs, 720 * 3_600_000);
    assert.deepEqual(warnings, [
      'logger: ignored (argocd-dex-server sets it itself, as Argo CD does for Dex)',
    ]);
  });

  it('treats an absent or empty dex.config as no login methods', () => {
    for (const text of [undefined, '', '  \n', '# only a comment\n'])
      assert.deepEqual(parseDexConfig(text).config, EMPTY_DEX_CONFIG);
  });

  it('lists the secret references a config uses', () => {
    assert.deepEqual(secretReferences(full), [
      'argo-workflows-sso:client-secret',
      'dex.okta.clientSecret',
    ]);
    assert.deepEqual(secretReferences('not: [valid'), []);
  });

  it('keeps an unresolvable reference literal and warns, as Argo CD does', () => {
    const { config, warnings } = parseDexConfig(
      'staticClients: [{id: x, secret: $missing.key, redirectURIs: ["https://x.example/cb"]}]',
    );
    assert.equal(config.staticClients[0]?.secret, '$missing.key');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /argocd-secret has no key "missing.key"/);
  });

  it('ignores static users unless enablePasswordDB is true, as Dex does', () => {
    const { config, warnings } = parseDexConfig(
      `staticPasswords: [{email: a@example.com, hash: "${HASH}", username: a, userID: a}]`,
    );
    assert.equal(config.enablePasswordDB, false);
    assert.deepEqual(config.staticPasswords, []);
    assert.match(warnings.join('\n'), /enablePasswordDB/);
  });

  it('warns about what it does not implement', () => {
    const { warnings } = parseDexConfig(
      `oauth2: {skipApprovalScreen: false}\nfrobnicate: 1\nconnectors: [{type: oidc, id: g, config: {issuer: "https://g.example", clientID: c, clientSecret: s, groupsKey: roles}}]`,
    );
    assert.match(warnings.join('\n'), /skipApprovalScreen: false is not supported/);
    assert.match(warnings.join('\n'), /frobnicate: unknown key/);
    assert.match(warnings.join('\n'), /insecureEnableGroups is not true/);
  });

  const invalid: { name: string; text: string; want: RegExp }[] = [
    { name: 'YAML syntax', text: 'connectors: [', want: /\(document\): is not valid YAML/ },
    { name: 'not a mapping', text: '- a\n- b', want: /must be a YAML mapping/ },
    {
      name: 'a connector type that is not implemented, naming the connector',
      text: 'connectors: [{type: github, id: gh, name: GitHub, config: {}}]',
      want: /connectors\[0\] \(id gh\)\.type: connector "gh" has type "github", which argocd-dex-server does not support/,
    },
    {
      name: 'a bad bcrypt hash, naming the user but not the value',
      text: 'enablePasswordDB: true\nstaticPasswords: [{email: a@example.com, hash: plain-text-password, username: a, userID: a}]',
      want: /staticPasswords\[0\] \(a@example.com\)\.hash: is not a bcrypt hash/,
    },
    {
      name: 'a static user without userID',
      text: `enablePasswordDB: true\nstaticPasswords: [{email: a@example.com, hash: "${HASH}", username: a}]`,
      want: /staticPasswords\[0\] \(a@example.com\)\.userID: is required/,
    },
    {
      name: 'the same email twice',
      text: `enablePasswordDB: true\nstaticPasswords: [{email: a@example.com, hash: "${HASH}", username: a, userID: a}, {email: A@example.com, hash: "${HASH}", username: b, userID: b}]`,
      want: /is used by another static password/,
    },
    {
      name: 'a plain-HTTP upstream issuer',
      text: 'connectors: [{type: oidc, id: u, config: {issuer: "http://idp.example", clientID: c, clientSecret: s}}]',
      want: /config\.issuer: must be an https URL/,
    },
    {
      name: 'an upstream issuer with credentials',
      text: 'connectors: [{type: oidc, id: u, config: {issuer: "https://u:p@idp.example", clientID: c, clientSecret: s}}]',
      want: /must not contain credentials/,
    },
    {
      name: 'a connector without clientSecret',
      text: 'connectors: [{type: oidc, id: u, config: {issuer: "https://idp.example", clientID: c}}]',
      want: /\(id u\)\.config\.clientSecret: is required/,
    },
    {
      name: 'the reserved connector id local',
      text: 'connectors: [{type: oidc, id: local, config: {}}]',
      want: /"local" is the password database/,
    },
    {
      name: 'a duplicate connector id',
      text: 'connectors: [{type: oidc, id: u, config: {issuer: "https://a.example", clientID: c, clientSecret: s}}, {type: oidc, id: u, config: {}}]',
      want: /\(id u\)\.id: is used twice/,
    },
    {
      name: 'a static client named like a built-in one',
      text: 'staticClients: [{id: argo-cd, secret: s, redirectURIs: ["https://x.example"]}]',
      want: /"argo-cd" is added by Argo CD itself/,
    },
    {
      name: 'a confidential static client without a secret',
      text: 'staticClients: [{id: c, redirectURIs: ["https://x.example"]}]',
      want: /\(id c\)\.secret: is required for a confidential client/,
    },
    {
      name: 'secretEnv, which has no environment to read here',
      text: 'staticClients: [{id: c, secretEnv: X, redirectURIs: ["https://x.example"]}]',
      want: /secretEnv: is not supported/,
    },
    {
      name: 'a static client without redirect URIs',
      text: 'staticClients: [{id: c, public: true}]',
      want: /redirectURIs: must list at least one redirect URI/,
    },
    {
      name: 'a bad duration',
      text: 'expiry: {idTokens: soon}',
      want: /expiry\.idTokens: invalid duration "soon"/,
    },
    {
      name: 'a zero duration',
      text: 'expiry: {signingKeys: 0s}',
      want: /must be a positive duration/,
    },
    {
      name: 'a document over 1 MiB',
      text: `staticClients: []\n#${'x'.repeat(1024 * 1024)}`,
      want: /larger than 1048576 bytes/,
    },
  ];
  for (const c of invalid) {
    it(`refuses ${c.name}`, () => {
      const err = configError(c.text);
      assert.match(err.message, /^failed to read dex\.config: /);
      assert.match(err.message, c.want);
      assert.doesNotMatch(err.message, /plain-text-password/);
    });
  }
});
