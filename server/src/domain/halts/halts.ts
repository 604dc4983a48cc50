import type { Actor, CreateHaltInput, Halt } from '@loopgate/shared';
import { auditActorOf, recordAudit } from '../audit/record-audit.js';
import { authorize, type Principal } from '../kernel/access.js';
import { AppError, notFound } from '../kernel/errors.js';
import { newId } from '../kernel/ids.js';
import { iso, isoOrNull } from '../kernel/iso-time.js';
import type { Repositories, Store } from '../store.js';
import type { HaltRecord, HaltTarget } from './halt-ports.js';

/**
 * The stop button: admins halt new tasks from a workspace, a queue, a source or an agent, and resume
 * them with one call. A halt refuses task creation (423 `halted`) and withholds every automatic
 * approval of a task it covers (see `haltOver`'s callers); it never touches an open task's review, so
 * people can still decide or cancel what is already waiting.
 */
export interface HaltDeps {
  store: Store;
  clock: () => number;
}

export function toHaltView(record: HaltRecord): Halt {
  return {
    id: record.id,
    scope: record.scope,
    value: record.value,
    reason: record.reason,
    createdBy: { ...record.createdBy },
    createdAt: iso(record.createdAt),
    resumedBy: record.resumedBy === null ? null : { ...record.resumedBy },
    resumedAt: isoOrNull(record.resumedAt),
  };
}

/** Halts a target. Halting what is halted already answers the active halt (`created: false`), unaudited. */
export async function haltTarget(
  deps: HaltDeps,
  principal: Principal,
  input: CreateHaltInput,
  requestId: string | null,
): Promise<{ halt: HaltRecord; created: boolean }> {
  authorize(principal, 'workspace:admin');
  const now = deps.clock();
  const { workspaceId } = principal;
  const halt: HaltRecord = {
    id: newId('halt', now),
    workspaceId,
    scope: input.scope,
    value: input.scope === 'workspace' ? null : (input.value ?? null),
    reason: input.reason || null,
    createdBy: principal.actor,
    createdAt: now,
    resumedBy: null,
    resumedAt: null,
  };
  return deps.store.transaction(async (tx) => {
    if (!(await tx.halts.insert(halt))) {
      const [active] = await tx.halts.findActive(workspaceId, [halt]);
      if (!active) throw new AppError('conflict', 'The halt changed while it was being created; try again');
      return { halt: active, created: false };
    }
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'halt.created',
      target: { type: 'halt', id: halt.id },
      data: { scope: halt.scope, value: halt.value, reason: halt.reason },
      requestId,
    });
    return { halt, created: true };
  });
}

/** Resumes a halt: a compare-and-set, so of two resumes one wins and one entry is written; the other gets 409. */
export async function resumeHalt(
  deps: HaltDeps,
  principal: Principal,
  id: string,
  requestId: string | null,
): Promise<HaltRecord> {
  authorize(principal, 'workspace:admin');
  const now = deps.clock();
  const { workspaceId } = principal;
  return deps.store.transaction(async (tx) => {
    const halt = await tx.halts.findById(workspaceId, id);
    if (!halt) throw notFound(`Halt ${id}`);
    if (!(await tx.halts.resume(workspaceId, id, principal.actor, now))) {
      throw new AppError('conflict', `Halt ${id} was resumed already`);
    }
    await recordAudit(tx, {
      workspaceId,
      at: now,
      actor: auditActorOf(principal),
      action: 'halt.resumed',
      target: { type: 'halt', id },
      data: { scope: halt.scope, value: halt.value, haltedSince: iso(halt.createdAt) },
      requestId,
    });
    return { ...halt, resumedBy: principal.actor, resumedAt: now };
  });
}

/** Active halts first, then the latest resumed ones: what the settings page and `GET /halts` show. */
export async function listHalts(deps: { store: Pick<Store, 'read'> }, principal: Principal): Promise<HaltRecord[]> {
  authorize(principal, 'workspace:admin');
  return deps.store.read.halts.list(principal.workspaceId, 200);
}

/** What a halt looks at in a task (or in a task about to be created). */
export interface HaltableTask {
  workspaceId: string;
  queue: string;
  source: string;
  agent: { id: string } | null;
}

/** Every target a task falls under: its workspace, its queue, its source and (when named) its agent. */
function targetsOf(task: HaltableTask): HaltTarget[] {
  const targets: HaltTarget[] = [
    { scope: 'workspace', value: null },
    { scope: 'queue', value: task.queue },
    { scope: 'source', value: task.source },
  ];
  if (task.agent) targets.push({ scope: 'agent', value: task.agent.id });
  return targets;
}

/** The oldest active halt covering `task`, or null. One indexed read. */
export async function haltOver(read: Pick<Repositories, 'halts'>, task: HaltableTask): Promise<HaltRecord | null> {
  const [halt] = await read.halts.findActive(task.workspaceId, targetsOf(task));
  return halt ?? null;
}

function actorName(actor: Actor): string {
  return actor.name ? `${actor.name} (${actor.type})` : actor.type;
}

/** What is halted, by whom and since when: the words a refused creator and the task's event both read. */
export function describeHalt(halt: HaltRecord): string {
  const what = halt.scope === 'workspace' ? 'this workspace' : `${halt.scope} "${halt.value}"`;
  const why = halt.reason ? `: ${halt.reason}` : '';
  return `New tasks from ${what} are halted by ${actorName(halt.createdBy)} since ${iso(halt.createdAt)}${why}`;
}

/** Refuses to create a task a halt covers: 423 `halted`, naming the halt. */
export async function refuseIfHalted(read: Pick<Repositories, 'halts'>, task: HaltableTask): Promise<void> {
  const halt = await haltOver(read, task);
  if (halt) throw new AppError('halted', `${describeHalt(halt)}. Open tasks can still be decided or cancelled.`);
}
