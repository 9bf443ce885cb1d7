import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BadRequestException, HttpStatus, UnsupportedMediaTypeException } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { bodyShapeMiddleware, checkShape, MAX_BODY_DEPTH, MAX_BODY_NODES } from './body-shape.middleware';

/** `levels` objects nested in each other around a primitive, built iteratively: {a:{a:…{a:1}}}. */
function nestedObjects(levels: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < levels; i++) v = { a: v };
  return v;
}

function nestedArrays(levels: number): unknown {
  let v: unknown = 'leaf';
  for (let i = 0; i < levels; i++) v = [v];
  return v;
}

const DEPTH_MESSAGE = `Request body is nested too deeply (max depth ${MAX_BODY_DEPTH})`;
const NODES_MESSAGE = `Request body has too many elements (max ${MAX_BODY_NODES})`;

describe('checkShape', () => {
  it('accepts primitives, empty containers and ordinary bodies', () => {
    for (const value of [null, 0, -1.5, '', 'text', true, false, {}, [], { name: 'k', provider: 'openai', key: 'sk-1' }]) {
      assert.equal(checkShape(value), null, JSON.stringify(value));
    }
    assert.equal(checkShape({ model_parameters: { temperature: 1, stop: ['a', 'b', 'c', 'd'] } }), null);
  });

  it(`allows ${MAX_BODY_DEPTH} levels of nesting and rejects ${MAX_BODY_DEPTH + 1}`, () => {
    assert.equal(MAX_BODY_DEPTH, 8);
    assert.equal(checkShape(nestedObjects(MAX_BODY_DEPTH)), null);
    assert.equal(checkShape(nestedObjects(MAX_BODY_DEPTH + 1)), DEPTH_MESSAGE);
    assert.equal(checkShape(nestedArrays(MAX_BODY_DEPTH)), null);
    assert.equal(checkShape(nestedArrays(MAX_BODY_DEPTH + 1)), DEPTH_MESSAGE);
  });

  it('counts arrays and objects alike when mixed, and finds the deep branch among shallow ones', () => {
    let mixed: unknown = 0;
    for (let i = 0; i < MAX_BODY_DEPTH + 1; i++) mixed = i % 2 ? [mixed] : { x: mixed };
    assert.equal(checkShape(mixed), DEPTH_MESSAGE);
    const wide = { a: 1, b: [1, 2, 3], c: { d: 'e' }, deep: nestedObjects(MAX_BODY_DEPTH), z: null };
    assert.equal(checkShape(wide), DEPTH_MESSAGE);
    assert.equal(checkShape({ ...wide, deep: nestedObjects(MAX_BODY_DEPTH - 1) }), null);
  });

  it('honours a custom depth limit', () => {
    assert.equal(checkShape(nestedObjects(2), 2), null);
    assert.equal(checkShape(nestedObjects(3), 2), 'Request body is nested too deeply (max depth 2)');
    assert.equal(checkShape({}, 0), 'Request body is nested too deeply (max depth 0)');
    assert.equal(checkShape('primitive', 0), null);
  });

  it(`allows ${MAX_BODY_NODES} nodes (root included) and rejects one more`, () => {
    assert.equal(MAX_BODY_NODES, 2000);
    const at = Array.from({ length: MAX_BODY_NODES - 1 }, (_, i) => i);
    assert.equal(checkShape(at), null);
    assert.equal(checkShape([...at, 'one more']), NODES_MESSAGE);
    const keys = Object.fromEntries(Array.from({ length: MAX_BODY_NODES }, (_, i) => [`k${i}`, i]));
    assert.equal(checkShape(keys), NODES_MESSAGE);
    // Nodes are counted across the whole tree, not per container.
    const spread = { a: at.slice(0, 1000), b: at.slice(0, 1000) };
    assert.equal(checkShape(spread), NODES_MESSAGE);
  });

  it('honours a custom node limit', () => {
    assert.equal(checkShape([1, 2], 8, 3), null);
    assert.equal(checkShape([1, 2, 3], 8, 3), 'Request body has too many elements (max 3)');
  });

  it('walks a 100000-deep value without recursion (no stack overflow), within and beyond the limits', () => {
    const deep = nestedArrays(100_000);
    assert.equal(checkShape(deep), DEPTH_MESSAGE);
    const deepObjects = nestedObjects(100_000);
    assert.equal(checkShape(deepObjects), DEPTH_MESSAGE);
    // With no limits it must walk the whole chain, which a recursive walk could not.
    assert.equal(checkShape(deep, Infinity, Infinity), null);
    assert.equal(checkShape(deep, Infinity, 50_000), 'Request body has too many elements (max 50000)');
  });
});

describe('bodyShapeMiddleware', () => {
  function call(body: unknown, headers: Record<string, string> = {}): unknown[] {
    const calls: unknown[][] = [];
    const req = { body, headers } as unknown as Request;
    bodyShapeMiddleware()(req, {} as Response, ((...args: unknown[]) => calls.push(args)) as NextFunction);
    assert.equal(calls.length, 1, 'next must be called exactly once');
    return calls[0];
  }

  it('passes requests without a body and well-shaped bodies', () => {
    assert.deepEqual(call(undefined), [undefined]);
    assert.deepEqual(call(undefined, { 'content-length': '0' }), [undefined]);
    assert.deepEqual(call({ name: 'x' }, { 'content-type': 'application/json', 'content-length': '12' }), [undefined]);
    assert.deepEqual(call({}, { 'content-type': 'application/json', 'content-length': '0' }), [undefined]);
  });

  it('rejects pathological bodies with a 400 naming the problem', () => {
    const [deep] = call(nestedObjects(20), { 'content-length': '200' });
    assert.ok(deep instanceof BadRequestException);
    assert.equal(deep.message, DEPTH_MESSAGE);
    const [wide] = call(Array.from({ length: 5000 }, () => 0), { 'content-length': '10000' });
    assert.ok(wide instanceof BadRequestException);
    assert.equal(wide.getStatus(), HttpStatus.BAD_REQUEST);
    assert.equal(wide.message, NODES_MESSAGE);
  });

  it('rejects a body the JSON parser skipped (not application/json) with 415', () => {
    const cases: Record<string, string>[] = [
      { 'content-type': 'text/plain', 'content-length': '20' },
      { 'content-type': 'application/x-www-form-urlencoded', 'content-length': '5' },
      { 'transfer-encoding': 'chunked' },
    ];
    for (const headers of cases) {
      const [err] = call(undefined, headers);
      assert.ok(err instanceof UnsupportedMediaTypeException, JSON.stringify(headers));
      assert.equal(err.getStatus(), HttpStatus.UNSUPPORTED_MEDIA_TYPE);
      assert.match(err.message, /application\/json/);
    }
  });
});
