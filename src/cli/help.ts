import { SETTINGS, type Setting } from '../config.js';

const WIDTH = 80;
const INDENT = '      ';

/** `simfra --help`: usage and every SIMFRA_* variable, generated from config.ts's SETTINGS. */
export function helpText(version: string, settings: readonly Setting[] = SETTINGS): string {
  const lines = [
    'Usage: simfra [--help | --version]',
    '',
    `simfra ${version}, a local emulator of Amazon ECR: the ECR API, IAM, STS, a Docker`,
    'Registry V2 / OCI registry and the admin API on one port. It is configured by',
    `environment variables only; with none set it listens on ${defaultOf(settings, 'SIMFRA_HOST')}:${defaultOf(settings, 'SIMFRA_PORT')}`,
    'and keeps its state in memory.',
    '',
    'Options:',
    '  -h, --help       print this help and exit',
    '  -v, --version    print the version and exit',
    '',
    'Environment variables (NAME=default):',
  ];
  for (const s of settings) {
    lines.push(`  ${s.default !== undefined ? `${s.name}=${s.default}` : `${s.name} (unset: ${plain(s.unset ?? 'no value')})`}`);
    lines.push(...wrap(plain(s.meaning), WIDTH - INDENT.length).map((l) => INDENT + l));
  }
  lines.push(
    '',
    'Example:',
    '  SIMFRA_PORT=5000 SIMFRA_DATA_DIR=./simfra-state simfra',
    '',
  );
  return lines.join('\n');
}

/** The README's configuration table, row for row (config.test.ts keeps the README equal to it). */
export function settingsMarkdown(settings: readonly Setting[] = SETTINGS): string {
  const rows = settings.map((s) => `| \`${s.name}\` | ${s.default !== undefined ? `\`${s.default}\`` : `unset (${s.unset ?? 'no value'})`} | ${s.meaning} |`);
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}

function defaultOf(settings: readonly Setting[], name: string): string {
  return settings.find((s) => s.name === name)?.default ?? '?';
}

function plain(markdown: string): string {
  return markdown.replaceAll('`', '');
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) out.push(line);
  return out;
}
