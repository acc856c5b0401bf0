import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  WebhookError,
  detectProvider,
  parseBody,
  parseEvent,
  safeEqual,
  verifySignature,
  type Provider,
  type PushEvent,
} from './providers.js';

const fixture = (name: string): Buffer =>
  readFileSync(fileURLToPath(new URL(`./testdata/${name}`, import.meta.url)));

function push(provider: Provider, event: string, file: string): PushEvent {
  const ev = parseEvent(provider, event, parseBody(provider, fixture(file), 'application/json'));
  assert.equal(ev.kind, 'push');
  return ev;
}

function code(c: string): (e: unknown) => boolean {
  return (e) => e instanceof WebhookError && e.code === c;
}

describe('webhook provider detection', () => {
  const cases: { name: string; headers: Record<string, string>; want: string | undefined }[] = [
    { name: 'GitHub', headers: { 'x-github-event': 'push' }, want: 'github/push' },
    {
      name: 'Gogs before GitHub',
      headers: { 'x-gogs-event': 'push', 'x-github-event': 'push' },
      want: 'gogs/push',
    },
    { name: 'GitLab', headers: { 'x-gitlab-event': 'Push Hook' }, want: 'gitlab/Push Hook' },
    {
      name: 'Bitbucket Cloud by X-Hook-UUID',
      headers: { 'x-hook-uuid': 'u', 'x-event-key': 'repo:push' },
      want: 'bitbucket/repo:push',
    },
    {
      name: 'Bitbucket Server by X-Event-Key',
      headers: { 'x-event-key': 'repo:refs_changed' },
      want: 'bitbucketserver/repo:refs_changed',
    },
    { name: 'nothing known', headers: { 'x-vss-activityid': 'x' }, want: undefined },
  ];
  for (const c of cases)
    it(c.name, () => {
      const d = detectProvider(c.headers);
      assert.equal(d === undefined ? undefined : `${d.provider}/${d.event}`, c.want);
    });
});

describe('webhook signatures', () => {
  const body = fixture('github-push.json');
  const hmac = (alg: string, key: string): string =>
    createHmac(alg, key).update(body).digest('hex');

  it('accepts a correct GitHub X-Hub-Signature-256 and refuses a forged one', () => {
    verifySignature(
      'github',
      { 'x-hub-signature-256': `sha256=${hmac('sha256', 's3cret')}` },
      body,
      's3cret',
    );
    assert.throws(() => {
      verifySignature(
        'github',
        { 'x-hub-signature-256': `sha256=${hmac('sha256', 'other')}` },
        body,
        's3cret',
      );
    }, code('ERR_WEBHOOK_SIGNATURE'));
    assert.throws(() => {
      verifySignature('github', {}, body, 's3cret');
    }, code('ERR_WEBHOOK_SIGNATURE'));
  });

  it('accepts the legacy GitHub SHA-1 signature', () => {
    verifySignature('github', { 'x-hub-signature': `sha1=${hmac('sha1', 'k')}` }, body, 'k');
  });

  it('refuses a body changed after signing', () => {
    const sig = `sha256=${hmac('sha256', 'k')}`;
    const tampered = Buffer.concat([body, Buffer.from(' ')]);
    assert.throws(() => {
      verifySignature('github', { 'x-hub-signature-256': sig }, tampered, 'k');
    }, code('ERR_WEBHOOK_SIGNATURE'));
  });

  it('checks GitLab tokens, Bitbucket UUIDs, Bitbucket Server and Gogs HMACs', () => {
    verifySignature('gitlab', { 'x-gitlab-token': 'tok' }, body, 'tok');
    assert.throws(() => {
      verifySignature('gitlab', { 'x-gitlab-token': 'to' }, body, 'tok');
    }, code('ERR_WEBHOOK_SIGNATURE'));
    verifySignature('bitbucket', { 'x-hook-uuid': 'uuid-1' }, body, 'uuid-1');
    assert.throws(() => {
      verifySignature('bitbucket', { 'x-hook-uuid': 'uuid-2' }, body, 'uuid-1');
    }, code('ERR_WEBHOOK_SIGNATURE'));
    verifySignature(
      'bitbucketserver',
      { 'x-hub-signature': `sha256=${hmac('sha256', 'bs')}` },
      body,
      'bs',
    );
    assert.throws(() => {
      verifySignature('bitbucketserver', { 'x-hub-signature': 'sha256=00' }, body, 'bs');
    }, code('ERR_WEBHOOK_SIGNATURE'));
    verifySignature('gogs', { 'x-gogs-signature': hmac('sha256', 'g') }, body, 'g');
    assert.throws(() => {
      verifySignature('gogs', {}, body, 'g');
    }, code('ERR_WEBHOOK_SIGNATURE'));
  });

  it('never puts the secret or the expected signature in the message', () => {
    try {
      verifySignature('github', { 'x-hub-signature-256': 'sha256=00' }, body, 'top-secret-value');
      assert.fail('expected a refusal');
    } catch (e) {
      assert.ok(e instanceof WebhookError);
      assert.doesNotMatch(e.message, /top-secret-value|[0-9a-f]{64}/);
    }
  });

  it('compares in constant time for any lengths', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abcd'), false);
    assert.equal(safeEqual('', 'x'), false);
  });
});

describe('webhook payloads', () => {
  it('reads a GitHub push (revision, default branch, changed files, URLs)', () => {
    const p = push('github', 'push', 'github-push.json');
    assert.deepEqual(p.revisions, ['main']);
    assert.equal(p.touchedHead, true);
    assert.deepEqual([...p.changedFiles].sort(), [
      'docs/old.md',
      'web/deploy.yaml',
      'web/new.yaml',
    ]);
    assert.ok(p.repoUrls.includes('git@github.com:example/guestbook.git'));
  });

  it('reads GitHub form-encoded payloads', () => {
    const form = `payload=${encodeURIComponent(fixture('github-push.json').toString())}`;
    const ev = parseEvent(
      'github',
      'push',
      parseBody('github', Buffer.from(form), 'application/x-www-form-urlencoded'),
    );
    assert.equal(ev.kind, 'push');
  });

  it('reads GitLab, Bitbucket, Bitbucket Server and Gogs pushes', () => {
    const gl = push('gitlab', 'Push Hook', 'gitlab-push.json');
    assert.deepEqual(
      [gl.revisions, gl.touchedHead, gl.changedFiles],
      [['release'], false, ['api/values.yaml']],
    );
    const bb = push('bitbucket', 'repo:push', 'bitbucket-push.json');
    assert.deepEqual([bb.revisions, bb.touchedHead, bb.changedFiles], [['main'], true, []]);
    const bs = push('bitbucketserver', 'repo:refs_changed', 'bitbucketserver-push.json');
    assert.deepEqual(bs.revisions, ['v1.2.0']);
    assert.ok(bs.repoUrls.includes('https://bitbucket.example.com/scm/team/guestbook.git'));
    const gg = push('gogs', 'push', 'gogs-push.json');
    assert.deepEqual([gg.revisions, gg.touchedHead], [['dev'], false]);
  });

  it('answers pings', () => {
    assert.equal(parseEvent('github', 'ping', {}).kind, 'ping');
    assert.equal(parseEvent('bitbucketserver', 'diagnostics:ping', null).kind, 'ping');
  });

  const bad: { name: string; provider: Provider; event: string; payload: unknown; want: string }[] =
    [
      {
        name: 'an unknown GitHub event',
        provider: 'github',
        event: 'issues',
        payload: {},
        want: 'ERR_WEBHOOK_UNKNOWN_EVENT',
      },
      {
        name: 'an unknown GitLab event',
        provider: 'gitlab',
        event: 'Issue Hook',
        payload: {},
        want: 'ERR_WEBHOOK_UNKNOWN_EVENT',
      },
      {
        name: 'a push without ref',
        provider: 'github',
        event: 'push',
        payload: { repository: {} },
        want: 'ERR_WEBHOOK_MALFORMED',
      },
      {
        name: 'a push whose repository is a string',
        provider: 'gogs',
        event: 'push',
        payload: { ref: 'x', repository: 'r' },
        want: 'ERR_WEBHOOK_MALFORMED',
      },
      {
        name: 'a JSON array',
        provider: 'github',
        event: 'push',
        payload: [1, 2],
        want: 'ERR_WEBHOOK_MALFORMED',
      },
      {
        name: 'Bitbucket Server without changes',
        provider: 'bitbucketserver',
        event: 'repo:refs_changed',
        payload: { repository: { links: { clone: [{ href: 'https://x/y.git' }] } }, changes: null },
        want: 'ERR_WEBHOOK_MALFORMED',
      },
      {
        name: 'Bitbucket with null new',
        provider: 'bitbucket',
        event: 'repo:push',
        payload: { repository: { full_name: 'a/b' }, push: { changes: [{ new: null }] } },
        want: 'ERR_WEBHOOK_MALFORMED',
      },
    ];
  for (const c of bad)
    it(`refuses ${c.name}`, () => {
      assert.throws(() => parseEvent(c.provider, c.event, c.payload), code(c.want));
    });

  it('refuses a body that is not JSON', () => {
    assert.throws(
      () => parseBody('github', Buffer.from('{"ref":'), 'application/json'),
      code('ERR_WEBHOOK_MALFORMED'),
    );
  });
});
