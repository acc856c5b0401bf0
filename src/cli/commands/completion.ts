/** Definition of `completion bash|zsh`. */
import { lazy, type CommandDef } from '../define.js';

export const completionCommand: CommandDef = {
  name: 'completion',
  args: [{ name: '<shell>', description: 'bash or zsh' }],
  summary: 'Print a shell completion script',
  examples: `# bash: load in the current shell, or install for every shell
source <(argocd completion bash)
argocd completion bash > /etc/bash_completion.d/argocd

# zsh
source <(argocd completion zsh)
argocd completion zsh > "\${fpath[1]}/_argocd"`,
  action: lazy(() => import('./completion-actions.js'), 'completion'),
};
