/**
 * Record ids: UUIDv7 (time first, so that they sort by creation), increasing within this
 * process like the uuid package's own. The random part comes from a pool refilled 4 KB at a
 * time: the uuid package asks the system's random source for 16 bytes per id, which cost
 * more than a request's queries (3 to 4 µs each; a PATCH takes two or three ids).
 */
import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

const pool = new Uint8Array(4096);
let offset = pool.length;
let lastMs = -Infinity;
let sequence = 0;

export function newId(): string {
  if (offset + 16 > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const random = pool.subarray(offset, offset + 16);
  offset += 16;
  const now = Date.now();
  if (now > lastMs) {
    lastMs = now;
    // A new millisecond starts from a random 31-bit counter, as the uuid package does.
    sequence = (((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!) >>> 0;
  } else {
    sequence = (sequence + 1) | 0;
    if (sequence === 0) lastMs++;
  }
  return v7({ random, msecs: lastMs, seq: sequence });
}
