import { z } from "zod";
import type { JsonSchema, LlmFinishReason, LlmMessage, LlmOutputSpec } from "../llm";
import { aiErrors } from "./errors";

/** An output spec made ready for the wire (JSON Schema) and for checking the answer (a zod validator). */
export interface PreparedOutput<T> {
  name: string;
  description?: string;
  jsonSchema: JsonSchema;
  validator: z.ZodType<T>;
}

function isZodSchema<T>(schema: z.ZodType<T> | JsonSchema): schema is z.ZodType<T> {
  return "_zod" in schema && typeof (schema as { safeParse?: unknown }).safeParse === "function";
}

/** Plain JSON Schemas are compiled to a zod validator once per schema object, not per call. */
const compiled = new WeakMap<JsonSchema, z.ZodType>();

function validatorFor(schema: JsonSchema): z.ZodType {
  let validator = compiled.get(schema);
  if (!validator) {
    validator = z.fromJSONSchema(schema);
    compiled.set(schema, validator);
  }
  return validator;
}

export function prepareOutput<T>(spec: LlmOutputSpec<T>): PreparedOutput<T> {
  if (isZodSchema(spec.schema)) {
    const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(spec.schema) as JsonSchema;
    return { name: spec.name, description: spec.description, jsonSchema, validator: spec.schema };
  }
  const { $schema: _dialect, ...jsonSchema } = spec.schema;
  // The caller gave no static type for a plain JSON Schema: T is whatever it declared (default unknown).
  return {
    name: spec.name,
    description: spec.description,
    jsonSchema,
    validator: validatorFor(spec.schema) as z.ZodType<T>,
  };
}

/**
 * Reads JSON out of a model's text: models asked for JSON by instruction often wrap it in a code fence
 * or a sentence, and reasoning models prefix a `<think>` block.
 */
export function parseJsonText(text: string): { ok: true; value: unknown } | { ok: false } {
  const cleaned = text
    .replace(/<think>[\s\S]*?<\/think>/g, "")
    .replace(/^\s*```(?:json)?\s*/i, "")
    .replace(/\s*```\s*$/, "")
    .trim();
  const attempts = [cleaned];
  const start = cleaned.search(/[{[]/);
  const end = Math.max(cleaned.lastIndexOf("}"), cleaned.lastIndexOf("]"));
  if (start > 0 || (start >= 0 && end < cleaned.length - 1)) attempts.push(cleaned.slice(start, end + 1));
  for (const candidate of attempts) {
    try {
      return { ok: true, value: JSON.parse(candidate) };
    } catch {
      // next candidate
    }
  }
  return { ok: false };
}

/**
 * Validates a structured answer. `raw` is the model's text, or an already-parsed value (Workers AI
 * JSON mode returns `response` as an object). Failure is the provider's: 502 `llm_invalid_output`.
 */
export function resolveOutput<T>(
  prepared: PreparedOutput<T>,
  raw: unknown,
  context: { provider: string; finishReason: LlmFinishReason },
): T {
  const truncated =
    context.finishReason === "length" ? " The answer was cut off by maxTokens; raise it for this request." : "";
  let value = raw;
  if (typeof raw === "string") {
    const parsed = parseJsonText(raw);
    if (!parsed.ok) {
      throw aiErrors.invalidOutput(
        context.provider,
        `The language model did not answer with JSON for "${prepared.name}".${truncated}`,
        { finishReason: context.finishReason },
      );
    }
    value = parsed.value;
  }
  const result = prepared.validator.safeParse(value);
  if (!result.success) {
    const issues = result.error.issues.slice(0, 10).map((i) => ({ path: i.path.join("."), message: i.message }));
    throw aiErrors.invalidOutput(
      context.provider,
      `The language model's JSON does not match the schema "${prepared.name}": ${issues
        .map((i) => `${i.path || "(root)"}: ${i.message}`)
        .join("; ")}.${truncated}`,
      { issues, finishReason: context.finishReason },
    );
  }
  return result.data;
}

/**
 * The fallback when a provider cannot enforce a schema natively: the schema goes into the system
 * prompt and the answer is validated afterwards exactly as in native mode.
 */
export function withJsonInstruction(messages: LlmMessage[], prepared: PreparedOutput<unknown>): LlmMessage[] {
  const instruction =
    `Answer with a single JSON value that conforms to the JSON Schema "${prepared.name}" below. ` +
    `Output only the JSON: no prose, no code fences.\n${JSON.stringify(prepared.jsonSchema)}`;
  const firstSystem = messages.findIndex((m) => m.role === "system");
  if (firstSystem < 0) return [{ role: "system", content: instruction }, ...messages];
  return messages.map((m, i) =>
    i === firstSystem ? { role: "system", content: `${m.content}\n\n${instruction}` } : m,
  );
}
