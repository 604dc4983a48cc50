import { type FieldError, type QueueConfig, queueConfigSchema, slugSchema } from '@loopgate/shared';
import express, { type Request, type Response, type Router } from 'express';
import { z } from 'zod';
import { backtestPolicy } from '../../domain/approvals/backtest.js';
import { queueConfigWarnings } from '../../domain/approvals/policy-warnings.js';
import {
  createQueue,
  getQueue,
  listQueues,
  listReviewerGroups,
  previewQueueConfig,
  queueHealth,
  updateQueue,
} from '../../domain/approvals/queues.js';
import { can } from '../../domain/kernel/access.js';
import { AppError } from '../../domain/kernel/errors.js';
import type { SessionPrincipal } from '../../domain/reviewers/sessions.js';
import { fieldErrorsOf } from '../../http-common/field-errors.js';
import { toAppError } from '../../http-common/problem.js';
import { formText, readForm } from '../kit/forms.js';
import type { PageKit } from '../kit/page-kit.js';
import {
  applyOperation,
  BUILDER_CHOICES,
  type BuilderState,
  builderJsonProblems,
  builderState,
  readBuilder,
  toConfigInput,
} from '../kit/queue-builder.js';
import { formatDuration, summarizeQueue } from '../kit/queue-summary.js';
import { TEMPLATES } from '../kit/templates.js';
import { type GroupMemberView, type QueueEditView, signedIn } from '../kit/view-models.js';

/** The name is checked after reading, so a bad one is shown again together with the config's problems. */
const queueForm = z.object({ name: formText.transform((name) => name.trim()), config: formText });

const FAIL_CLOSED: QueueConfig = queueConfigSchema.parse({});

const requestIdOf = (req: Request): string | null => (typeof req.id === 'string' ? req.id : null);

/** Errors an admin fixes in the form; anything else (forbidden, not found) is the router's error page. */
const FORM_ERRORS = new Set(['validation_failed', 'malformed_json', 'conflict']);

type ConfigReading = { ok: true; config: QueueConfig } | { ok: false; error: AppError };

/** `['escalation', 1, 'afterSeconds']` → `escalation[1].afterSeconds`, the way the config is written. */
function configPath(path: readonly PropertyKey[]): string {
  const text = path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('')
    .replace(/^\./, '');
  return text || '(config)';
}

/** V8 says where JSON broke as a character offset; an admin looking at a textarea wants line and column. */
function jsonProblem(text: string, error: unknown): FieldError {
  const message = error instanceof Error ? error.message : String(error);
  const offset = /at position (\d+)/.exec(message)?.[1];
  const reason = message.replace(/\s*in JSON at position \d+.*$/s, '');
  if (offset === undefined) return { path: '(JSON)', message: reason };
  const before = text.slice(0, Number(offset)).split('\n');
  return { path: `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`, message: reason };
}

function readConfig(text: string, emptyMeansDefaults: boolean): ConfigReading {
  let value: unknown = {};
  if (text.trim() === '') {
    if (!emptyMeansDefaults) {
      return {
        ok: false,
        error: new AppError('validation_failed', 'Enter the configuration as JSON; {} gives the defaults', [
          { path: '(config)', message: 'Required' },
        ]),
      };
    }
  } else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      return {
        ok: false,
        error: new AppError('malformed_json', 'The configuration is not valid JSON', [jsonProblem(text, error)]),
      };
    }
  }
  return checkConfig(value);
}

/** The one check both editors' configs go through: the schema the API uses, problems by config path. */
function checkConfig(value: unknown): ConfigReading {
  const parsed = queueConfigSchema.safeParse(value, { reportInput: true });
  if (parsed.success) return { ok: true, config: parsed.data };
  const problems = fieldErrorsOf(parsed.error, configPath);
  return {
    ok: false,
    error: new AppError(
      'validation_failed',
      `${problems.length} problem${problems.length === 1 ? '' : 's'} with the configuration`,
      problems,
    ),
  };
}

function notice(query: Request['query']): string | undefined {
  for (const [key, verb] of [
    ['created', 'Created'],
    ['saved', 'Saved'],
  ] as const) {
    const name = slugSchema.safeParse(query[key]);
    if (name.success) return `${verb} queue ${name.data}`;
  }
  return undefined;
}

function requireAdmin(web: SessionPrincipal): void {
  if (!can(web.principal.role, 'workspace:admin')) throw new AppError('forbidden', 'Only admins configure queues');
}

/**
 * /settings/queues: every role reads the queues and reviewer groups in words; admins create and
 * edit queues as JSON. Saving goes through the same domain verbs as /api/v1/queues, so the page
 * can refuse nothing the API would accept and accept nothing it would refuse.
 */
export function register(router: Router, kit: PageKit): void {
  const { deps } = kit;

  /** The builder's rows can be many (10 rules × 8 fields, levels, steps): a wider field limit than other forms. */
  const builderBody = express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 600 });

  interface FormState {
    mode: 'create' | 'edit';
    name: string;
    text: string;
    builder: BuilderState;
    editor: 'builder' | 'json';
    builtIn?: boolean;
    error?: AppError;
    warnings?: QueueEditView['warnings'];
    preview?: QueueEditView['preview'];
    backtest?: QueueEditView['backtest'];
  }

  async function sendForm(res: Response, web: SessionPrincipal, state: FormState, status = 200): Promise<void> {
    const problems =
      state.error?.fieldErrors ??
      (state.error?.code === 'conflict' ? [{ path: 'name', message: state.error.message }] : []);
    const fieldErrors: Record<string, string> = {};
    for (const problem of problems) fieldErrors[problem.path] ??= problem.message;
    const groups = (await listReviewerGroups(deps, web.principal)).map((group) => group.name);
    kit.send(
      res,
      TEMPLATES.queueEdit,
      {
        ...signedIn(web),
        mode: state.mode,
        name: state.name,
        text: state.text,
        builtIn: state.builtIn ?? false,
        action: state.mode === 'create' ? '/settings/queues' : `/settings/queues/${encodeURIComponent(state.name)}`,
        error: state.error?.message,
        problems,
        builder: state.builder,
        fieldErrors: state.editor === 'builder' ? fieldErrors : {},
        groups,
        choices: BUILDER_CHOICES,
        editor: state.editor,
        warnings: state.warnings ?? [],
        preview: state.preview,
        backtest: state.backtest,
      },
      status,
    );
  }

  interface Submitted {
    editor: 'builder' | 'json';
    intent: 'save' | 'preview' | 'backtest' | 'rows';
    text: string;
    builder: BuilderState;
    reading: ConfigReading;
  }

  /**
   * Either editor's form, read into the config it stands for. The builder's rows become the config
   * the JSON editor would send (`toConfigInput`), and both go through `checkConfig`: one check, one
   * save. A row button ("Add rule", "↑") is `intent: 'rows'`: re-render, nothing saved.
   */
  function readSubmitted(body: Record<string, unknown>, fallback: QueueConfig, emptyMeansDefaults: boolean): Submitted {
    const op = typeof body.op === 'string' ? body.op : '';
    const intent = op !== '' ? 'rows' : body.intent === 'preview' || body.intent === 'backtest' ? body.intent : 'save';
    if (body.editor === 'builder') {
      const rows = readBuilder(body);
      const builder = op
        ? applyOperation(rows, op, typeof body.newRuleType === 'string' ? body.newRuleType : '')
        : rows;
      const value = toConfigInput(builder);
      const unreadable = builderJsonProblems(builder);
      let reading = checkConfig(value);
      if (unreadable.length > 0) {
        // The schema's complaint about an unreadable row's text says less than "not valid JSON": replace it.
        const rows = unreadable.map((problem) => problem.path);
        const others = reading.ok
          ? []
          : (reading.error.fieldErrors ?? []).filter(
              (problem) => !rows.some((row) => problem.path === row || problem.path.startsWith(`${row}.`)),
            );
        const problems = [...unreadable, ...others];
        reading = {
          ok: false,
          error: new AppError('validation_failed', `${problems.length} problems with the configuration`, problems),
        };
      }
      return { editor: 'builder', intent, builder, text: JSON.stringify(value, null, 2), reading };
    }
    const text = typeof body.config === 'string' ? body.config : '';
    const reading = readConfig(text, emptyMeansDefaults);
    return { editor: 'json', intent, text, reading, builder: builderState(reading.ok ? reading.config : fallback) };
  }

  router.get(
    '/settings/queues',
    kit.page(async (req, res, web) => {
      const queues = await listQueues(deps, web.principal);
      const groups = await listReviewerGroups(deps, web.principal);
      const health = await queueHealth(deps, web.principal);
      kit.send(res, TEMPLATES.queueSettings, {
        ...signedIn(web),
        canConfigure: can(web.principal.role, 'workspace:admin'),
        notice: notice(req.query),
        queues: queues.map((queue) => {
          const h = health.get(queue.name);
          return {
            ...queue,
            summary: summarizeQueue(queue.config),
            health: {
              open: h?.open ?? 0,
              breached: h?.breached ?? 0,
              decided: h?.decided ?? 0,
              median:
                h?.medianDecisionMs === null || h?.medianDecisionMs === undefined
                  ? 'no decisions in the last 24 h'
                  : formatDuration(Math.max(1, Math.round(h.medianDecisionMs / 1000))),
            },
          };
        }),
        groups: groups.map((group) => ({
          name: group.name,
          members: group.members.map(
            (member): GroupMemberView =>
              member.type === 'user'
                ? {
                    kind: 'user',
                    label: member.name ? `${member.name} <${member.email}>` : (member.email ?? member.id),
                  }
                : { kind: 'API key', label: member.name ? `${member.name} (${member.id})` : member.id },
          ),
        })),
      });
    }),
  );

  router.post(
    '/settings/queues',
    builderBody,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const body = (req.body ?? {}) as Record<string, unknown>;
      const name = readForm(queueForm.pick({ name: true }), body).name;
      const submitted = readSubmitted(body, FAIL_CLOSED, true);
      const state: FormState = {
        mode: 'create',
        name,
        text: submitted.text,
        builder: submitted.builder,
        editor: submitted.editor,
      };
      const validName = slugSchema.safeParse(name, { reportInput: true });
      const { reading } = submitted;
      try {
        if (submitted.intent === 'rows') {
          await sendForm(res, web, state);
          return;
        }
        if (!validName.success && submitted.intent === 'save') {
          // Report the config's problems too, so one round trip shows everything to fix.
          throw new AppError('validation_failed', 'The queue name is not valid', [
            ...fieldErrorsOf(validName.error, () => 'name'),
            ...(reading.ok ? [] : (reading.error.fieldErrors ?? [])),
          ]);
        }
        if (!reading.ok) throw reading.error;
        if (submitted.intent === 'preview' || submitted.intent === 'backtest') {
          const preview = { tasks: 0, review: 0, autoApproved: 0, autoApprovedButRejected: 0 };
          const summary = 'A new queue has no tasks yet: only the warnings can be previewed.';
          await sendForm(res, web, {
            ...state,
            warnings: queueConfigWarnings(reading.config),
            preview: { ...preview, summary },
          });
          return;
        }
        if (!validName.success) throw new AppError('validation_failed', 'The queue name is not valid');
        await createQueue(deps, web.principal, { name: validName.data, config: reading.config }, requestIdOf(req));
      } catch (error) {
        const appError = toAppError(error);
        if (!FORM_ERRORS.has(appError.code)) throw error;
        await sendForm(res, web, { ...state, error: appError }, appError.status);
        return;
      }
      res.redirect(303, `/settings/queues?created=${encodeURIComponent(validName.data)}`);
    }),
  );

  router.get(
    '/settings/queues/:name',
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const queue = await getQueue(deps, web.principal, String(req.params.name));
      await sendForm(res, web, {
        mode: 'edit',
        name: queue.name,
        text: JSON.stringify(queue.config, null, 2),
        builder: builderState(queue.config),
        editor: 'builder',
        builtIn: queue.builtIn,
        warnings: queue.warnings,
      });
    }),
  );

  router.post(
    '/settings/queues/:name',
    builderBody,
    kit.page(async (req, res, web) => {
      requireAdmin(web);
      const queue = await getQueue(deps, web.principal, String(req.params.name));
      const submitted = readSubmitted((req.body ?? {}) as Record<string, unknown>, queue.config, false);
      const state: FormState = {
        mode: 'edit',
        name: queue.name,
        text: submitted.text,
        builder: submitted.builder,
        editor: submitted.editor,
        builtIn: queue.builtIn,
      };
      try {
        if (submitted.intent === 'rows') {
          await sendForm(res, web, state);
          return;
        }
        const { reading } = submitted;
        if (!reading.ok) throw reading.error;
        if (submitted.intent === 'preview') {
          const preview = await previewQueueConfig(deps, web.principal, queue.name, reading.config);
          await sendForm(res, web, { ...state, warnings: preview.warnings, preview: preview.recent });
          return;
        }
        if (submitted.intent === 'backtest') {
          // The config as the form stands, over the default range (the last 30 days), next to the saved one.
          const backtest = await backtestPolicy(deps, web.principal, { queue: queue.name, config: reading.config });
          await sendForm(res, web, { ...state, warnings: backtest.warnings, backtest });
          return;
        }
        await updateQueue(deps, web.principal, queue.name, reading.config, requestIdOf(req));
      } catch (error) {
        const appError = toAppError(error);
        if (!FORM_ERRORS.has(appError.code)) throw error;
        await sendForm(res, web, { ...state, error: appError }, appError.status);
        return;
      }
      res.redirect(303, `/settings/queues?saved=${encodeURIComponent(queue.name)}`);
    }),
  );
}
