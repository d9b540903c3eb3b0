/**
 * A small interpreter of the Amazon States Language in its JSONata mode, for the subset the nightly
 * run's synthesized definition uses: Pass, Task (Arguments, Output, Assign, Retry, Catch), Choice
 * (Condition), Map (Items or a Distributed Map's ItemReader, ItemSelector, ItemProcessor, MaxConcurrency), Succeed, Fail; `$states`
 * (input, result, errorOutput, context) and workflow variables with Map scoping.
 *
 * Why not a library: aws-local-stepfunctions (checked, 3.0.0) implements JSONPath only, and Step
 * Functions Local is not reachable from here. Task resources are given as local functions (the real
 * Lambda handlers, S3 calls against moto), so the test drives the real definition's control flow.
 */
import jsonata from 'jsonata';

type Json = any;

export class TaskError extends Error {
  constructor(
    readonly error: string,
    readonly cause: string,
  ) {
    super(`${error}: ${cause}`);
  }
}

export interface AslRunOptions {
  /** Runs a Task state's resource with its evaluated Arguments; throw TaskError (or any Error: its name is the error). */
  task: (resource: string, args: Json, state: string) => Promise<Json>;
  context?: Json;
}

export interface AslResult {
  status: 'SUCCEEDED' | 'FAILED';
  output?: Json;
  error?: string;
  cause?: string;
  /** State names entered, in order (Map iterations included). */
  trace: string[];
}

const isExpr = (v: unknown): v is string => typeof v === 'string' && /^\{%[\s\S]*%\}$/.test(v);

async function evaluate(template: Json, bindings: Json): Promise<Json> {
  if (isExpr(template)) return jsonata(template.slice(2, -2)).evaluate({}, bindings);
  if (Array.isArray(template)) return Promise.all(template.map((t) => evaluate(t, bindings)));
  if (template && typeof template === 'object') {
    const out: Json = {};
    for (const [k, v] of Object.entries(template)) out[k] = await evaluate(v, bindings);
    return out;
  }
  return template;
}

const matches = (errorEquals: string[], error: string) =>
  errorEquals.includes('States.ALL') || errorEquals.includes(error) || (errorEquals.includes('States.TaskFailed') && error !== 'States.Timeout');

function toTaskError(e: unknown): TaskError {
  if (e instanceof TaskError) return e;
  const err = e as Error;
  return new TaskError(err?.name ?? 'Error', JSON.stringify({ errorMessage: err?.message ?? String(e), errorType: err?.name ?? 'Error' }));
}

class Run {
  readonly trace: string[] = [];
  constructor(private readonly opts: AslRunOptions) {}

  /** Runs a state list from StartAt; returns the final output or throws TaskError. */
  async states(def: Json, input: Json, vars: Record<string, Json>, context: Json): Promise<Json> {
    let name: string = def.StartAt;
    let value = input;
    for (;;) {
      const st = def.States[name];
      if (!st) throw new Error(`no state ${name}`);
      this.trace.push(name);
      const b = (extra: Json = {}) => ({ ...vars, states: { input: value, context, ...extra } });
      const assignAndOutput = async (extra: Json, defaultOutput: Json) => {
        const bindings = b(extra);
        const out = st.Output !== undefined ? await evaluate(st.Output, bindings) : defaultOutput;
        if (st.Assign) Object.assign(vars, await evaluate(st.Assign, bindings));
        return out;
      };
      let next: string | undefined;
      switch (st.Type) {
        case 'Pass':
          value = await assignAndOutput({}, value);
          next = st.Next;
          break;
        case 'Succeed':
          return st.Output !== undefined ? evaluate(st.Output, b()) : value;
        case 'Fail':
          throw new TaskError(String(await evaluate(st.Error ?? 'States.Fail', b())), String(await evaluate(st.Cause ?? '', b())));
        case 'Choice': {
          next = st.Default;
          for (const c of st.Choices) {
            if (await evaluate(c.Condition, b())) {
              next = c.Next;
              break;
            }
          }
          if (!next) throw new TaskError('States.NoChoiceMatched', name);
          break;
        }
        case 'Task':
        case 'Map': {
          const attempt = async () => {
            if (st.Type === 'Task') return this.opts.task(st.Resource, await evaluate(st.Arguments ?? '{% $states.input %}', b()), name);
            return this.map(st, value, vars, context);
          };
          let result: Json;
          let failure: TaskError | undefined;
          const tries = new Map<Json, number>();
          for (;;) {
            try {
              result = await attempt();
              failure = undefined;
              break;
            } catch (e) {
              failure = toTaskError(e);
              const retrier = (st.Retry ?? []).find((r: Json) => matches(r.ErrorEquals, failure!.error));
              const n = (tries.get(retrier) ?? 0) + 1;
              if (retrier && n <= (retrier.MaxAttempts ?? 3)) {
                tries.set(retrier, n);
                this.trace.push(`${name}#retry`);
                continue;
              }
              break;
            }
          }
          if (failure) {
            const catcher = (st.Catch ?? []).find((c: Json) => matches(c.ErrorEquals, failure!.error));
            if (!catcher) throw failure;
            const errorOutput = { Error: failure.error, Cause: failure.cause };
            const bindings = b({ errorOutput });
            value = catcher.Output !== undefined ? await evaluate(catcher.Output, bindings) : errorOutput;
            if (catcher.Assign) Object.assign(vars, await evaluate(catcher.Assign, bindings));
            next = catcher.Next;
            break;
          }
          value = await assignAndOutput({ result }, result);
          next = st.Next;
          break;
        }
        default:
          throw new Error(`state type ${st.Type} is not supported by this interpreter`);
      }
      if (st.End || !next) return value;
      name = next;
    }
  }

  private async map(st: Json, input: Json, vars: Record<string, Json>, context: Json): Promise<Json[]> {
    // A Distributed Map's ItemReader: the task callback reads the items (e.g. s3:getObject of a JSON array).
    const items: Json[] = st.ItemReader
      ? await this.opts.task(st.ItemReader.Resource, await evaluate(st.ItemReader.Arguments ?? {}, { ...vars, states: { input, context } }), `ItemReader`)
      : ((await evaluate(st.Items ?? '{% $states.input %}', { ...vars, states: { input, context } })) ?? []);
    const list = Array.isArray(items) ? items : [items];
    const results: Json[] = new Array(list.length);
    let next = 0;
    const limit = Math.max(1, st.MaxConcurrency || list.length || 1);
    const lane = async () => {
      while (next < list.length) {
        const i = next++;
        const ctx = { ...context, Map: { Item: { Index: i, Value: list[i] } } };
        const itemInput = st.ItemSelector ? await evaluate(st.ItemSelector, { ...vars, states: { input, context: ctx } }) : list[i];
        // An iteration reads the outer variables; what it assigns stays inside it.
        results[i] = await this.states(st.ItemProcessor, itemInput, { ...vars }, context);
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, Math.max(1, list.length)) }, lane));
    return results;
  }
}

export async function runStateMachine(definition: Json, input: Json, opts: AslRunOptions): Promise<AslResult> {
  const run = new Run(opts);
  const context = opts.context ?? { Execution: { Id: 'arn:aws:states:local:execution:test', Name: 'test', StartTime: new Date().toISOString(), Input: input } };
  try {
    const output = await run.states(definition, input, {}, context);
    return { status: 'SUCCEEDED', output, trace: run.trace };
  } catch (e) {
    const t = toTaskError(e);
    return { status: 'FAILED', error: t.error, cause: t.cause, trace: run.trace };
  }
}
