import {
  type Form,
  type FormProperty,
  formPathProblems,
  formSchema,
  MAX_FORM_PROPERTIES,
} from '@loopgate/shared/forms';

/**
 * A Loopgate `form` (the fields a reviewer may edit) from a tool's JSON Schema, so a reviewer
 * changes a refund's amount in a number field instead of hand-editing JSON. Loopgate forms are
 * flat objects of primitives (the MCP elicitation subset): top-level string, number, integer and
 * boolean arguments (string enums as choices) become fields; nested objects and lists stay
 * editable in the raw payload only. Undefined when nothing fits, or when the server would refuse
 * the result for this payload (a task without a form is better than a task that is not created).
 */
export function formFromJsonSchema(schema: unknown, payload: unknown): Form | undefined {
  if (!isRecord(schema) || !isRecord(schema.properties)) return undefined;
  const properties: Record<string, FormProperty> = {};
  for (const [name, raw] of Object.entries(schema.properties)) {
    if (Object.keys(properties).length >= MAX_FORM_PROPERTIES) break;
    const property = formPropertyOf(raw);
    if (property) properties[name] = property;
  }
  if (Object.keys(properties).length === 0) return undefined;
  const required = Array.isArray(schema.required)
    ? schema.required.filter((name): name is string => typeof name === 'string' && Object.hasOwn(properties, name))
    : [];
  const candidate = {
    type: 'object',
    properties,
    ...(typeof schema.description === 'string' ? { description: schema.description.slice(0, 2000) } : {}),
    ...(required.length > 0 ? { required } : {}),
  };
  const parsed = formSchema.safeParse(candidate);
  if (!parsed.success || formPathProblems(parsed.data, payload).length > 0) return undefined;
  return parsed.data;
}

function formPropertyOf(raw: unknown): FormProperty | undefined {
  if (!isRecord(raw)) return undefined;
  const common = {
    ...(typeof raw.title === 'string' ? { title: raw.title.slice(0, 200) } : {}),
    ...(typeof raw.description === 'string' ? { description: raw.description.slice(0, 2000) } : {}),
  };
  const type = Array.isArray(raw.type) ? raw.type.find((t) => t !== 'null') : raw.type;
  if (type === 'string' || (type === undefined && Array.isArray(raw.enum))) {
    const choices = Array.isArray(raw.enum) ? raw.enum : undefined;
    if (choices && !choices.every((choice) => typeof choice === 'string')) return undefined;
    return {
      type: 'string',
      ...common,
      ...(choices ? { enum: choices as string[] } : {}),
      ...(typeof raw.minLength === 'number' ? { minLength: raw.minLength } : {}),
      ...(typeof raw.maxLength === 'number' ? { maxLength: raw.maxLength } : {}),
      ...(raw.format === 'email' || raw.format === 'uri' || raw.format === 'date' || raw.format === 'date-time'
        ? { format: raw.format }
        : {}),
    };
  }
  if (type === 'number' || type === 'integer') {
    return {
      type,
      ...common,
      ...(typeof raw.minimum === 'number' ? { minimum: raw.minimum } : {}),
      ...(typeof raw.maximum === 'number' ? { maximum: raw.maximum } : {}),
    };
  }
  if (type === 'boolean') return { type: 'boolean', ...common };
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
