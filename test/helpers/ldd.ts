import { spawnSync } from 'node:child_process';
import { realpathSync } from 'node:fs';

export interface LddAnswer {
  /** Real paths of the files ldd says are loaded (the vDSO left out). */
  files: Set<string>;
  /** Names ldd reports as "not found". */
  missing: Set<string>;
  static: boolean;
}

/** Runs `ldd` (or another lister with the same output, such as musl's `ld-musl --list`) and parses it. */
export function runLdd(file: string, command: string[] = ['ldd']): LddAnswer {
  const [cmd, ...args] = command as [string, ...string[]];
  const res = spawnSync(cmd, [...args, file], { encoding: 'utf8' });
  const out = `${res.stdout ?? ''}\n${res.stderr ?? ''}`;
  const answer: LddAnswer = { files: new Set(), missing: new Set(), static: /not a dynamic executable|statically linked/.test(out) };
  for (const line of out.split('\n')) {
    const miss = /^\s*(\S+) => not found/.exec(line);
    if (miss) {
      answer.missing.add(miss[1] as string);
      continue;
    }
    const found = /=> (\/\S+) \(/.exec(line) ?? /^\s*(\/\S+) \(/.exec(line);
    if (found) answer.files.add(realpathSync(found[1] as string));
  }
  return answer;
}
