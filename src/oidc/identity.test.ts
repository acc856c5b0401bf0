import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dexSubject } from './index.js';

describe('dexSubject', () => {
  const cases = [
    {
      name: "Dex's documented example user of the local connector",
      userId: '08a8684b-db88-4b73-90a9-3cd1661f5466',
      connectorId: 'local',
      want: 'CiQwOGE4Njg0Yi1kYjg4LTRiNzMtOTBhOS0zY2QxNjYxZjU0NjYSBWxvY2Fs',
    },
    { name: 'short ids', userId: 'a', connectorId: 'b', want: 'CgFhEgFi' },
  ];
  for (const c of cases) {
    it(`encodes ${c.name} as Dex does`, () => {
      assert.equal(dexSubject(c.userId, c.connectorId), c.want);
    });
  }

  it('uses multi-byte lengths for ids of 128 bytes and more', () => {
    const long = 'x'.repeat(200);
    const bytes = Buffer.from(dexSubject(long, 'c'), 'base64url');
    assert.deepEqual([...bytes.subarray(0, 3)], [0x0a, 0xc8, 0x01]);
    assert.equal(bytes.subarray(3, 203).toString(), long);
    assert.deepEqual([...bytes.subarray(203)], [0x12, 0x01, 0x63]);
  });
});
