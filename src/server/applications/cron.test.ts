import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CronSyntaxError, parseCron } from './cron.js';

const at = (s: string): number => Date.parse(`${s}Z`);

describe('parseCron', () => {
  const cases: { name: string; cron: string; time: string; want: boolean }[] = [
    { name: 'every minute', cron: '* * * * *', time: '2024-03-05T10:07:00', want: true },
    { name: 'exact minute and hour', cron: '30 22 * * *', time: '2024-03-05T22:30:00', want: true },
    { name: 'other minute', cron: '30 22 * * *', time: '2024-03-05T22:31:00', want: false },
    { name: 'step', cron: '*/15 * * * *', time: '2024-03-05T10:45:00', want: true },
    { name: 'step miss', cron: '*/15 * * * *', time: '2024-03-05T10:40:00', want: false },
    { name: 'range with step', cron: '0 8-18/2 * * *', time: '2024-03-05T16:00:00', want: true },
    { name: 'start with step', cron: '5/20 * * * *', time: '2024-03-05T16:45:00', want: true },
    {
      name: 'weekday names (Tuesday)',
      cron: '0 0 * * MON-FRI',
      time: '2024-03-05T00:00:00',
      want: true,
    },
    { name: 'Sunday as 7', cron: '0 0 * * 7', time: '2024-03-03T00:00:00', want: true },
    { name: 'month name', cron: '0 0 1 mar *', time: '2024-03-01T00:00:00', want: true },
    {
      name: 'dom and dow restricted: either',
      cron: '0 0 15 * MON',
      time: '2024-03-04T00:00:00',
      want: true,
    },
    {
      name: 'dom restricted, dow star: both',
      cron: '0 0 15 * *',
      time: '2024-03-04T00:00:00',
      want: false,
    },
    { name: 'list', cron: '0 1,13 * * *', time: '2024-03-05T13:00:00', want: true },
  ];
  for (const c of cases)
    it(c.name, () => {
      assert.equal(parseCron(c.cron).matches(at(c.time)), c.want);
    });

  it('finds the next matching minute, across months', () => {
    assert.equal(parseCron('0 0 1 * *').next(at('2024-01-31T12:00:00')), at('2024-02-01T00:00:00'));
    assert.equal(
      parseCron('*/10 * * * *').next(at('2024-01-31T12:00:00')),
      at('2024-01-31T12:10:00'),
    );
    assert.equal(
      parseCron('0 12 29 2 *').next(at('2024-03-01T00:00:00')),
      at('2028-02-29T12:00:00'),
    );
  });

  it('gives up on schedules that never fire', () => {
    assert.equal(parseCron('0 0 31 2 *').next(at('2024-01-01T00:00:00')), undefined);
  });

  for (const bad of [
    '* * * *',
    '60 * * * *',
    '* 24 * * *',
    '5-1 * * * *',
    '*/0 * * * *',
    'x * * * *',
    '1,,2 * * * *',
    '@daily',
  ])
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(() => parseCron(bad), CronSyntaxError);
    });
});
