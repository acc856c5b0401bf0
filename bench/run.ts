/**
 * `npm run bench -- <scenario> [--size S|M|L]`: runs one benchmark scenario from bench/scenarios/
 * and prints its result; the last line is one JSON object per result. `npm run bench -- --list`
 * lists the scenarios. Exit status is 0 even when a target is missed (the JSON says pass:false);
 * a scenario that crashes exits 1.
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { environment, round, type BenchResult, type Scenario, type Size } from './lib.js';

const dir = fileURLToPath(new URL('./scenarios/', import.meta.url));
const args = process.argv.slice(2);
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

async function load(name: string): Promise<Scenario> {
  const mod = (await import(`./scenarios/${name}.ts`)) as { scenario: Scenario };
  return mod.scenario;
}

if (args.includes('--list') || args.length === 0) {
  for (const n of names) {
    const s = await load(n);
    process.stdout.write(`${n.padEnd(20)} ${s.description}\n`);
  }
  if (args.length === 0)
    process.stdout.write('\nusage: npm run bench -- <scenario> [--size S|M|L]\n');
} else {
  const name = args.find((a) => !a.startsWith('--')) ?? '';
  const sizeArg = args[args.indexOf('--size') + 1];
  const size: Size = sizeArg === 'S' || sizeArg === 'L' ? sizeArg : 'M';
  if (!names.includes(name)) {
    process.stderr.write(`unknown scenario "${name}": one of ${names.join(', ')}\n`);
    process.exit(2);
  }
  const scenario = await load(name);
  process.stderr.write(`bench ${name} (size ${size}) ${JSON.stringify(environment())}\n`);
  const out = await scenario.run({ size, log: (l) => process.stderr.write(`  ${l}\n`) });
  const results: BenchResult[] = Array.isArray(out) ? out : [out];
  for (const r of results) {
    if (r.details)
      process.stdout.write(`${r.scenario}/${r.metric} details: ${JSON.stringify(r.details)}\n`);
    process.stdout.write(
      `${r.scenario}/${r.metric}: ${round(r.value)} ${r.unit} vs reference ${round(r.reference)} ${r.unit}; ratio ${round(r.ratio)} (target ${r.target}) ${r.pass ? 'PASS' : 'MISS'}\n`,
    );
  }
  for (const r of results) {
    process.stdout.write(
      `${JSON.stringify({ scenario: r.scenario, metric: r.metric, value: round(r.value), unit: r.unit, reference: round(r.reference), ratio: round(r.ratio), target: r.target, pass: r.pass })}\n`,
    );
  }
}
