import readline from 'node:readline/promises';
import { parseArgs } from 'node:util';
import type { Command } from '../lib/command.js';
import { newTotpSecret, totpUri } from '../auth/totp.js';
import { loadConfig } from '../config.js';
import { buildDeps } from '../deps.js';
import { createLogger } from '../log/logger.js';
import { completeSetup, setupNeeded, type SetupErrors, type SetupInput } from './service.js';

/**
 * `npx kinko setup`: the first-run setup from a terminal on the server. Being
 * able to run it against the data folder and database is the authority (no
 * token needed); it shares completeSetup() with the web page.
 *
 * Non-interactive use (scripts, tests): --office, --name, --login,
 * --totp-secret, --totp-code (and the optional --email for notices), with the password and key passphrase from
 * KINKO_SETUP_PASSWORD and KINKO_SETUP_KEY_PASSPHRASE (environment, never
 * flags: flags are visible to every user in the process list).
 */
export const setupCommands: Record<string, Command> = {
  setup: {
    summary: '初回設定（事務所・所長・事務所の鍵） / first-run setup (office, director, office key)',
    run: runSetup,
  },
};

type Field = keyof SetupInput;

async function runSetup(args: string[]): Promise<number> {
  const { values: flags } = parseArgs({
    args,
    options: {
      office: { type: 'string' },
      name: { type: 'string' },
      login: { type: 'string' },
      'totp-secret': { type: 'string' },
      'totp-code': { type: 'string' },
      email: { type: 'string' },
    },
    strict: true,
  });
  const config = loadConfig(process.env);
  // Warnings only, to stderr: the console output of this command is for the person at the terminal.
  const deps = await buildDeps(config, { logger: createLogger({ level: 'warn', destination: process.stderr }) });
  const ja = deps.i18n.getFixedT('ja');
  const en = deps.i18n.getFixedT('en');
  const both = (key: string, o: Record<string, unknown> = {}) => `${ja(key, o)} / ${en(key, o)}`;
  try {
    if (!(await setupNeeded(deps))) {
      console.error(`kinko: ${both('setup.cli.already')}`);
      return 1;
    }
    const input: SetupInput = {
      officeName: flags.office ?? '',
      directorName: flags.name ?? '',
      loginId: flags.login ?? '',
      password: process.env.KINKO_SETUP_PASSWORD ?? '',
      passwordConfirm: process.env.KINKO_SETUP_PASSWORD ?? '',
      totpSecret: flags['totp-secret']?.replace(/\s+/g, '').toUpperCase() || newTotpSecret(),
      totpCode: flags['totp-code'] ?? '',
      keyPassphrase: process.env.KINKO_SETUP_KEY_PASSPHRASE ?? '',
      keyPassphraseConfirm: process.env.KINKO_SETUP_KEY_PASSPHRASE ?? '',
      email: flags.email ?? '',
    };
    const given = new Set<Field>((Object.keys(input) as Field[]).filter((k) => input[k] !== ''));
    // A code only means something together with the secret it was made from.
    if (!flags['totp-secret']) given.delete('totpCode');
    const interactive = !!process.stdin.isTTY;

    if (!interactive) {
      const missing = missingFlags(given);
      if (missing.length) {
        console.error(`kinko: ${both('setup.cli.missing')} ${missing.join(', ')}`);
        return 2;
      }
      const result = await completeSetup(deps, { cli: true }, input);
      if (!result.ok) return printErrors(result.errors, both, deps.config.limits.password.minLength), 1;
      printDone(result, config.publicUrl, both);
      return 0;
    }

    const terminal = new Terminal();
    try {
      console.log(both('setup.cli.intro'));
      let ask = (['officeName', 'directorName', 'loginId', 'email', 'password', 'keyPassphrase', 'totpCode'] as const).filter((f) => !given.has(f));
      for (;;) {
        for (const f of ask) await promptFor(terminal, f, input, both);
        const result = await completeSetup(deps, { cli: true }, input);
        if (result.ok) {
          printDone(result, config.publicUrl, both);
          return 0;
        }
        printErrors(result.errors, both, deps.config.limits.password.minLength);
        if (result.errors.form) return 1;
        ask = fieldsToAskAgain(result.errors);
      }
    } finally {
      terminal.close();
    }
  } finally {
    await deps.close();
  }
}

function missingFlags(given: Set<Field>): string[] {
  const need: Array<[Field, string]> = [
    ['officeName', '--office'],
    ['directorName', '--name'],
    ['loginId', '--login'],
    ['password', 'KINKO_SETUP_PASSWORD'],
    ['keyPassphrase', 'KINKO_SETUP_KEY_PASSPHRASE'],
    ['totpCode', '--totp-secret + --totp-code'],
  ];
  return need.filter(([f]) => !given.has(f)).map(([, flag]) => flag);
}

type Asked = 'officeName' | 'directorName' | 'loginId' | 'email' | 'password' | 'keyPassphrase' | 'totpCode';

function fieldsToAskAgain(errors: SetupErrors): Asked[] {
  const out = new Set<Asked>();
  for (const f of Object.keys(errors)) {
    if (f === 'passwordConfirm') out.add('password');
    else if (f === 'keyPassphraseConfirm') out.add('keyPassphrase');
    else if (f !== 'form') out.add(f as 'officeName');
  }
  return [...out];
}

async function promptFor(term: Terminal, f: string, input: SetupInput, both: (k: string, o?: Record<string, unknown>) => string): Promise<void> {
  switch (f) {
    case 'officeName':
      input.officeName = await term.ask(`${both('setup.office.name')}: `);
      break;
    case 'directorName':
      input.directorName = await term.ask(`${both('setup.director.name')}: `);
      break;
    case 'loginId':
      input.loginId = await term.ask(`${both('setup.director.loginId')}: `);
      break;
    case 'email':
      console.log(both('setup.noticeEmail.hint'));
      input.email = await term.ask(`${both('setup.noticeEmail.prompt')}: `);
      break;
    case 'password':
      input.password = await term.ask(`${both('setup.director.password')}: `, true);
      input.passwordConfirm = await term.ask(`${both('setup.director.passwordConfirm')}: `, true);
      break;
    case 'keyPassphrase':
      console.log(both('setup.passphrase.warning'));
      input.keyPassphrase = await term.ask(`${both('setup.passphrase.field')}: `, true);
      input.keyPassphraseConfirm = await term.ask(`${both('setup.passphrase.confirm')}: `, true);
      break;
    case 'totpCode':
      console.log(both('setup.cli.totpScan'));
      console.log(`  ${totpUri(input.totpSecret, 'kinko', 'director')}`);
      console.log(`${both('setup.cli.totpTyped')} ${input.totpSecret.replace(/(.{4})(?=.)/g, '$1 ')}`);
      input.totpCode = await term.ask(`${both('setup.totp.code')}: `);
      break;
  }
}

function printErrors(errors: SetupErrors, both: (k: string, o?: Record<string, unknown>) => string, min: number): void {
  for (const [field, key] of Object.entries(errors)) console.error(`  ✗ ${field}: ${both(key!, { min })}`);
}

function printDone(result: { loginId: string; fingerprint: string; email: string | null }, publicUrl: string, both: (k: string, o?: Record<string, unknown>) => string): void {
  console.log(`${both('setup.cli.done')} ${publicUrl}/office/login  (login ID: ${result.loginId})`);
  console.log(`${both('setup.cli.fingerprint')} ${result.fingerprint.toUpperCase().replace(/(.{4})(?=.)/g, '$1 ')}`);
  if (result.email) console.log(both('setup.noticeEmail.set', { email: result.email }));
  else console.log(`⚠ ${both('setup.noticeEmail.missing')}`);
}

/** readline prompts; secret answers are not echoed to the terminal. */
class Terminal {
  private muted = false;
  private readonly rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  constructor() {
    const rl = this.rl as unknown as { _writeToOutput: (s: string) => void };
    const write = rl._writeToOutput.bind(rl);
    rl._writeToOutput = (s: string) => {
      if (!this.muted) write(s);
    };
  }
  async ask(question: string, secret = false): Promise<string> {
    if (!secret) return (await this.rl.question(question)).trim();
    process.stdout.write(question);
    this.muted = true;
    try {
      return await this.rl.question('');
    } finally {
      this.muted = false;
      process.stdout.write('\n');
    }
  }
  close(): void {
    this.rl.close();
  }
}
