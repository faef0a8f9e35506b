import type { JailEntry } from '../../model/jail-entry.js';
import type { Finding } from '../finding.js';
import type { Inventory } from '../inventory.js';

/** What every check may look at: the inventory, and what the profile or manifest declared, when given. */
export interface CheckContext {
  inv: Inventory;
  byPath: Map<string, JailEntry>;
  /** PATH inside the jail, for the commands scripts run. */
  path: string;
  /** Owners declared for a path (the plan's and the manifest's uid). */
  declaredOwner: Map<string, number[]>;
  /** Uids a profile declares anywhere (its users, its permissions.owner). */
  declaredUids: Set<number>;
  /** Files the manifest or plan says are host secrets copied on purpose ("secret": true). */
  declaredSecrets: Set<string>;
}

export type Check = (ctx: CheckContext) => Finding[];

export function isExecutable(e: JailEntry): boolean {
  return e.kind === 'file' && (e.mode & 0o111) !== 0;
}
