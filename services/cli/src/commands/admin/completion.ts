// `stratus admin completion bash|zsh`: a completion script for the `stratus` command,
// built from admin's own table of subcommands and options (so it cannot drift from the
// parser). bash: `source <(stratus admin completion bash)`; zsh loads the same function
// through bashcompinit: `source <(stratus admin completion zsh)`.

import { usageError } from './output.ts';

export interface CompletionTree {
  /** Words after `stratus` (dev, broker, ..., admin). */
  readonly commands: readonly string[];
  /** Each admin subcommand ("topics create") with its options (--partitions, ...). */
  readonly subcommands: Readonly<Record<string, readonly string[]>>;
  /** Options whose next word is their value (not a positional). */
  readonly valueOptions: readonly string[];
}

export const COMPLETION_SHELLS = ['bash', 'zsh'] as const;

const quote = (s: string): string => `"${s}"`;

function bashFunction(tree: CompletionTree): string {
  // Each path of words (options and their values left out) and what may follow it;
  // the longest paths first, so `"admin topics create"*` wins over `"admin topics"*`.
  const cases = new Map<string, string[]>([['', [...tree.commands]], ['admin', []]]);
  for (const [name, options] of Object.entries(tree.subcommands)) {
    const words = name.split(' ');
    for (let i = 1; i < words.length; i++) {
      const parent = ['admin', ...words.slice(0, i - 1)].join(' ');
      const next = cases.get(parent) ?? [];
      if (!next.includes(words[i - 1]!)) next.push(words[i - 1]!);
      cases.set(parent, next);
    }
    const parent = ['admin', ...words.slice(0, -1)].join(' ');
    const next = cases.get(parent) ?? [];
    if (!next.includes(words[words.length - 1]!)) next.push(words[words.length - 1]!);
    cases.set(parent, next);
    cases.set(`admin ${name}`, [...options]);
  }
  const arms = [...cases]
    .sort(([a], [b]) => b.length - a.length)
    .map(([path, words]) => `    ${path === '' ? '""' : `${quote(path)}|${quote(`${path} `)}*`}) candidates=${quote(words.join(' '))} ;;`);
  return [
    '_stratus() {',
    '  local cur="${COMP_WORDS[COMP_CWORD]}" path="" skip="" w i candidates',
    '  for ((i = 1; i < COMP_CWORD; i++)); do',
    '    w="${COMP_WORDS[i]}"',
    '    if [[ -n $skip ]]; then skip=""; continue; fi',
    `    case "$w" in ${tree.valueOptions.map((o) => `--${o}`).join('|')}) skip=1; continue ;; -*) continue ;; esac`,
    '    path="$path${path:+ }$w"',
    '  done',
    '  case "$path" in',
    ...arms,
    '    *) candidates="" ;;',
    '  esac',
    '  COMPREPLY=($(compgen -W "$candidates" -- "$cur"))',
    '}',
    'complete -F _stratus stratus',
  ].join('\n');
}

export function completionScript(shell: string | undefined, tree: CompletionTree): string {
  if (shell === 'bash') return `# stratus completion for bash: source <(stratus admin completion bash)\n${bashFunction(tree)}\n`;
  if (shell === 'zsh') {
    return `# stratus completion for zsh: source <(stratus admin completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n${bashFunction(tree)}\n`;
  }
  throw usageError(`completion ${shell ?? ''}: which shell? ${COMPLETION_SHELLS.join(' or ')}`.replace('completion :', 'completion:'));
}
