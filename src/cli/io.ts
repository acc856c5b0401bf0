/**
 * The CLI's contact with the terminal, injected so commands can be driven in tests: output
 * streams, the environment, and input (lines from stdin, a secret prompt that does not echo on a
 * terminal, a yes/no confirmation that defaults to no).
 */
import { homedir } from 'node:os';
import { CliError } from './errors.js';

export interface Output {
  write(text: string): void;
}

export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** stdin is a terminal (prompts are possible) */
  readonly interactive: boolean;
  /** stdout is a terminal (live progress may redraw) */
  readonly stdoutIsTty: boolean;
  readonly homeDir: string;
  readonly cwd: string;
  /** the next line of stdin (a prompt goes to stderr first on a terminal); undefined at EOF */
  readLine(prompt: string): Promise<string | undefined>;
  /** like readLine, without echo on a terminal */
  readSecret(prompt: string): Promise<string | undefined>;
  /** everything left on stdin */
  readAll(): Promise<string>;
  now(): Date;
}

/** Buffers a readable stream and hands it out line by line. */
class LineReader {
  #buffer = '';
  #ended = false;
  #waiters: (() => void)[] = [];
  #started = false;
  readonly #input: NodeJS.ReadableStream;

  constructor(input: NodeJS.ReadableStream) {
    this.#input = input;
  }

  #start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#input.setEncoding('utf8');
    this.#input.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    this.#input.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    this.#input.on('error', () => {
      this.#ended = true;
      this.#wake();
    });
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async line(): Promise<string | undefined> {
    this.#start();
    for (;;) {
      const nl = this.#buffer.indexOf('\n');
      if (nl !== -1) {
        const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
        this.#buffer = this.#buffer.slice(nl + 1);
        return line;
      }
      if (this.#ended) {
        if (this.#buffer === '') return undefined;
        const rest = this.#buffer;
        this.#buffer = '';
        return rest;
      }
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  async all(): Promise<string> {
    this.#start();
    while (!this.#ended) await new Promise<void>((r) => this.#waiters.push(r));
    const rest = this.#buffer;
    this.#buffer = '';
    return rest;
  }

  pause(): void {
    if (this.#started) this.#input.pause();
  }
}

/** Reads a line from a terminal in raw mode without echoing it. */
function readSecretFromTty(
  stdin: NodeJS.ReadStream,
  stderr: Output,
  prompt: string,
): Promise<string | undefined> {
  stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = '';
    const wasRaw = stdin.isRaw;
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.resume();
    const done = (err?: Error): void => {
      stdin.off('data', onData);
      stdin.setRawMode(wasRaw);
      stdin.pause();
      stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n') {
          done();
          return;
        }
        if (ch === '\u0003') {
          done(new CliError('ERR_CLI_INTERRUPTED', 'interrupted'));
          return;
        }
        if (ch === '\u0004' && value === '') {
          done();
          return;
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

/** The real terminal. */
export function processIo(): CliIo {
  const stdin = process.stdin;
  const interactive = stdin.isTTY;
  const lines = new LineReader(stdin);
  const stderr: Output = { write: (t) => process.stderr.write(t) };
  return {
    stdout: { write: (t) => process.stdout.write(t) },
    stderr,
    env: process.env,
    interactive,
    stdoutIsTty: process.stdout.isTTY,
    homeDir: homedir(),
    cwd: process.cwd(),
    readLine: async (prompt) => {
      if (interactive) stderr.write(prompt);
      const l = await lines.line();
      if (interactive) lines.pause();
      return l;
    },
    readSecret: (prompt) => (interactive ? readSecretFromTty(stdin, stderr, prompt) : lines.line()),
    readAll: () => lines.all(),
    now: () => new Date(),
  };
}

/** Asks a yes/no question on a terminal; anything but y/yes is no. */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  const answer = await io.readLine(`${question} [y/N] `);
  return answer !== undefined && /^(y|yes)$/i.test(answer.trim());
}
