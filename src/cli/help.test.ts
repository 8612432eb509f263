import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SETTINGS } from '../config.js';
import { helpText, settingsMarkdown } from './help.js';

describe('help and the README from SETTINGS', () => {
  it('--help shows each variable with its default and its meaning without markdown', () => {
    // when
    const text = helpText('1.2.3', [
      { name: 'SIMFRA_X', default: '7', meaning: 'a `code` word' },
      { name: 'SIMFRA_Y', unset: 'nothing', meaning: 'y' },
    ]);
    // then
    assert.match(text, /^ {2}SIMFRA_X=7\n {6}a code word\n {2}SIMFRA_Y \(unset: nothing\)\n {6}y\n/m);
    assert.match(text, /simfra 1\.2\.3/);
    for (const line of helpText('1.2.3').split('\n')) assert.ok(line.length <= 80 || line.startsWith('  SIMFRA_'), `too long: ${line}`);
  });

  it("the README's configuration table is the SETTINGS table", () => {
    // given
    const readme = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
    // then: regenerate it with `node --import tsx -e "import('./src/cli/help.ts').then(m => console.log(m.settingsMarkdown()))"`
    const expected = settingsMarkdown();
    assert.ok(readme.includes(`${expected}\n`), `README.md must contain this table (from SETTINGS in src/config.ts):\n${expected}`);
    assert.equal(expected.split('\n').length, SETTINGS.length + 2);
  });
});
