/**
 * Validation of Step Functions task inputs. Messages name the field and the expected form, never
 * the value received (a malformed task could carry anything).
 */
import { URN_RE } from '../../schemas/portal.ts';

const RUN_ID = /^[\w.-]{1,80}$/;
const PERIOD = /^\d{4}-\d{2}$/;

export function runIdOf(task: unknown): string {
  const v = (task as { runId?: unknown } | null | undefined)?.runId;
  if (typeof v !== 'string' || !RUN_ID.test(v)) throw new Error('task.runId is required (letters, digits, . _ -)');
  return v;
}

export function periodOf(task: unknown): string {
  const v = (task as { period?: unknown } | null | undefined)?.period;
  if (typeof v !== 'string' || !PERIOD.test(v)) throw new Error('task.period must be an academic year such as 2025-26');
  return v;
}

export function periodsOf(task: unknown): string[] {
  const v = (task as { periods?: unknown } | null | undefined)?.periods;
  if (!Array.isArray(v) || v.some((p) => typeof p !== 'string' || !PERIOD.test(p))) throw new Error('task.periods must be a list of academic years such as 2025-26');
  return [...new Set(v as string[])].sort();
}

/** Optional list of school URNs (6 digits each). */
export function urnsOf(task: unknown): string[] | undefined {
  const v = (task as { urns?: unknown } | null | undefined)?.urns;
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((u) => typeof u !== 'string' || !URN_RE.test(u))) throw new Error('task.urns must be a list of 6-digit school URNs');
  return v as string[];
}
