// JSON Schemas of the HTTP API. The same objects validate requests (Ajv), serialise responses
// (fast-json-stringify) and become the OpenAPI document at /docs/json, so the three never drift apart.
import { ISLANDS, SEXES, SPECIES } from '../model/penguins.ts';

// Bounds are generous around the measured range of real penguins (bill 32-60 mm, flipper 172-231 mm,
// mass 2.7-6.3 kg): they reject nonsense such as 1e300 or negative sizes, not unusual birds.
export const instanceSchema = {
  $id: 'PenguinInstance',
  title: 'PenguinInstance',
  type: 'object',
  additionalProperties: false,
  required: ['island', 'bill_length_mm', 'bill_depth_mm', 'flipper_length_mm', 'body_mass_g', 'sex'],
  properties: {
    island: { type: 'string', enum: [...ISLANDS] },
    bill_length_mm: { type: 'number', exclusiveMinimum: 0, maximum: 200 },
    bill_depth_mm: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
    flipper_length_mm: { type: 'number', exclusiveMinimum: 0, maximum: 500 },
    body_mass_g: { type: 'number', exclusiveMinimum: 0, maximum: 20_000 },
    sex: { type: 'string', enum: [...SEXES] },
  },
} as const;

export function predictBodySchema(maxInstances: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['instances'],
    properties: {
      instances: { type: 'array', minItems: 1, maxItems: maxInstances, items: { $ref: 'PenguinInstance#' } },
    },
  } as const;
}

const probabilities = {
  type: 'object',
  required: [...SPECIES],
  properties: Object.fromEntries(SPECIES.map((s) => [s, { type: 'number' }])),
};

const modelRef = {
  type: 'object',
  required: ['name', 'version', 'alias'],
  properties: { name: { type: 'string' }, version: { type: 'string' }, alias: { type: 'string' } },
};

export const predictResponseSchema = {
  type: 'object',
  required: ['predictions', 'model'],
  properties: {
    predictions: {
      type: 'array',
      items: {
        type: 'object',
        required: ['species', 'probabilities'],
        properties: { species: { type: 'string', enum: [...SPECIES] }, probabilities },
      },
    },
    model: modelRef,
  },
} as const;

/** FastAPI-style field-level validation errors (422). */
export const validationErrorSchema = {
  type: 'object',
  required: ['detail'],
  properties: {
    detail: {
      type: 'array',
      items: {
        type: 'object',
        required: ['loc', 'msg', 'type'],
        properties: {
          loc: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'integer' }] } },
          msg: { type: 'string' },
          type: { type: 'string' },
        },
      },
    },
  },
} as const;

/** Every other error: one human-readable line. */
export const errorSchema = {
  type: 'object',
  required: ['detail'],
  properties: { detail: { type: 'string' } },
} as const;

export const readySchema = {
  type: 'object',
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    model: modelRef,
    reason: { type: 'string' },
  },
} as const;

export const healthSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string' }, replica: { type: 'string' } },
} as const;
