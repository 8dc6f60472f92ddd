/**
 * A strict XML well-formedness check for the tests (no XML parser ships with
 * Node): one root element, balanced tags, quoted attributes without a raw
 * `<` or stray `&`, and only the five predefined or numeric entities. It
 * returns the element tree, with entities decoded, for the tests to query.
 */

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const ENTITY = /^&(amp|lt|gt|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/;
const NAMED: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function decode(s: string, where: number): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '&') {
      out += s[i];
      continue;
    }
    const m = ENTITY.exec(s.slice(i));
    if (m === null) throw new Error(`bad entity at ${where + i}: ${s.slice(i, i + 12)}`);
    const body = m[1] as string;
    out += body.startsWith('#x')
      ? String.fromCodePoint(Number.parseInt(body.slice(2), 16))
      : body.startsWith('#')
        ? String.fromCodePoint(Number(body.slice(1)))
        : NAMED[body];
    i += m[0].length - 1;
  }
  return out;
}

/** Parses `xml` or throws naming the first fault and its offset. */
export function parseXml(xml: string): XmlElement {
  const stack: XmlElement[] = [];
  let root: XmlElement | undefined;
  let i = 0;
  const NAME = /^[A-Za-z_:][\w:.-]*/;
  while (i < xml.length) {
    const lt = xml.indexOf('<', i);
    const text = xml.slice(i, lt === -1 ? xml.length : lt);
    if (text.length > 0) {
      if (stack.length === 0) {
        if (text.trim() !== '') throw new Error(`text outside the root at ${i}`);
      } else {
        if (text.includes('>') && /]]>/.test(text)) throw new Error(`']]>' in text at ${i}`);
        (stack[stack.length - 1] as XmlElement).children.push(decode(text, i));
      }
    }
    if (lt === -1) break;
    i = lt;
    if (xml.startsWith('<!--', i)) {
      const end = xml.indexOf('-->', i);
      if (end === -1) throw new Error(`unclosed comment at ${i}`);
      i = end + 3;
      continue;
    }
    if (xml.startsWith('<?', i)) {
      const end = xml.indexOf('?>', i);
      if (end === -1 || stack.length > 0 || root !== undefined)
        throw new Error(`misplaced <? at ${i}`);
      i = end + 2;
      continue;
    }
    if (xml.startsWith('<![CDATA[', i)) {
      const end = xml.indexOf(']]>', i);
      if (end === -1 || stack.length === 0) throw new Error(`bad CDATA at ${i}`);
      (stack[stack.length - 1] as XmlElement).children.push(xml.slice(i + 9, end));
      i = end + 3;
      continue;
    }
    if (xml[i + 1] === '/') {
      const m = NAME.exec(xml.slice(i + 2));
      const name = m?.[0] ?? '';
      const close = xml.slice(i + 2 + name.length).match(/^\s*>/);
      const open = stack.pop();
      if (m === null || close === null || open?.name !== name) {
        throw new Error(`</${name}> at ${i} does not close <${open?.name}>`);
      }
      i += 2 + name.length + (close[0] as string).length;
      continue;
    }
    const m = NAME.exec(xml.slice(i + 1));
    if (m === null) throw new Error(`bad tag at ${i}: ${xml.slice(i, i + 20)}`);
    const el: XmlElement = { name: m[0], attrs: {}, children: [] };
    let j = i + 1 + m[0].length;
    for (;;) {
      const ws = /^\s*/.exec(xml.slice(j))?.[0].length ?? 0;
      j += ws;
      if (xml.startsWith('/>', j) || xml[j] === '>') break;
      if (ws === 0) throw new Error(`no space before attribute at ${j}`);
      const a = /^([A-Za-z_:][\w:.-]*)\s*=\s*("([^"<]*)"|'([^'<]*)')/.exec(xml.slice(j));
      if (a === null) throw new Error(`bad attribute at ${j}: ${xml.slice(j, j + 30)}`);
      const key = a[1] as string;
      if (key in el.attrs) throw new Error(`duplicate attribute ${key} at ${j}`);
      el.attrs[key] = decode(a[3] ?? a[4] ?? '', j);
      j += a[0].length;
    }
    if (stack.length === 0) {
      if (root !== undefined) throw new Error(`second root element at ${i}`);
      root = el;
    } else (stack[stack.length - 1] as XmlElement).children.push(el);
    if (xml.startsWith('/>', j)) j += 2;
    else {
      j += 1;
      stack.push(el);
    }
    i = j;
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack[stack.length - 1]?.name}>`);
  if (root === undefined) throw new Error('no root element');
  return root;
}

/** Every element below (and including) `el`, depth first. */
export function descendants(el: XmlElement): XmlElement[] {
  return [el, ...el.children.flatMap((c) => (typeof c === 'string' ? [] : descendants(c)))];
}

/** The text content of an element. */
export function textOf(el: XmlElement): string {
  return el.children.map((c) => (typeof c === 'string' ? c : textOf(c))).join('');
}

/** The elements with this aria-label (Observable Plot labels each mark's and axis's group). */
export function byAriaLabel(root: XmlElement, label: string): XmlElement[] {
  return descendants(root).filter((e) => e.attrs['aria-label'] === label);
}
