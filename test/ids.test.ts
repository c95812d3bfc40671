// Record ids (src/domain/ids.ts): UUIDv7, distinct, and increasing within the process even when
// many are taken in the same millisecond and the random pool is refilled between them.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { newId } from '../src/domain/ids.js';

describe('record ids', () => {
  it('are UUIDv7 with the current time, distinct and increasing over several refills of the pool', () => {
    const before = Date.now();
    const ids = Array.from({ length: 2000 }, () => newId());
    const after = Date.now();
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i]! > ids[i - 1]!, `${ids[i]} after ${ids[i - 1]}`);
    const ms = (id: string) => Number.parseInt(id.replaceAll('-', '').slice(0, 12), 16);
    assert.ok(ms(ids[0]!) >= before && ms(ids.at(-1)!) <= after + 1);
  });
});
