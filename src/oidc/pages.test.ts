import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { escapeHtml } from './index.js';
import { PAGE_CSP, chooserPage, loginPage, logoutPage, messagePage } from './pages.js';

const EVIL = `"'><script>alert(1)</script>&`;

describe('escapeHtml', () => {
  const cases = [
    { name: 'markup', input: '<b>x</b>', want: '&lt;b&gt;x&lt;/b&gt;' },
    { name: 'quotes', input: `"'`, want: '&quot;&#39;' },
    { name: 'ampersands first', input: '&lt;', want: '&amp;lt;' },
    { name: 'plain text', input: 'alice@example.com', want: 'alice@example.com' },
  ];
  for (const c of cases)
    it(`escapes ${c.name}`, () => {
      assert.equal(escapeHtml(c.input), c.want);
    });
});

describe('login pages', () => {
  it('render an accessible login form with labelled inputs and no script', () => {
    const html = loginPage({
      stylesheetUrl: '/api/dex/static/style.css',
      action: '/api/dex/interaction/abc/login',
      csrfToken: 'tok',
      connectorName: 'Email',
    });
    assert.match(html, /<html lang="en">/);
    assert.match(html, /<title>Log in - Argo CD<\/title>/);
    assert.match(html, /<label for="login">Email address<\/label>\n<input id="login"/);
    assert.match(html, /<label for="password">Password<\/label>\n<input id="password"/);
    assert.match(html, /autocomplete="current-password"/);
    assert.match(html, /<input type="hidden" name="csrf" value="tok">/);
    assert.doesNotMatch(html, /<script|\sstyle=|\son\w+=/i);
    assert.doesNotMatch(html, /aria-invalid/);
    assert.ok(
      html.indexOf('id="login"') < html.indexOf('id="password"') &&
        html.indexOf('id="password"') < html.indexOf('type="submit"'),
      'focus order follows the document: login, password, submit',
    );
  });

  it('associate an error with the inputs and announce it', () => {
    const html = loginPage({
      stylesheetUrl: '/s.css',
      action: '/a',
      csrfToken: 't',
      connectorName: 'Email',
      error: 'Invalid email address or password.',
      login: 'alice',
    });
    assert.match(
      html,
      /<p id="login-error" class="error" role="alert">Invalid email address or password\.<\/p>/,
    );
    assert.equal(html.match(/aria-describedby="login-error"/g)?.length, 2);
    assert.match(html, /value="alice" aria-invalid="true"/);
  });

  it('escape every value they show', () => {
    const pages = [
      loginPage({
        stylesheetUrl: EVIL,
        action: EVIL,
        csrfToken: EVIL,
        connectorName: EVIL,
        login: EVIL,
        error: EVIL,
        chooserUrl: EVIL,
      }),
      chooserPage({ stylesheetUrl: '/s.css', connectors: [{ name: EVIL, href: EVIL }] }),
      messagePage({
        stylesheetUrl: '/s.css',
        title: EVIL,
        message: EVIL,
        link: { href: EVIL, text: EVIL },
      }),
    ];
    for (const html of pages) {
      assert.doesNotMatch(html, /<script/);
      assert.doesNotMatch(html, /"'>/);
      assert.match(html, /&quot;&#39;&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;&amp;/);
    }
  });

  it('put the provider-made logout form between its own buttons', () => {
    const html = logoutPage('/s.css', '<form id="op.logoutForm" method="post" action="/x"></form>');
    assert.match(html, /<form id="op.logoutForm"/);
    assert.match(html, /form="op.logoutForm" name="logout" value="yes"/);
  });

  it('allow only the own stylesheet and no framing', () => {
    assert.match(PAGE_CSP, /default-src 'none'/);
    assert.match(PAGE_CSP, /style-src 'self'/);
    assert.match(PAGE_CSP, /frame-ancestors 'none'/);
    assert.doesNotMatch(PAGE_CSP, /unsafe-inline|script-src/);
  });
});
