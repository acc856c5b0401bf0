import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { tokenFromSetCookie } from './index.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('tokenFromSetCookie', () => {
  const cases: {
    name: string;
    headers: string[] | string | undefined;
    want: string | undefined;
  }[] = [
    { name: 'no header', headers: undefined, want: undefined },
    {
      name: 'one cookie with attributes',
      headers: ['argocd.token=abc.def.ghi; Path=/; SameSite=Lax; HttpOnly; Secure'],
      want: 'abc.def.ghi',
    },
    { name: 'a single string header', headers: 'argocd.token=t1; Path=/', want: 't1' },
    {
      name: 'split into chunks',
      headers: [
        'argocd.token=3:aaa; Path=/',
        'argocd.token-1=bbb; Path=/',
        'argocd.token-2=ccc; Path=/',
      ],
      want: 'aaabbbccc',
    },
    {
      name: 'chunks in any order',
      headers: ['argocd.token-1=bbb', 'argocd.token=2:aaa'],
      want: 'aaabbb',
    },
    {
      name: 'a missing chunk keeps the old token',
      headers: ['argocd.token=3:aaa', 'argocd.token-1=bbb'],
      want: undefined,
    },
    { name: 'a count of 0 is refused', headers: ['argocd.token=0:aaa'], want: undefined },
    { name: 'a count over 20 is refused', headers: ['argocd.token=21:aaa'], want: undefined },
    { name: 'a deleting cookie (empty)', headers: ['argocd.token=; Path=/'], want: undefined },
    {
      name: 'a deleting cookie (Max-Age=0)',
      headers: ['argocd.token=x; Max-Age=0'],
      want: undefined,
    },
    {
      name: 'a deleting cookie (Expires in the past)',
      headers: ['argocd.token=x; Expires=Thu, 01 Jan 1970 00:00:00 GMT'],
      want: undefined,
    },
    { name: 'other cookies are ignored', headers: ['other=1', 'argocd.tokens=2'], want: undefined },
    { name: 'a quoted value', headers: ['argocd.token="q1"'], want: 'q1' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      assert.equal(tokenFromSetCookie(c.headers, NOW), c.want);
    });
  }
});
