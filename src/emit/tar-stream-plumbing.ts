import type { Hash } from 'node:crypto';
import { Transform } from 'node:stream';
import type { Pack } from 'tar-stream';
import type { Header } from './tar-header.js';

/** One entry's writable side (a streamx stream, not a Node one). */
export type Sink = ReturnType<Pack['entry']>;

/** Counts and hashes the bytes going by. */
export function tap(hash: Hash, count: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      count.bytes += chunk.length;
      cb(null, chunk);
    },
  });
}

/** Writes into a tar entry, waiting for room; fails if the archive is torn down meanwhile. */
export async function writeChunk(sink: Sink, chunk: Buffer): Promise<void> {
  if (sink.write(chunk)) return;
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      sink.off('drain', onDrain);
      sink.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => done();
    const onClose = (): void => done(new Error('the archive was closed while a file was being written'));
    sink.on('drain', onDrain);
    sink.on('close', onClose);
  });
}

/** Adds one entry; resolves when tar-stream has taken all of it (one entry at a time: bounded memory). */
export function addEntry(pack: Pack, header: Header, body?: (sink: Sink) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const sink = pack.entry(header, (err) => (err ? reject(err) : resolve()));
    // Failures reach us through the callback; without a listener streamx would also throw them.
    sink.on('error', () => undefined);
    if (!body) return;
    body(sink).then(
      () => void sink.end(undefined),
      (err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        reject(error);
        sink.destroy(error);
      },
    );
  });
}
