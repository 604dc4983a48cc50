/**
 * A form (shared/forms) from the rows an automation builder fills in: the n8n node's fixed collection
 * and the Zapier app's line items give one row per field. No dependencies (type imports only), so the
 * n8n node and the Zapier app bundle it; the server checks the result again with formSchema.
 */
import type { Form, FormProperty } from './forms.js';

export const FORM_FIELD_TYPES = ['string', 'number', 'integer', 'boolean', 'enum'] as const;
export type FormFieldType = (typeof FORM_FIELD_TYPES)[number];

/** One row as a builder types it; everything is text or a checkbox. */
export interface FormFieldRow {
  /** The property name; also the payload member when no path is given. */
  name?: string;
  label?: string;
  type?: string;
  /** enum: the choices, comma- or newline-separated, each `value` or `value=Label`. */
  options?: string;
  required?: boolean;
  /** A JSON Pointer into the payload, e.g. `/refund/amount` (form only). */
  path?: string;
  readOnly?: boolean;
}

export type BuiltForm = { ok: true; form: Form | undefined } | { ok: false; message: string };

const NAME = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/**
 * The form the rows describe, undefined for no rows. `editable` (a task's `form`) allows payload paths
 * and read-only fields; a `responseForm` takes neither. `what` names the rows in messages.
 */
export function buildFormFromRows(
  rows: readonly FormFieldRow[] | undefined,
  what: string,
  editable: boolean,
): BuiltForm {
  const filled = (rows ?? []).filter((row) => (row.name ?? '').trim() !== '' || (row.label ?? '').trim() !== '');
  if (filled.length === 0) return { ok: true, form: undefined };
  if (filled.length > 50) return { ok: false, message: `${what}: at most 50 fields` };
  const properties: Record<string, FormProperty> = {};
  const required: string[] = [];
  for (const [index, row] of filled.entries()) {
    const name = (row.name ?? '').trim();
    const at = `${what}, field ${index + 1}${name ? ` ("${name}")` : ''}`;
    if (!NAME.test(name)) {
      return {
        ok: false,
        message: `${at}: the name must start with a letter or "_" and use letters, digits, "_", "." or "-"`,
      };
    }
    if (Object.hasOwn(properties, name)) return { ok: false, message: `${at}: the name is used twice` };
    const type = (row.type ?? 'string').trim() || 'string';
    if (!(FORM_FIELD_TYPES as readonly string[]).includes(type)) {
      return { ok: false, message: `${at}: the type must be one of ${FORM_FIELD_TYPES.join(', ')}` };
    }
    const common: { title?: string; readOnly?: boolean; 'x-loopgate-path'?: string } = {};
    const label = (row.label ?? '').trim();
    if (label) common.title = label;
    const path = (row.path ?? '').trim();
    if (path) {
      if (!editable) return { ok: false, message: `${at}: answers have no payload path` };
      if (!path.startsWith('/')) {
        return { ok: false, message: `${at}: the payload path must be a JSON Pointer such as /refund/amount` };
      }
      common['x-loopgate-path'] = path;
    }
    if (row.readOnly === true) {
      if (!editable) return { ok: false, message: `${at}: an answer cannot be read-only` };
      common.readOnly = true;
    }
    if (type === 'enum') {
      const choices = (row.options ?? '')
        .split(/[,\n]/)
        .map((part) => part.trim())
        .filter((part) => part !== '')
        .map((part) => {
          const [value = '', ...rest] = part.split('=');
          return { value: value.trim(), label: rest.join('=').trim() };
        });
      if (choices.length === 0) return { ok: false, message: `${at}: a choice field needs options` };
      const values = choices.map((choice) => choice.value);
      if (new Set(values).size !== values.length) return { ok: false, message: `${at}: an option is listed twice` };
      const labelled = choices.some((choice) => choice.label !== '');
      properties[name] = {
        type: 'string',
        ...common,
        enum: values,
        ...(labelled ? { enumNames: choices.map((choice) => choice.label || choice.value) } : {}),
      };
    } else {
      properties[name] = { type: type as 'string' | 'number' | 'integer' | 'boolean', ...common };
    }
    if (row.required === true) required.push(name);
  }
  const form: Form = { type: 'object', properties, ...(required.length > 0 ? { required } : {}) };
  return { ok: true, form };
}
