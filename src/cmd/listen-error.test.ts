import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { describeListenFailure, type ListenTarget } from './listen-error.js';

function listenError(port: number): Promise<Error> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', resolve);
    s.listen(port, '127.0.0.1', () => {
      s.close();
      reject(new Error('listen succeeded'));
    });
  });
}

describe('describeListenFailure', () => {
  let taken: Server;
  let port = 0;
  before(async () => {
    taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    port = (taken.address() as { port: number }).port;
  });
  after(() => {
    taken.close();
  });

  const targets = (p: number): ListenTarget[] => [
    {
      what: 'repo server',
      address: '127.0.0.1',
      port: 1,
      portFlag: '--port',
      addressFlag: '--address',
    },
    {
      what: 'metrics',
      address: '127.0.0.1',
      port: p,
      portFlag: '--metrics-port',
      addressFlag: '--metrics-address',
    },
  ];

  it('names the address, the listener whose port is taken and the flag to change', async () => {
    const msg = describeListenFailure(await listenError(port), targets(port));
    assert.equal(
      msg,
      `failed to listen on 127.0.0.1:${port} (metrics): the address is already in use; stop the process that holds it, or choose another port with --metrics-port`,
    );
  });

  it('finds the system error in the cause chain of a wrapped error', async () => {
    const wrapped = new Error('failed to start', { cause: await listenError(port) });
    assert.match(
      describeListenFailure(wrapped, targets(port)) ?? '',
      /already in use.*--metrics-port/,
    );
  });

  it('returns undefined for errors that are not listen failures', () => {
    assert.equal(describeListenFailure(new Error('boom'), targets(port)), undefined);
    const refused = Object.assign(new Error('x'), { code: 'ECONNREFUSED', syscall: 'connect' });
    assert.equal(describeListenFailure(refused, targets(port)), undefined);
    assert.equal(describeListenFailure('EADDRINUSE', targets(port)), undefined);
  });
});
