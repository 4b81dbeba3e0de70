/**
 * A strict little XML well-formedness checker for tests (no XML parser is a dependency): balanced
 * tags, quoted attributes, known entities only, no raw `<` or `&` in text, only characters XML 1.0
 * allows. Returns the element tree so tests can look inside.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const NAME = /^[A-Za-z_][\w.-]*/;
const ENTITY = /^&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/;
const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(raw: string, where: string): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i] as string;
    if (ch === '<') throw new Error(`raw < in ${where}`);
    if (ch === '&') {
      const m = ENTITY.exec(raw.slice(i));
      if (!m) throw new Error(`bad entity in ${where}: ${raw.slice(i, i + 10)}`);
      const e = m[1] as string;
      out += ENTITIES[e] ?? String.fromCodePoint(Number(e.startsWith('#x') ? `0x${e.slice(2)}` : e.slice(1)));
      i += m[0].length - 1;
    } else out += ch;
  }
  return out;
}

/** Parses `xml`, throwing on the first well-formedness error; returns the root element. */
export function parseXml(xml: string): XmlElement {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find forbidden control characters
  if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/.test(xml))
    throw new Error('character not allowed in XML');
  let i = 0;
  if (xml.startsWith('<?xml')) i = xml.indexOf('?>') + 2;
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = lt === -1 ? xml.slice(i) : xml.slice(i, lt);
    if (stack.length === 0 && text.trim() !== '') throw new Error('text outside the root element');
    if (stack.length > 0) (stack[stack.length - 1] as XmlElement).text += decode(text, 'text');
    if (lt === -1) break;
    if (xml.startsWith('</', lt)) {
      const end = xml.indexOf('>', lt);
      const name = xml.slice(lt + 2, end).trim();
      const open = stack.pop();
      if (!open || open.name !== name) throw new Error(`</${name}> closes <${open?.name ?? 'nothing'}>`);
      i = end + 1;
      continue;
    }
    let j = lt + 1;
    const nameMatch = NAME.exec(xml.slice(j));
    if (!nameMatch) throw new Error(`bad tag at ${lt}`);
    const el: XmlElement = { name: nameMatch[0], attrs: {}, children: [], text: '' };
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(el);
    else if (root) throw new Error('two root elements');
    else root = el;
    j += nameMatch[0].length;
    for (;;) {
      while (/\s/.test(xml[j] ?? '')) j++;
      if (xml.startsWith('/>', j)) {
        j += 2;
        break;
      }
      if (xml[j] === '>') {
        j += 1;
        stack.push(el);
        break;
      }
      const attr = /^([A-Za-z_][\w.:-]*)="([^"]*)"/.exec(xml.slice(j));
      if (!attr) throw new Error(`bad attribute in <${el.name}> near ${xml.slice(j, j + 20)}`);
      if ((attr[1] as string) in el.attrs) throw new Error(`duplicate attribute ${attr[1]}`);
      el.attrs[attr[1] as string] = decode(attr[2] as string, `attribute ${attr[1]}`);
      j += attr[0].length;
    }
    i = j;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (!root) throw new Error('no root element');
  return root;
}

/** Every element below `el` (depth first) with the given name. */
export function findAll(el: XmlElement, name: string): XmlElement[] {
  const out: XmlElement[] = [];
  for (const c of el.children) {
    if (c.name === name) out.push(c);
    out.push(...findAll(c, name));
  }
  return out;
}
