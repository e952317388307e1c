// A reader of deploy/Dockerfile for the image test: stages and their instructions, and the
// arguments of the instructions the test acts on (COPY, RUN, ENV, ENTRYPOINT, HEALTHCHECK,
// USER, ARG, LABEL). It understands the forms the Dockerfile uses and throws on others,
// so that a new form is noticed rather than misread. hadolint checks the file's syntax.

export interface Instruction {
  /** Upper case: FROM, COPY, RUN, ... */
  readonly keyword: string;
  /** The rest of the logical line, continuations joined. */
  readonly args: string;
  /** 1-based line where it starts. */
  readonly line: number;
}

export interface Stage {
  readonly base: string;
  /** The `AS` name, if any. */
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

/** Logical lines: comments dropped (also inside continuations), `\`-continued lines joined. */
function instructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { text: string; line: number } | undefined;
  text.split('\n').forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === undefined)) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1) : trimmed;
    pending = pending === undefined ? { text: part, line: index + 1 } : { text: `${pending.text} ${part}`, line: pending.line };
    if (continued) return;
    const match = /^(\S+)\s*(.*)$/s.exec(pending.text)!;
    out.push({ keyword: match[1]!.toUpperCase(), args: match[2]!.trim(), line: pending.line });
    pending = undefined;
  });
  if (pending !== undefined) throw new Error(`line ${pending.line}: a continuation runs past the end of the file`);
  return out;
}

export function parseDockerfile(text: string): Stage[] {
  const stages: { base: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const instruction of instructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      if (words.length !== 1 && !(words.length === 3 && words[1]!.toUpperCase() === 'AS')) throw new Error(`line ${instruction.line}: FROM ${instruction.args}: not understood`);
      stages.push({ base: words[0]!, name: words[2], instructions: [] });
    } else if (instruction.keyword === 'ARG' && stages.length === 0) {
      continue; // an ARG before the first FROM belongs to no stage
    } else {
      const stage = stages.at(-1);
      if (stage === undefined) throw new Error(`line ${instruction.line}: ${instruction.keyword} before FROM`);
      stage.instructions.push(instruction);
    }
  }
  return stages;
}

/** Leading `--name=value` options of an instruction, and the rest. */
export function splitOptions(args: string): { options: Record<string, string>; rest: string } {
  const options: Record<string, string> = {};
  let rest = args;
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest); m !== null; m = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)) {
    options[m[1]!] = m[2] ?? 'true';
    rest = rest.slice(m[0].length);
  }
  return { options, rest };
}

/** Exec form (a JSON array of strings), the only form the test runs. */
export function execForm(args: string, where: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new Error(`${where}: not in exec form (a JSON array): ${args}`);
  }
  if (!Array.isArray(parsed) || !parsed.every((x) => typeof x === 'string')) throw new Error(`${where}: not a JSON array of strings: ${args}`);
  return parsed;
}

export interface CopyInstruction {
  readonly from: string | undefined;
  readonly sources: readonly string[];
  readonly destination: string;
  readonly line: number;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const { options, rest } = splitOptions(instruction.args);
  const unknown = Object.keys(options).filter((o) => o !== 'from' && o !== 'chown' && o !== 'chmod' && o !== 'link');
  if (unknown.length > 0) throw new Error(`line ${instruction.line}: COPY --${unknown.join(', --')}: not understood by this test`);
  const words = rest.startsWith('[') ? execForm(rest, `line ${instruction.line}`) : rest.split(/\s+/);
  if (words.length < 2) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
  const sources = words.slice(0, -1);
  const wildcard = sources.find((s) => /[*?[]/.test(s));
  if (wildcard !== undefined) throw new Error(`line ${instruction.line}: COPY ${wildcard}: wildcards are not understood by this test`);
  return { from: options['from'], sources, destination: words.at(-1)!, line: instruction.line };
}

/** `KEY=value ...` (values may be double-quoted), as ENV, LABEL and ARG take them. */
export function keyValues(args: string, where: string): Record<string, string> {
  const out: Record<string, string> = {};
  const pair = /\s*([A-Za-z_][A-Za-z0-9_.-]*)=("(?:[^"\\]|\\.)*"|\S*)/y;
  let index = 0;
  while (index < args.length && args.slice(index).trim() !== '') {
    pair.lastIndex = index;
    const m = pair.exec(args);
    if (m === null) throw new Error(`${where}: not KEY=value pairs: ${args}`);
    const raw = m[2]!;
    out[m[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    index = pair.lastIndex;
  }
  return out;
}

/** Every KEY=value of a stage's instructions of one kind (ENV, LABEL, ARG), later ones winning. */
export function stageKeyValues(stage: Stage, keyword: 'ENV' | 'LABEL' | 'ARG'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const instruction of stage.instructions.filter((i) => i.keyword === keyword)) {
    Object.assign(out, keyValues(instruction.args, `line ${instruction.line}`));
  }
  return out;
}

/** The one instruction of a kind in a stage (ENTRYPOINT, USER, ...). */
export function only(stage: Stage, keyword: string): Instruction {
  const found = stage.instructions.filter((i) => i.keyword === keyword);
  if (found.length !== 1) throw new Error(`expected one ${keyword} in the stage, found ${found.length}`);
  return found[0]!;
}
