/**
 * A small validator for what arrives over JSON-RPC: the engine must not take
 * a client's word for a request's shape (a string where an array belongs
 * reaches the model as "prefix.slice is not a function"; an unbounded length
 * blocks it). Each schema checks a value and returns it typed, or throws a
 * UserError naming the field, what was expected and what came.
 */
import { UserError } from '../core/userError';

/** The UserError code of a request that does not match its schema. */
export const INVALID_PARAMS = 'invalid-params';

export interface Schema<T> {
  /** What is expected, for messages: "an integer from 1 to 400". */
  readonly expected: string;
  /** `value` as T; throws a UserError that names `path`. */
  check(value: unknown, path: string): T;
}

const shown = (value: unknown): string => {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
};

function schema<T>(expected: string, accept: (value: unknown) => boolean): Schema<T> {
  return {
    expected,
    check(value, path) {
      if (!accept(value)) throw new UserError(`${path} must be ${expected}, got ${shown(value)}`, INVALID_PARAMS);
      return value as T;
    },
  };
}

export const string = (maxLength: number): Schema<string> =>
  schema(`a string of at most ${maxLength.toLocaleString('en-US')} characters`, (v) => typeof v === 'string' && v.length <= maxLength);

export const boolean: Schema<boolean> = schema('true or false', (v) => typeof v === 'boolean');

/** A finite number in [min, max]; `integer` also asks for a whole number. */
export function number(min: number, max: number, integer = false): Schema<number> {
  const range = `from ${min} to ${max}`;
  return schema(integer ? `an integer ${range}` : `a number ${range}`, (v) => typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max && (!integer || Number.isInteger(v)));
}

export const integer = (min: number, max: number): Schema<number> => number(min, max, true);

export function oneOf<const T extends readonly string[]>(values: T): Schema<T[number]> {
  return schema(`one of ${values.join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
}

export function array<T>(item: Schema<T>, maxLength: number): Schema<T[]> {
  return {
    expected: `a list of at most ${maxLength} items, each ${item.expected}`,
    check(value, path) {
      if (!Array.isArray(value) || value.length > maxLength) throw new UserError(`${path} must be ${this.expected}, got ${shown(value)}`, INVALID_PARAMS);
      return value.map((v, i) => item.check(v, `${path}[${i}]`));
    },
  };
}

/** Marks a field of `object` that may be absent (or undefined, which JSON drops anyway). */
export interface Optional<T> {
  readonly optional: Schema<T>;
}
export const optional = <T>(s: Schema<T>): Optional<T> => ({ optional: s });

type Field = Schema<unknown> | Optional<unknown>;
type Shape = Record<string, Field>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends Schema<unknown> ? K : never }[keyof S];
type Infer<F> = F extends Schema<infer T> ? T : F extends Optional<infer T> ? T : never;
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in Exclude<keyof S, RequiredKeys<S>>]?: Infer<S[K]> };

/**
 * An object with these fields. Other fields are left out of the result
 * rather than refused (as zod's objects do): a client may send a richer
 * object than the request needs, such as a chosen neuron with its label, and
 * only what the schema checked reaches the handler. `rule` checks what spans
 * fields (from <= to) and returns what is wrong, if anything.
 */
export function object<S extends Shape>(shape: S, rule?: (value: ObjectOf<S>) => string | undefined): Schema<ObjectOf<S>> {
  return {
    expected: 'an object',
    check(value, path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${path} must be an object, got ${shown(value)}`, INVALID_PARAMS);
      const input = value as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(shape)) {
        const at = `${path}.${key}`;
        if ('optional' in field) {
          if (input[key] !== undefined) out[key] = field.optional.check(input[key], at);
        } else {
          out[key] = field.check(input[key], at);
        }
      }
      const problem = rule?.(out as ObjectOf<S>);
      if (problem) throw new UserError(`${path}: ${problem}`, INVALID_PARAMS);
      return out as ObjectOf<S>;
    },
  };
}
