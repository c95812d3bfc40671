/** What a command of the `roster` command line reads and writes; tests pass their own. */
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Whether standard error is a terminal (progress is redrawn in place there). */
  stderrIsTerminal: boolean;
  /** Reads a password: the first line of standard input, or a hidden prompt on a terminal. */
  readPassword(prompt: string): Promise<string>;
  env: Record<string, string | undefined>;
}

/** A refused or failed operation: one line on standard error, exit code 1. */
export class CliFailure extends Error {}

/** The process's own streams. */
export function processIo(): CliIo {
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    stderrIsTerminal: process.stderr.isTTY === true,
    readPassword: (prompt) => (process.stdin.isTTY ? promptHidden(prompt) : firstLine(process.stdin)),
    env: process.env,
  };
}

/** The first line of a stream (a password piped in: `echo ... | roster users set-password alice`). */
export async function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

/** Asks twice on the terminal without echoing what is typed; Ctrl-C or Ctrl-D cancels. */
async function promptHidden(prompt: string): Promise<string> {
  const ask = (question: string) =>
    new Promise<string>((resolve, reject) => {
      let muted = false;
      let answered = false;
      const output = new Writable({
        write(chunk, _encoding, done) {
          if (!muted) process.stderr.write(chunk);
          done();
        },
      });
      const rl = createInterface({ input: process.stdin, output, terminal: true });
      rl.on('SIGINT', () => rl.close());
      rl.on('close', () => {
        if (answered) return;
        process.stderr.write('\n');
        reject(new CliFailure('no password given; nothing was changed'));
      });
      rl.question(question, (answer) => {
        answered = true;
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
      muted = true;
    });
  const first = await ask(prompt);
  const second = await ask('Repeat it: ');
  if (first !== second) throw new CliFailure('the two passwords differ; nothing was changed');
  return first;
}
