// Meta's webhook JSON lives in kernel/wire.ts: the exported k6 script writes the same bytes with it.
export { metaEscape, metaJson } from '../../kernel/wire.js';
