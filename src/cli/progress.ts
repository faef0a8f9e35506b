/**
 * One progress line on a terminal (rewritten in place, at most ten times a second), nothing when the
 * output is not a terminal or --quiet/--json is given.
 */
export class Progress {
  readonly #write: ((text: string) => void) | undefined;
  #last = 0;
  #shown = false;
  readonly #started = Date.now();

  constructor(enabled: boolean, write: (text: string) => void) {
    this.#write = enabled ? write : undefined;
  }

  /** `done` of `total` units so far: prints the rate-based time left when it can. */
  update(what: string, done: number, total: number, bytesDone?: number, bytesTotal?: number): void {
    if (!this.#write) return;
    const now = Date.now();
    if (done < total && now - this.#last < 100) return;
    this.#last = now;
    let line = `jailbuild: ${what} ${done}/${total}`;
    if (bytesDone !== undefined && bytesTotal !== undefined && bytesTotal > 0) {
      line += `, ${(bytesDone / 1048576).toFixed(1)}/${(bytesTotal / 1048576).toFixed(1)} MiB`;
      const elapsed = (now - this.#started) / 1000;
      if (bytesDone > 0 && done < total && elapsed > 1) line += `, about ${Math.ceil((elapsed * (bytesTotal - bytesDone)) / bytesDone)} s left`;
    }
    this.#write(`\r${line}\x1b[K`);
    this.#shown = true;
  }

  done(): void {
    if (this.#write && this.#shown) this.#write('\n');
    this.#shown = false;
  }
}
