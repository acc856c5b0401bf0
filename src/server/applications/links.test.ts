import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { deepLinks } from './links.js';

const ctx = { app: { metadata: { name: 'web app', namespace: 'argocd' }, spec: { project: 'p' } } };

describe('deepLinks', () => {
  it('fills references, URL-encoded', () => {
    const raw =
      '- title: Logs\n  url: https://logs.example/{{.app.metadata.name}}?p={{ .app.spec.project }}\n  icon.class: fa-book\n  description: d\n';
    assert.deepEqual(deepLinks(raw, ctx), [
      {
        title: 'Logs',
        url: 'https://logs.example/web%20app?p=p',
        iconClass: 'fa-book',
        description: 'd',
      },
    ]);
  });

  it('drops javascript: URLs, unknown references, conditions and malformed entries', () => {
    const raw = [
      '- title: XSS',
      '  url: javascript:alert(1)',
      '- title: Sneaky',
      '  url: "{{.app.metadata.name}}"',
      '- title: Missing',
      '  url: https://x/{{.app.status.nope}}',
      '- title: Cond',
      '  url: https://x/',
      '  if: app.spec.project == "p"',
      '- url: https://no-title/',
      '- title: Ok',
      '  url: http://ok.example/',
    ].join('\n');
    assert.deepEqual(deepLinks(raw, { app: { metadata: { name: 'javascript:alert(1)' } } }), [
      { title: 'Ok', url: 'http://ok.example/' },
    ]);
    assert.deepEqual(deepLinks('not: [a list', ctx), []);
    assert.deepEqual(deepLinks(undefined, ctx), []);
  });
});
