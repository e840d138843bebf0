// Finds kernel addresses in text so views can make them links. A kernel address here is a 16-hex-digit word
// starting "ff" (crash prints them without 0x; gdb with), which covers the direct map, vmalloc, vmemmap,
// the kernel image and modules on x86-64 with 4- and 5-level paging, but not the top page (error codes). Pure: returns pieces, never markup.

/** A piece of text: plain, or an address (hex without 0x, lower case) with the text it was written as. */
export type Piece = string | { addr: string; text: string };

// The last page (fffffffffffff000 and up) holds no objects: there live -errno values (ERR_PTR, RAX: ...da).
const ADDRESS = /(?<![0-9a-zA-Z_])(?:0x)?(?!f{13})(ff[0-9a-f]{14})(?![0-9a-zA-Z_])/gi;

/** Splits text into plain strings and addresses, in order. Joining the pieces' text gives the input back. */
export function linkify(text: string): Piece[] {
  const out: Piece[] = [];
  let last = 0;
  ADDRESS.lastIndex = 0;
  for (let m = ADDRESS.exec(text); m; m = ADDRESS.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push({ addr: m[1].toLowerCase(), text: m[0] });
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

/** Whether a word is a kernel address by the rule above. */
export function isKernelAddress(word: string): boolean {
  return /^(?:0x)?(?!f{13})ff[0-9a-f]{14}$/i.test(word.trim());
}
