import {
  DEFAULT_GRANT_HOURS,
  DETECTOR_LABELS,
  DETECTORS,
  type DetectorKind,
  ESCALATION_ACTIONS,
  FIELD_OPERATORS,
  grantSettingsOf,
  type PolicyRule,
  type QueueConfig,
  RISK_LEVELS,
  type RiskLevel,
} from '@loopgate/shared';

/**
 * The queue builder: the queue config as form rows a person fills in, and back. Every field is kept
 * as the text the admin typed, so a re-render (after "Add rule", or a refused save) shows exactly
 * what they typed; only `toConfigInput` turns the text into the config the JSON editor would send,
 * and the same schema and use case then check and save it.
 */

/** `conditions`: an all/any/not rule, edited as its JSON (nesting does not fit form rows). */
export const RULE_TYPES = [
  'confidence_below',
  'risk',
  'flag',
  'sample',
  'field',
  'conditions',
  'auto_approve',
] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export interface RuleRow {
  type: RuleType;
  threshold: string;
  name: string;
  rate: string;
  /** confidence_below, flag, sample: approval levels ('' = all). */
  levels: string;
  /** risk: levels per risk level ('' = none). */
  risk: Record<RiskLevel, string>;
  /** field: which document (payload | context), the JSON Pointer, the operator and the value as typed. */
  source: string;
  path: string;
  op: string;
  /** JSON when it parses as JSON (10000, "10000", ["EUR","USD"]), otherwise the text itself. */
  value: string;
  /** field: review (default) or auto_approve. */
  outcome: string;
  /** conditions: the whole all/any/not rule as JSON. */
  json: string;
}
export interface LevelRow {
  name: string;
  group: string;
  quorum: string;
  mode: string;
  /** The level takes external reviewers' (guests') decisions: `allowGuests: true`. */
  allowGuests: boolean;
}
export interface StepRow {
  action: string;
  afterMinutes: string;
  group: string;
}
/** A built-in sensitive-data detector's row: raiseTo '' is off. */
export interface DetectorRow {
  raiseTo: string;
  name: string;
}
export interface CustomDetectorRow {
  name: string;
  pattern: string;
  raiseTo: string;
}
export type BuiltInDetector = Exclude<DetectorKind, 'custom'>;
export const BUILT_IN_DETECTORS = DETECTORS.filter((d): d is BuiltInDetector => d !== 'custom');

export interface BuilderState {
  description: string;
  reviewerGroups: string[];
  creatorMayApprove: boolean;
  rules: RuleRow[];
  otherwise: string;
  levels: LevelRow[];
  slaMinutes: string;
  slaByRisk: Record<RiskLevel, string>;
  steps: StepRow[];
  timeoutAction: string;
  timeoutAfterMinutes: string;
  /** Sensitive-data classification: each built-in detector's level (off: ''), then custom patterns. */
  detectors: Record<BuiltInDetector, DetectorRow>;
  customDetectors: CustomDetectorRow[];
  /** Standing approvals: whether reviewers may give them, and for how many hours at most. */
  grantsAllowed: boolean;
  grantsMaxHours: string;
  /** Config fields this form has no row for, carried through unchanged (JSON). */
  rest: string;
}

/** Config keys the builder has fields for; anything else rides along in `rest`. */
const BUILDER_KEYS = new Set([
  'description',
  'reviewerGroups',
  'creatorMayApprove',
  'policy',
  'levels',
  'sla',
  'escalation',
  'timeoutAction',
  'timeoutAfterSeconds',
  'classification',
  'grants',
]);

const MAX_ROWS = 10;
const noRisk = (): Record<RiskLevel, string> => ({ low: '', medium: '', high: '', critical: '' });
const noDetectors = (): Record<BuiltInDetector, DetectorRow> =>
  Object.fromEntries(BUILT_IN_DETECTORS.map((d) => [d, { raiseTo: '', name: '' }])) as Record<
    BuiltInDetector,
    DetectorRow
  >;
const text = (value: number | undefined | null) => (value === undefined || value === null ? '' : String(value));
const minutes = (seconds: number | null | undefined) =>
  seconds === null || seconds === undefined ? '' : String(Math.round((seconds / 60) * 1000) / 1000);

const CONDITIONS_EXAMPLE = JSON.stringify({
  type: 'all',
  rules: [
    { type: 'field', path: '/amount', op: 'gt', value: 10000 },
    { type: 'field', path: '/currency', op: 'in', value: ['EUR', 'USD'] },
  ],
  levels: 2,
});

export function emptyRule(type: RuleType): RuleRow {
  return {
    type,
    threshold: '',
    name: '',
    rate: '',
    levels: '',
    risk: noRisk(),
    source: 'payload',
    path: '',
    op: 'gt',
    value: '',
    outcome: 'review',
    json: type === 'conditions' ? CONDITIONS_EXAMPLE : '',
  };
}

function ruleRow(rule: PolicyRule): RuleRow {
  const combined = rule.type === 'all' || rule.type === 'any' || rule.type === 'not';
  const row = emptyRule(combined ? 'conditions' : rule.type);
  switch (rule.type) {
    case 'confidence_below':
      return { ...row, threshold: String(rule.threshold), levels: text(rule.levels) };
    case 'flag':
      return { ...row, name: rule.name, levels: text(rule.levels) };
    case 'sample':
      return { ...row, rate: String(rule.rate), levels: text(rule.levels) };
    case 'risk':
      return {
        ...row,
        risk: { ...noRisk(), ...Object.fromEntries(RISK_LEVELS.map((r) => [r, text(rule.levels[r])])) },
      };
    case 'auto_approve':
      return row;
    case 'field':
      return {
        ...row,
        source: rule.in ?? 'payload',
        path: rule.path,
        op: rule.op,
        value: rule.value === undefined ? '' : JSON.stringify(rule.value),
        outcome: rule.outcome ?? 'review',
        levels: text(rule.levels),
      };
    case 'all':
    case 'any':
    case 'not':
      return { ...row, json: JSON.stringify(rule, null, 2) };
  }
}

export function builderState(config: QueueConfig): BuilderState {
  const rest = Object.fromEntries(Object.entries(config).filter(([key]) => !BUILDER_KEYS.has(key)));
  return {
    description: config.description ?? '',
    reviewerGroups: [...config.reviewerGroups],
    creatorMayApprove: config.creatorMayApprove,
    rules: config.policy.rules.map(ruleRow),
    otherwise: config.policy.otherwise,
    levels: config.levels.map((level) => ({
      name: level.name,
      group: level.group ?? '',
      quorum: String(level.quorum),
      mode: level.mode,
      allowGuests: level.allowGuests === true,
    })),
    slaMinutes: minutes(config.sla.seconds),
    slaByRisk: { ...noRisk(), ...Object.fromEntries(RISK_LEVELS.map((r) => [r, minutes(config.sla.byRisk[r])])) },
    steps: config.escalation.map((step) => ({
      action: step.action,
      afterMinutes: minutes(step.afterSeconds),
      group: step.group ?? '',
    })),
    timeoutAction: config.timeoutAction,
    timeoutAfterMinutes: minutes(config.timeoutAfterSeconds),
    detectors: {
      ...noDetectors(),
      ...Object.fromEntries(
        config.classification.detectors
          .filter((d) => d.detector !== 'custom')
          .map((d) => [d.detector, { raiseTo: d.raiseTo, name: d.name ?? '' }]),
      ),
    },
    customDetectors: config.classification.detectors
      .filter((d) => d.detector === 'custom')
      .map((d) => ({ name: d.name ?? '', pattern: d.pattern ?? '', raiseTo: d.raiseTo })),
    grantsAllowed: grantSettingsOf(config).allowed,
    grantsMaxHours: String(grantSettingsOf(config).maxHours),
    rest: Object.keys(rest).length === 0 ? '' : JSON.stringify(rest),
  };
}

type Form = Record<string, unknown>;
const field = (form: Form, name: string): string => {
  const value = form[name];
  return typeof value === 'string' ? value : '';
};
const count = (form: Form, name: string): number => {
  const n = Number.parseInt(field(form, name), 10);
  return Number.isFinite(n) ? Math.max(0, Math.min(n, MAX_ROWS)) : 0;
};
const oneOf = <T extends string>(values: readonly T[], value: string, fallback: T): T =>
  (values as readonly string[]).includes(value) ? (value as T) : fallback;

/** The builder's rows as the browser sent them: nothing typed is dropped, whatever it says. */
export function readBuilder(form: Form): BuilderState {
  const groups = form.reviewerGroups;
  const rules = Array.from({ length: count(form, 'ruleCount') }, (_, i): RuleRow => {
    const at = (name: string) => field(form, `rule.${i}.${name}`);
    return {
      type: oneOf(RULE_TYPES, at('type'), 'confidence_below'),
      threshold: at('threshold'),
      name: at('name'),
      rate: at('rate'),
      levels: at('levels'),
      risk: Object.fromEntries(RISK_LEVELS.map((r) => [r, at(`risk.${r}`)])) as Record<RiskLevel, string>,
      source: at('source'),
      path: at('path'),
      op: at('op'),
      value: at('value'),
      outcome: at('outcome'),
      json: at('json'),
    };
  });
  return {
    description: field(form, 'description'),
    reviewerGroups: Array.isArray(groups) ? groups.map(String) : typeof groups === 'string' ? [groups] : [],
    creatorMayApprove: field(form, 'creatorMayApprove') === 'yes',
    rules,
    otherwise: field(form, 'otherwise'),
    levels: Array.from({ length: count(form, 'levelCount') }, (_, i) => ({
      name: field(form, `level.${i}.name`),
      group: field(form, `level.${i}.group`),
      quorum: field(form, `level.${i}.quorum`),
      mode: field(form, `level.${i}.mode`),
      allowGuests: field(form, `level.${i}.allowGuests`) === 'yes',
    })),
    slaMinutes: field(form, 'sla.minutes'),
    slaByRisk: Object.fromEntries(RISK_LEVELS.map((r) => [r, field(form, `sla.${r}`)])) as Record<RiskLevel, string>,
    steps: Array.from({ length: count(form, 'stepCount') }, (_, i) => ({
      action: field(form, `step.${i}.action`),
      afterMinutes: field(form, `step.${i}.afterMinutes`),
      group: field(form, `step.${i}.group`),
    })),
    timeoutAction: field(form, 'timeoutAction'),
    timeoutAfterMinutes: field(form, 'timeoutAfterMinutes'),
    detectors: Object.fromEntries(
      BUILT_IN_DETECTORS.map((d) => [
        d,
        { raiseTo: field(form, `detect.${d}`), name: field(form, `detect.${d}.name`) },
      ]),
    ) as Record<BuiltInDetector, DetectorRow>,
    customDetectors: Array.from({ length: count(form, 'customCount') }, (_, i) => ({
      name: field(form, `custom.${i}.name`),
      pattern: field(form, `custom.${i}.pattern`),
      raiseTo: field(form, `custom.${i}.raiseTo`),
    })),
    grantsAllowed: field(form, 'grantsAllowed') === 'yes',
    grantsMaxHours: field(form, 'grantsMaxHours'),
    rest: field(form, 'rest'),
  };
}

function move<T>(rows: T[], from: number, to: number): T[] {
  if (from < 0 || to < 0 || from >= rows.length || to >= rows.length) return rows;
  const copy = [...rows];
  const [row] = copy.splice(from, 1);
  copy.splice(to, 0, row as T);
  return copy;
}

/**
 * A row button ("add-rule", "remove-rule-2", "rule-up-1", "add-level", "step-down-0", …) applied to
 * the state; the page re-renders it, nothing saved. Unknown operations change nothing.
 */
export function applyOperation(state: BuilderState, op: string, newRuleType: string): BuilderState {
  const match = /^(add|remove|up|down)-(rule|level|step|custom)(?:-(\d+))?$/.exec(op);
  if (!match) return state;
  const [, verb, kind, at] = match;
  const index = Number(at ?? -1);
  const edit = <T>(rows: T[], fresh: () => T): T[] => {
    if (verb === 'add') return rows.length >= MAX_ROWS ? rows : [...rows, fresh()];
    if (verb === 'remove') return rows.filter((_row, i) => i !== index);
    return move(rows, index, verb === 'up' ? index - 1 : index + 1);
  };
  switch (kind) {
    case 'rule':
      return {
        ...state,
        rules: edit(state.rules, () => emptyRule(oneOf(RULE_TYPES, newRuleType, 'confidence_below'))),
      };
    case 'level':
      return {
        ...state,
        levels: edit(state.levels, () => ({ name: '', group: '', quorum: '1', mode: 'unanimous', allowGuests: false })),
      };
    case 'custom':
      return {
        ...state,
        customDetectors: edit(state.customDetectors, () => ({ name: '', pattern: '', raiseTo: 'high' })),
      };
    default:
      return { ...state, steps: edit(state.steps, () => ({ action: 'reminder', afterMinutes: '0', group: '' })) };
  }
}

/** A number field: blank is "not given"; anything else a number, or the text itself so the schema names the problem. */
function numberOr(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  const n = Number(trimmed);
  return Number.isFinite(n) ? n : trimmed;
}
function secondsOf(minutesText: string): number | string | undefined {
  const n = numberOr(minutesText);
  return typeof n === 'number' ? Math.round(n * 60) : n;
}
const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

function ruleInput(row: RuleRow): Record<string, unknown> {
  switch (row.type) {
    case 'confidence_below':
      return withoutUndefined({ type: row.type, threshold: numberOr(row.threshold), levels: numberOr(row.levels) });
    case 'flag':
      return withoutUndefined({ type: row.type, name: row.name.trim(), levels: numberOr(row.levels) });
    case 'sample':
      return withoutUndefined({ type: row.type, rate: numberOr(row.rate), levels: numberOr(row.levels) });
    case 'risk':
      return {
        type: row.type,
        levels: withoutUndefined(Object.fromEntries(RISK_LEVELS.map((r) => [r, numberOr(row.risk[r])]))),
      };
    case 'auto_approve':
      return { type: row.type };
    case 'field':
      return withoutUndefined({
        type: row.type,
        in: row.source === 'context' ? 'context' : undefined,
        path: row.path.trim(),
        op: (FIELD_OPERATORS as readonly string[]).includes(row.op) ? row.op : row.op.trim(),
        value: typedValue(row.value),
        outcome: row.outcome === 'auto_approve' ? 'auto_approve' : undefined,
        levels: numberOr(row.levels),
      });
    case 'conditions':
      return jsonOr(row.json);
  }
}

/** What the admin typed as a value: JSON when it is JSON (10000, true, ["a","b"]), else the words as a string. */
function typedValue(typed: string): unknown {
  if (typed.trim() === '') return undefined;
  try {
    return JSON.parse(typed);
  } catch {
    return typed;
  }
}

/**
 * Combined rules whose JSON does not parse, by config path ("policy.rules[1]"): said in words beside
 * the row, rather than as the schema's complaint about whatever the text turned into.
 */
export function builderJsonProblems(state: BuilderState): { path: string; message: string }[] {
  return state.rules.flatMap((row, index) => {
    if (row.type !== 'conditions') return [];
    try {
      const parsed: unknown = JSON.parse(row.json);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) return [];
      return [
        { path: `policy.rules[${index}]`, message: 'must be one JSON object, such as {"type": "all", "rules": […]}' },
      ];
    } catch (error) {
      return [{ path: `policy.rules[${index}]`, message: `not valid JSON (${(error as Error).message})` }];
    }
  });
}

/** The rule as JSON; text that is not JSON goes on as it is, so the schema refuses it instead of it vanishing. */
function jsonOr(typed: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(typed);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed))
      return parsed as Record<string, unknown>;
  } catch {
    // fall through
  }
  return { type: 'conditions', json: typed };
}

/**
 * The config the JSON editor would send for these rows: what the schema then checks, and the
 * one use case saves. A `rest` that is not a JSON object is passed on as given, so the schema
 * refuses it rather than this form quietly dropping it.
 */
export function toConfigInput(state: BuilderState): Record<string, unknown> {
  let rest: unknown = {};
  if (state.rest.trim() !== '') {
    try {
      rest = JSON.parse(state.rest);
    } catch {
      rest = { rest: state.rest };
    }
  }
  return {
    ...(rest !== null && typeof rest === 'object' && !Array.isArray(rest) ? rest : { rest }),
    description: state.description.trim() === '' ? null : state.description,
    reviewerGroups: state.reviewerGroups,
    policy: { rules: state.rules.map(ruleInput), otherwise: state.otherwise },
    levels: state.levels.map((level) =>
      withoutUndefined({
        name: level.name.trim(),
        group: level.group === '' ? null : level.group,
        quorum: numberOr(level.quorum),
        mode: level.mode,
        // Written only when ticked, so a queue saved from the page keeps the config (and version) it had.
        allowGuests: level.allowGuests ? true : undefined,
      }),
    ),
    creatorMayApprove: state.creatorMayApprove,
    sla: {
      seconds: secondsOf(state.slaMinutes) ?? null,
      byRisk: withoutUndefined(Object.fromEntries(RISK_LEVELS.map((r) => [r, secondsOf(state.slaByRisk[r])]))),
    },
    escalation: state.steps.map((step) =>
      withoutUndefined({
        action: step.action,
        afterSeconds: secondsOf(step.afterMinutes) ?? 0,
        group: step.action === 'reassign' || step.group !== '' ? step.group || undefined : undefined,
      }),
    ),
    timeoutAction: state.timeoutAction,
    timeoutAfterSeconds: secondsOf(state.timeoutAfterMinutes) ?? 0,
    // Built-ins in the schema's order, then the custom rows: the detectors' config paths follow it.
    classification: {
      detectors: [
        ...BUILT_IN_DETECTORS.filter((d) => state.detectors[d].raiseTo !== '').map((d) =>
          withoutUndefined({
            detector: d,
            raiseTo: state.detectors[d].raiseTo,
            name: state.detectors[d].name.trim() || undefined,
          }),
        ),
        ...state.customDetectors.map((row) => ({
          detector: 'custom',
          name: row.name.trim(),
          pattern: row.pattern,
          raiseTo: row.raiseTo,
        })),
      ],
    },
    ...grantsInput(state),
  };
}

/** The defaults (allowed, a day at most) are left out, so a queue saved untouched keeps no `grants` key it lacked. */
function grantsInput(state: BuilderState): { grants?: { allowed: boolean; maxHours: unknown } } {
  const maxHours = numberOr(state.grantsMaxHours);
  if (state.grantsAllowed && maxHours === DEFAULT_GRANT_HOURS) return {};
  return { grants: { allowed: state.grantsAllowed, maxHours: maxHours ?? DEFAULT_GRANT_HOURS } };
}

export const BUILDER_CHOICES = {
  ruleTypes: RULE_TYPES,
  fieldOperators: FIELD_OPERATORS,
  riskLevels: RISK_LEVELS,
  escalationActions: ESCALATION_ACTIONS,
  modes: ['unanimous', 'majority'] as const,
  detectors: BUILT_IN_DETECTORS,
  detectorLabels: DETECTOR_LABELS,
};
