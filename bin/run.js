// Shared launcher of the bin/ shims: runs the TypeScript sources through tsx's loader (Node 20
// cannot strip types) and dispatches to the program named by the shim.
import { register } from 'tsx/esm/api';

export async function run(name) {
  register();
  const { main } = await import('../src/cmd/main.ts');
  const code = await main(name, process.argv.slice(2));
  if (typeof code === 'number') process.exitCode = code;
}
