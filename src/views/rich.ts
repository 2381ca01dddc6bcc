/**
 * Text the core writes, without any platform's syntax. A plain string is literal text (the
 * renderers escape it, so a title like `<!channel>` or `[link](https://evil)` stays words);
 * the other pieces are what each platform writes its own way: a person, a day, an instant shown
 * in the reader's zone, a command (`/complaint list` in Slack, `complaint list` in Teams).
 */
export type Inline =
  | string
  | { strong: string }
  | { person: { id: string; name: string } }
  | { day: string }
  | { at: string }
  | { cmd: string }
  | { link: string; text: string }
  | { channel: string };

export type Rich = Inline[];

type Piece = Inline | Rich | number | null | undefined | false;

/** `` rich`Logged ${strong(ref)}, due ${day(d)}.` ``: interpolated strings stay literal text. */
export function rich(strings: TemplateStringsArray, ...values: Piece[]): Rich {
  const out: Rich = [];
  strings.forEach((s, i) => {
    if (s) out.push(s);
    if (i < values.length) append(out, values[i]);
  });
  return merge(out);
}

function append(out: Rich, value: Piece): void {
  if (value === null || value === undefined || value === false) return;
  if (typeof value === "number") out.push(String(value));
  else if (Array.isArray(value)) for (const v of value) append(out, v);
  else out.push(value);
}

/** Adjacent strings joined, so renderers and tests see whole words. */
function merge(parts: Rich): Rich {
  const out: Rich = [];
  for (const p of parts) {
    const last = out[out.length - 1];
    if (typeof p === "string" && typeof last === "string") out[out.length - 1] = last + p;
    else out.push(p);
  }
  return out;
}

export const strong = (text: string | null | undefined): Inline => ({ strong: text ?? "" });
export const person = (p: { id: string; name: string }): Inline => ({ person: { id: p.id, name: p.name } });
export const day = (d: string): Inline => ({ day: d });
export const at = (instant: Date): Inline => ({ at: instant.toISOString() });
export const cmd = (text: string): Inline => ({ cmd: text });
export const channel = (id: string): Inline => ({ channel: id });
export const link = (url: string, text: string): Inline => ({ link: url, text });

/** Joins rich pieces with a separator (", "). */
export function join(parts: (Rich | Inline)[], separator = ", "): Rich {
  const out: Rich = [];
  parts.forEach((p, i) => {
    if (i > 0) out.push(separator);
    append(out, p);
  });
  return merge(out);
}

/** Rich text from a plain string (literal). */
export const text = (s: string): Rich => (s ? [s] : []);

/** Only web links are ever made clickable. */
export function safeUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.toString() : null;
  } catch {
    return null;
  }
}
