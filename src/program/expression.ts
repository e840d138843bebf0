// The C expressions crash hands to gdb for `p`, `whatis` and friends, the common subset: names, numbers,
// member access (. and ->), indexing, unary & and *, casts to a named type (with pointer stars), parentheses.
import { CrashlensError } from '../errors.ts';
import type { Type } from '../types/type.ts';
import { Obj } from './object.ts';
import type { Program } from './program.ts';

export class ExpressionError extends CrashlensError {
  override name = 'ExpressionError';
}

type Token = { kind: 'ident' | 'number' | 'punct'; text: string };

function tokenize(src: string): Token[] {
  const out: Token[] = [];
  const re = /\s*(?:(0x[0-9a-fA-F]+|\d+)|([A-Za-z_$][A-Za-z0-9_$]*)|(->|[.[\]()&*@]))/y;
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new ExpressionError(`A syntax error in expression, near \`${src.slice(pos).trim()}'.`);
    out.push(m[1] ? { kind: 'number', text: m[1] } : m[2] ? { kind: 'ident', text: m[2] } : { kind: 'punct', text: m[3] });
    pos = re.lastIndex;
  }
  return out;
}

const TYPE_KEYWORDS = new Set(['struct', 'union', 'enum', 'unsigned', 'signed', 'const', 'volatile', 'char', 'short', 'int', 'long', 'void']);

export function evaluate(prog: Program, src: string): Obj {
  const toks = tokenize(src);
  let i = 0;
  const peek = (): Token | undefined => toks[i];
  const take = (text?: string): Token => {
    const t = toks[i];
    if (!t || (text !== undefined && t.text !== text)) throw new ExpressionError(`A syntax error in expression, near \`${toks.slice(i).map((x) => x.text).join(' ')}'.`);
    i++;
    return t;
  };

  /** After "(": is this a cast? Try to read a type name up to ")". */
  const tryCast = (): Type | undefined => {
    const start = i;
    const words: string[] = [];
    while (peek()?.kind === 'ident') words.push(take().text);
    let stars = 0;
    while (peek()?.text === '*') {
      take();
      stars++;
    }
    if (words.length > 0 && peek()?.text === ')' && (TYPE_KEYWORDS.has(words[0]) || prog.tryType(words.join(' ')))) {
      const base = prog.tryType(words.join(' '));
      if (base) {
        take(')');
        let t: Type = base;
        for (let s = 0; s < stars; s++) t = { kind: 'pointer', size: 8, target: t, tags: [] };
        return t;
      }
    }
    i = start;
    return undefined;
  };

  const primary = (): Obj => {
    const t = take();
    if (t.kind === 'number') return Obj.ofValue(prog, prog.tryType('long') ?? { kind: 'int', name: 'long', size: 8, signed: true, isChar: false, bits: 64, bitOffset: 0 }, BigInt(t.text));
    if (t.kind === 'ident') {
      try {
        return prog.variable(t.text);
      } catch (e) {
        throw new ExpressionError(`No symbol "${t.text}" in current context.${e instanceof Error && !/not found/.test(e.message) ? ` (${e.message})` : ''}`);
      }
    }
    if (t.text === '(') {
      const v = expr();
      take(')');
      return v;
    }
    throw new ExpressionError(`A syntax error in expression, near \`${t.text}'.`);
  };

  const postfix = (): Obj => postfixOn(primary());

  const unary = (): Obj => {
    const t = peek();
    if (t?.text === '&') {
      take();
      return unary().addressOf();
    }
    if (t?.text === '*') {
      take();
      return unary().deref();
    }
    if (t?.text === '(') {
      take('(');
      const cast = tryCast();
      if (cast) return unary().cast(cast);
      const v = expr();
      take(')');
      return postfixOn(v);
    }
    return postfix();
  };

  const postfixOn = (start: Obj): Obj => {
    let v = start;
    for (;;) {
      const t = peek();
      if (t?.text === '.' || t?.text === '->') {
        take();
        v = v.member(take().text);
      } else if (t?.text === '[') {
        take('[');
        const index = expr().toBigInt();
        take(']');
        v = v.index(index);
      } else return v;
    }
  };

  // gdb's artificial array: `x@n` is n objects of x's type laid out from x's address.
  const expr = (): Obj => {
    const v = unary();
    if (peek()?.text !== '@') return v;
    take('@');
    const n = unary().toBigInt();
    if (n <= 0n || n > 1_000_000n) throw new ExpressionError('Only values in memory can be extended with \'@\'.');
    if (v.address === undefined) throw new ExpressionError('Only values in memory can be extended with \'@\'.');
    return Obj.at(prog, { kind: 'array', element: v.type, length: Number(n) }, v.address);
  };

  const result = expr();
  if (i < toks.length) throw new ExpressionError(`A syntax error in expression, near \`${toks.slice(i).map((x) => x.text).join(' ')}'.`);
  return result;
}
