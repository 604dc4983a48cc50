import { z } from 'zod';

/**
 * Forms a task may carry instead of raw JSON: `form` (fields of the payload a reviewer may edit) and
 * `responseForm` (what a reviewer must answer). Both use the JSON Schema subset MCP elicitation uses: a
 * flat object of primitive properties. Each property may say where in the payload it lives with
 * `"x-loopgate-path"`, an RFC 6901 JSON Pointer (default `/<property name>`).
 *
 * Everything here is pure (no I/O) so the server, the pages, the n8n node and the Zapier app share it.
 * Problems name the property (`path` is the property's name); callers prefix it (`form.amount`).
 */

export const MAX_FORM_PROPERTIES = 50;
export const MAX_FORM_POINTER_LENGTH = 512;
const MAX_POINTER_DEPTH = 16;
const MAX_ENUM_VALUES = 100;
const MAX_STRING_LENGTH = 20_000;

const propertyNameSchema = z
  .string()
  .regex(
    /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/,
    'Property names start with a letter or "_" and use letters, digits, "_", "." and "-" (at most 64)',
  );

const pointerSchema = z
  .string()
  .max(MAX_FORM_POINTER_LENGTH)
  .refine((pointer) => parsePointer(pointer) !== null, {
    message: `Must be a JSON Pointer such as "/refund/amount": "/"-separated, ~0 and ~1 escapes, at most ${MAX_POINTER_DEPTH} steps, no "__proto__"`,
  });

const common = {
  title: z.string().max(200).optional(),
  description: z.string().max(2000).optional(),
  readOnly: z.boolean().optional(),
  'x-loopgate-path': pointerSchema.optional(),
};

export const STRING_FORMATS = ['email', 'uri', 'date', 'date-time'] as const;

const stringPropertySchema = z.strictObject({
  type: z.literal('string'),
  ...common,
  minLength: z.number().int().min(0).max(MAX_STRING_LENGTH).optional(),
  maxLength: z.number().int().min(0).max(MAX_STRING_LENGTH).optional(),
  format: z.enum(STRING_FORMATS).optional(),
  enum: z.array(z.string().max(500)).min(1).max(MAX_ENUM_VALUES).optional(),
  enumNames: z.array(z.string().max(500)).max(MAX_ENUM_VALUES).optional(),
  default: z.string().max(MAX_STRING_LENGTH).optional(),
});

const finite = z.number().refine(Number.isFinite, 'Must be a finite number');

const numberPropertySchema = z.strictObject({
  type: z.enum(['number', 'integer']),
  ...common,
  minimum: finite.optional(),
  maximum: finite.optional(),
  default: finite.optional(),
});

const booleanPropertySchema = z.strictObject({
  type: z.literal('boolean'),
  ...common,
  default: z.boolean().optional(),
});

export const formPropertySchema = z.discriminatedUnion('type', [
  stringPropertySchema,
  numberPropertySchema,
  booleanPropertySchema,
]);
export type FormProperty = z.infer<typeof formPropertySchema>;

export const formSchema = z
  .strictObject({
    $schema: z.string().max(200).optional(),
    type: z.literal('object'),
    title: z.string().max(200).optional(),
    description: z.string().max(2000).optional(),
    properties: z
      .record(propertyNameSchema, formPropertySchema)
      .refine((properties) => Object.keys(properties).length >= 1, 'A form needs at least one property')
      .refine(
        (properties) => Object.keys(properties).length <= MAX_FORM_PROPERTIES,
        `A form may have at most ${MAX_FORM_PROPERTIES} properties`,
      ),
    required: z.array(propertyNameSchema).max(MAX_FORM_PROPERTIES).optional(),
  })
  .superRefine((form, ctx) => {
    for (const name of form.required ?? []) {
      if (!Object.hasOwn(form.properties, name)) {
        ctx.addIssue({ code: 'custom', path: ['required'], message: `"${name}" is required but is not a property` });
      }
    }
    const pointers = new Map<string, string>();
    for (const [name, property] of Object.entries(form.properties)) {
      const at = (key: string) => ['properties', name, key];
      const pointer = pointerOf(name, property);
      const other = pointers.get(pointer);
      if (other !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: at('x-loopgate-path'),
          message: `"${name}" and "${other}" both point at ${pointer}`,
        });
      }
      pointers.set(pointer, name);
      if (property.type === 'string') {
        if (property.minLength !== undefined && property.maxLength !== undefined) {
          if (property.minLength > property.maxLength) {
            ctx.addIssue({ code: 'custom', path: at('minLength'), message: 'minLength is greater than maxLength' });
          }
        }
        if (property.enumNames !== undefined && property.enumNames.length !== property.enum?.length) {
          ctx.addIssue({ code: 'custom', path: at('enumNames'), message: 'enumNames needs one name per enum value' });
        }
        if (property.enum !== undefined && new Set(property.enum).size !== property.enum.length) {
          ctx.addIssue({ code: 'custom', path: at('enum'), message: 'enum values must be distinct' });
        }
      }
      if (property.type === 'number' || property.type === 'integer') {
        if (property.minimum !== undefined && property.maximum !== undefined && property.minimum > property.maximum) {
          ctx.addIssue({ code: 'custom', path: at('minimum'), message: 'minimum is greater than maximum' });
        }
      }
      if (property.default !== undefined) {
        const problem = valueProblem(property, property.default);
        if (problem !== null) ctx.addIssue({ code: 'custom', path: at('default'), message: `default: ${problem}` });
      }
    }
  })
  .meta({
    id: 'Form',
    description:
      'A flat JSON Schema object of primitive properties (the subset MCP elicitation uses); "x-loopgate-path" is a JSON Pointer into the payload, default "/<property>"',
  });
export type Form = z.infer<typeof formSchema>;

/** A value a form field holds once parsed: always a JSON primitive of the property's type. */
export type FormValue = string | number | boolean;
export type FormValues = Record<string, FormValue>;

export interface FormProblem {
  /** The property's name. */
  path: string;
  message: string;
}

export type FormResult<T> = { ok: true; value: T } | { ok: false; problems: FormProblem[] };

export interface FormOption {
  value: string;
  label: string;
}

/** What a page needs to render one labelled input. */
export interface FormField {
  name: string;
  /** JSON Pointer into the payload. */
  path: string;
  title: string;
  description: string | null;
  type: 'string' | 'number' | 'integer' | 'boolean';
  required: boolean;
  readOnly: boolean;
  /** The payload's value at `path` when it is of the field's type, else the default, else undefined. */
  value: FormValue | undefined;
  /** The choices of an enum, labelled with enumNames when given; null for other fields. */
  options: FormOption[] | null;
  min: number | null;
  max: number | null;
  minLength: number | null;
  maxLength: number | null;
  format: (typeof STRING_FORMATS)[number] | null;
}

/** The property's JSON Pointer into the payload. */
export function pointerOf(name: string, property: FormProperty): string {
  return property['x-loopgate-path'] ?? `/${escapeToken(name)}`;
}

function escapeToken(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** The reference tokens of an RFC 6901 pointer, or null when it is not one Loopgate accepts. */
export function parsePointer(pointer: string): string[] | null {
  if (!pointer.startsWith('/') || pointer.length > MAX_FORM_POINTER_LENGTH) return null;
  const tokens = pointer.slice(1).split('/');
  if (tokens.length > MAX_POINTER_DEPTH) return null;
  const decoded: string[] = [];
  for (const token of tokens) {
    if (/~(?![01])/.test(token)) return null;
    const name = token.replace(/~1/g, '/').replace(/~0/g, '~');
    if (name === '__proto__') return null;
    decoded.push(name);
  }
  return decoded;
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

type Lookup = { found: true; value: unknown } | { found: false; problem: string | null };

/** Follows `tokens` through objects only; a missing member is `found: false` with no problem. */
function lookup(root: unknown, tokens: string[]): Lookup {
  let current = root;
  for (const [index, token] of tokens.entries()) {
    if (!isObject(current)) {
      const where = index === 0 ? 'the payload' : `/${tokens.slice(0, index).map(escapeToken).join('/')}`;
      return { found: false, problem: `${where} is ${describe(current)}, not an object` };
    }
    if (!Object.hasOwn(current, token)) return { found: false, problem: null };
    current = current[token];
  }
  return { found: true, value: current };
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function isFieldType(property: FormProperty, value: unknown): value is FormValue {
  switch (property.type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'boolean':
      return typeof value === 'boolean';
  }
}

/** The form's fields in the order the form lists them, with the payload's current values. */
export function formFields(form: Form, payload: unknown): FormField[] {
  const required = new Set(form.required ?? []);
  return Object.entries(form.properties).map(([name, property]) => {
    const path = pointerOf(name, property);
    const tokens = parsePointer(path) ?? [];
    const found = lookup(payload, tokens);
    const value = found.found && isFieldType(property, found.value) ? found.value : property.default;
    const isString = property.type === 'string';
    const isNumber = property.type === 'number' || property.type === 'integer';
    return {
      name,
      path,
      title: property.title ?? name,
      description: property.description ?? null,
      type: property.type,
      required: required.has(name),
      readOnly: property.readOnly === true,
      value,
      options:
        isString && property.enum !== undefined
          ? property.enum.map((option, index) => ({ value: option, label: property.enumNames?.[index] ?? option }))
          : null,
      min: isNumber ? (property.minimum ?? null) : null,
      max: isNumber ? (property.maximum ?? null) : null,
      minLength: isString ? (property.minLength ?? null) : null,
      maxLength: isString ? (property.maxLength ?? null) : null,
      format: isString ? (property.format ?? null) : null,
    };
  });
}

const NUMBER_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
const TRUE_TEXT = new Set(['true', 'on', '1', 'yes']);
const FALSE_TEXT = new Set(['', 'false', 'off', '0', 'no']);

/**
 * Typed values from what a browser form posted (field name → text, repeated names → a list, a checkbox →
 * its value or nothing). Numbers become JSON numbers, checkboxes booleans (absent means false); an empty
 * text field is left out. Read-only fields are not read. Then everything is checked as {@link validateResponse} does.
 */
export function parseFormValues(
  form: Form,
  raw: Record<string, string | string[] | boolean | undefined>,
): FormResult<FormValues> {
  const values: FormValues = {};
  const problems: FormProblem[] = [];
  for (const [name, property] of Object.entries(form.properties)) {
    if (property.readOnly === true) continue;
    const posted = Object.hasOwn(raw, name) ? raw[name] : undefined;
    if (Array.isArray(posted) && posted.length > 1) {
      problems.push({ path: name, message: 'Give one value' });
      continue;
    }
    const entry = Array.isArray(posted) ? posted[0] : posted;
    if (property.type === 'boolean') {
      if (entry === undefined || typeof entry === 'boolean') values[name] = entry === true;
      else if (TRUE_TEXT.has(entry.trim().toLowerCase())) values[name] = true;
      else if (FALSE_TEXT.has(entry.trim().toLowerCase())) values[name] = false;
      else problems.push({ path: name, message: 'Must be yes or no' });
      continue;
    }
    if (typeof entry === 'boolean') {
      problems.push({ path: name, message: 'Must be text, not a checkbox' });
      continue;
    }
    if (entry === undefined || entry === '') continue;
    if (property.type === 'string') {
      values[name] = entry;
      continue;
    }
    const text = entry.trim();
    const number = NUMBER_TEXT.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(number)) {
      problems.push({
        path: name,
        message: property.type === 'integer' ? 'Must be a whole number' : 'Must be a number',
      });
    } else {
      values[name] = number;
    }
  }
  const checked = validateResponse(form, values);
  if (!checked.ok) problems.push(...checked.problems.filter((p) => !problems.some((q) => q.path === p.path)));
  return problems.length > 0 ? { ok: false, problems } : checked;
}

/** What is wrong with `value` for `property` (type, bounds, enum, format), or null. */
function valueProblem(property: FormProperty, value: unknown): string | null {
  switch (property.type) {
    case 'boolean':
      return typeof value === 'boolean' ? null : 'Must be true or false';
    case 'number':
    case 'integer': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return 'Must be a number';
      if (property.type === 'integer' && !Number.isSafeInteger(value)) return 'Must be a whole number';
      if (property.minimum !== undefined && value < property.minimum) return `Must be at least ${property.minimum}`;
      if (property.maximum !== undefined && value > property.maximum) return `Must be at most ${property.maximum}`;
      return null;
    }
    case 'string': {
      if (typeof value !== 'string') return 'Must be text';
      if (property.enum !== undefined) {
        return property.enum.includes(value) ? null : `Must be one of: ${property.enum.join(', ')}`;
      }
      const length = [...value].length;
      if (length > (property.maxLength ?? MAX_STRING_LENGTH)) {
        return `Must be at most ${property.maxLength ?? MAX_STRING_LENGTH} characters`;
      }
      if (property.minLength !== undefined && length < property.minLength) {
        return `Must be at least ${property.minLength} characters`;
      }
      if (property.format !== undefined && !FORMAT_CHECKS[property.format].safeParse(value).success) {
        return FORMAT_MESSAGES[property.format];
      }
      return null;
    }
  }
}

const FORMAT_CHECKS = {
  email: z.email(),
  uri: z.url(),
  date: z.iso.date(),
  'date-time': z.iso.datetime({ offset: true }),
} as const;

const FORMAT_MESSAGES = {
  email: 'Must be an e-mail address',
  uri: 'Must be a web address (URL)',
  date: 'Must be a date (YYYY-MM-DD)',
  'date-time': 'Must be a date and time such as 2026-12-02T09:30:00Z',
} as const;

/**
 * Checks answers to a `responseForm` (or a `form`'s typed values): an object whose members are the
 * form's properties, every required one present, each of its type and within its bounds, enum and format.
 * Unknown members and answers to read-only properties are refused.
 */
export function validateResponse(form: Form, values: unknown): FormResult<FormValues> {
  if (!isObject(values)) return { ok: false, problems: [{ path: '', message: 'Must be an object of answers' }] };
  const problems: FormProblem[] = [];
  const required = new Set(form.required ?? []);
  for (const name of Object.keys(values)) {
    const property = Object.hasOwn(form.properties, name) ? form.properties[name] : undefined;
    if (property === undefined) problems.push({ path: name, message: 'Is not a field of this form' });
    else if (property.readOnly === true) problems.push({ path: name, message: 'Is read-only' });
  }
  const answers: FormValues = {};
  for (const [name, property] of Object.entries(form.properties)) {
    if (property.readOnly === true) continue;
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    if (value === undefined || value === null) {
      if (required.has(name)) problems.push({ path: name, message: 'Required' });
      continue;
    }
    const problem = valueProblem(property, value);
    if (problem !== null) problems.push({ path: name, message: problem });
    else answers[name] = value as FormValue;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, value: answers };
}

/**
 * Where each field's pointer cannot be written in `payload`: the payload is not an object, or the
 * pointer passes through a list, a primitive or null, or ends on an object or a list. A missing member is
 * fine (writing creates it). The server refuses a task whose form has any of these.
 */
export function formPathProblems(form: Form, payload: unknown): FormProblem[] {
  const problems: FormProblem[] = [];
  for (const [name, property] of Object.entries(form.properties)) {
    const pointer = pointerOf(name, property);
    const tokens = parsePointer(pointer);
    if (tokens === null) {
      problems.push({ path: name, message: `${pointer} is not a JSON Pointer` });
      continue;
    }
    const found = lookup(payload, tokens);
    if (!found.found && found.problem !== null) {
      problems.push({ path: name, message: `${pointer} cannot be followed: ${found.problem}` });
    } else if (found.found && found.value !== null && typeof found.value === 'object') {
      problems.push({ path: name, message: `${pointer} holds ${describe(found.value)}, not a single value` });
    }
  }
  return problems;
}

/**
 * A NEW payload with each editable field's value written at its pointer (intermediate objects created).
 * A field left empty removes the value at its pointer, so a cleared field is never silently kept (an
 * empty string or null there stays, as it showed empty); read-only fields leave the payload as it was. `payload` is
 * not changed.
 */
export function payloadFromForm(form: Form, payload: unknown, values: FormValues): FormResult<unknown> {
  const problems = formPathProblems(form, payload);
  if (problems.length > 0) return { ok: false, problems };
  const next = JSON.parse(JSON.stringify(payload)) as JsonObject;
  for (const [name, property] of Object.entries(form.properties)) {
    if (property.readOnly === true) continue;
    const tokens = parsePointer(pointerOf(name, property)) as string[];
    const value = Object.hasOwn(values, name) ? values[name] : undefined;
    const leaf = tokens[tokens.length - 1] as string;
    if (value === undefined) {
      const parent = lookup(next, tokens.slice(0, -1));
      if (parent.found && isObject(parent.value) && Object.hasOwn(parent.value, leaf)) {
        const held = parent.value[leaf];
        if (held !== null && held !== '') delete parent.value[leaf];
      }
      continue;
    }
    let current: JsonObject = next;
    for (const token of tokens.slice(0, -1)) {
      if (!Object.hasOwn(current, token)) current[token] = {};
      current = current[token] as JsonObject;
    }
    current[leaf] = value;
  }
  return { ok: true, value: next };
}
