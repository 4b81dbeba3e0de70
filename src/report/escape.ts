/**
 * Escaping for every output format. Scenario names, evidence and connector URLs come from users
 * and connectors, so each writer passes them through the escaper of its format, never raw.
 */

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text → safe HTML text or attribute value (also fine inside SVG). */
export function escapeHtml(text: string): string {
  return String(text).replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] as string);
}

// Characters XML 1.0 forbids even escaped: C0 controls other than tab/LF/CR, lone surrogates, U+FFFE/U+FFFF.
const XML_INVALID = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

/** Text → safe XML text or attribute value: escapes markup and drops characters XML cannot carry. */
export function escapeXml(text: string): string {
  return String(text)
    .replace(XML_INVALID, '\uFFFD')
    .replace(/[&<>"']/g, (ch) => (ch === "'" ? '&apos;' : (HTML_ESCAPES[ch] as string)));
}

/**
 * Text → safe inside a GitHub-flavoured Markdown table cell or list item: no line breaks, pipes
 * escaped, and HTML-significant characters as entities (GitHub renders inline HTML).
 */
export function escapeMarkdown(text: string): string {
  return String(text)
    .replace(/\r?\n|\r/g, ' ')
    .replace(/[&<>]/g, (ch) => HTML_ESCAPES[ch] as string)
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/([`*_[\]])/g, '\\$1');
}

/**
 * A URL with its secrets removed, for reports and logs: user:password, and query parameters whose
 * names look like credentials (token, key, secret, signature, password, auth).
 */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@\s]*@/, '//***@');
  }
  if (parsed.username || parsed.password) {
    parsed.username = '***';
    parsed.password = '';
  }
  for (const name of [...parsed.searchParams.keys()]) {
    if (/token|key|secret|sig|pass|auth/i.test(name)) parsed.searchParams.set(name, '***');
  }
  return parsed.toString().replaceAll('%2A%2A%2A', '***');
}
