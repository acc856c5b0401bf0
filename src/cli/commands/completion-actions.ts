/** `argocd completion bash|zsh` */
import { bashCompletion, zshCompletion } from '../completion.js';
import type { CommandContext } from '../context.js';
import { usageError } from '../errors.js';

export function completion(ctx: CommandContext, args: readonly string[]): Promise<undefined> {
  const shell = args[0] ?? '';
  if (!ctx.program) throw new TypeError('completion needs the program tree');
  if (shell === 'bash') ctx.out(bashCompletion(ctx.program));
  else if (shell === 'zsh') ctx.out(zshCompletion(ctx.program));
  else throw usageError(`unsupported shell "${shell}": use bash or zsh`);
  return Promise.resolve(undefined);
}
