import { describe, expect, it } from 'vitest';
import { escapeHtml, escapeMarkdown, escapeXml, redactUrl } from '../../../src/report/escape.js';

describe('escaping', () => {
  it('escapes HTML markup and quotes', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('escapes XML and replaces characters XML 1.0 cannot carry', () => {
    expect(escapeXml(`<x a='1'>&\u0000\u0008\uFFFE</x>`)).toBe(
      '&lt;x a=&apos;1&apos;&gt;&amp;\uFFFD\uFFFD\uFFFD&lt;/x&gt;',
    );
    expect(escapeXml('tab\tnew\nline 😀')).toBe('tab\tnew\nline 😀');
  });

  it('keeps Markdown table cells on one line and inert', () => {
    expect(escapeMarkdown('a|b\nc *d* `e` <f>')).toBe('a\\|b c \\*d\\* \\`e\\` &lt;f&gt;');
  });

  it('redacts credentials from URLs', () => {
    expect(redactUrl('https://user:pw@h.example/p?api_key=1&q=2')).toBe(
      'https://***@h.example/p?api_key=***&q=2',
    );
    expect(redactUrl('http://127.0.0.1:4030/hook')).toBe('http://127.0.0.1:4030/hook');
    expect(redactUrl('not a url //u:p@x')).toBe('not a url //***@x');
  });
});
