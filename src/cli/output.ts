/** Where the CLI writes: a seam so that tests can run commands in-process. */
export interface Output {
  stdout(text: string): void;
  stderr(text: string): void;
}

export const processOutput: Output = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/** The most of a long text printed in one write, in UTF-16 units (the cut is at the next line end). */
export const PRINT_PIECE = 64 * 1024;

/**
 * Prints `value` as JSON indented by two spaces, and a newline. A long text goes out in pieces cut
 * after a line end (never inside a character): `resolve --json` of /usr/bin is 4.5 MB, and written
 * whole, with its newline joined on, it was copied twice more, into fresh memory each time (a page
 * fault per 4 KiB), before the write.
 */
export function printJson(out: Output, value: unknown): void {
  const text = JSON.stringify(value, null, 2);
  for (let at = 0; at < text.length;) {
    const cut = text.length - at <= PRINT_PIECE ? -1 : text.indexOf('\n', at + PRINT_PIECE);
    const end = cut < 0 ? text.length : cut + 1;
    out.stdout(text.slice(at, end));
    at = end;
  }
  out.stdout('\n');
}

/**
 * Prints `{ [key]: items }` exactly as printJson would, one item at a time: each item is made into
 * text where it will stand (two levels deep) and the texts go out in writes of about PRINT_PIECE. The
 * whole text of a thousand programs' needs is never made: JSON.stringify gives it as a tree of
 * pieces, which the first read copies into one string of megabytes, in fresh memory (a page fault
 * per 4 KiB); an item's text is a few KiB, made and dropped in memory the process already uses.
 * Items are plain data: an item's toJSON would be called with "0" for its key, and one that
 * JSON.stringify refuses (a BigInt, a cycle) is met only when its turn comes, after the items before
 * it were written.
 */
export function printJsonList(out: Output, key: string, items: readonly unknown[]): void {
  const head = `{\n  ${JSON.stringify(key)}: [`;
  if (items.length === 0) {
    out.stdout(`${head}]\n}\n`);
    return;
  }
  const before = `${head}\n`;
  const after = '\n  ]\n}';
  let batch = before;
  // An index loop, not forEach: a hole in the list is written as null, as JSON.stringify writes it.
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    // The item as the member of a one-item list under `key`: the text around it is always the same.
    const alone = JSON.stringify({ [key]: [item] }, null, 2);
    if (!alone.startsWith(before) || !alone.endsWith(after)) throw new Error(`printJsonList: item ${i} is not a JSON value`);
    batch += (i > 0 ? ',\n' : '') + alone.slice(before.length, alone.length - after.length);
    if (batch.length >= PRINT_PIECE) {
      out.stdout(batch);
      batch = '';
    }
  }
  out.stdout(`${batch}${after}\n`);
}
