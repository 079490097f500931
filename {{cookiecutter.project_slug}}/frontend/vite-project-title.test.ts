// The project's name reaches the page title escaped, whatever characters the bake answer holds.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { escapeHtml, readProjectName, withTitle } from './vite-project-title.ts';

const INDEX_HTML = readFileSync(new URL('./index.html', import.meta.url), 'utf8');
const dirs: string[] = [];

function projectFile(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'project-title-'));
  dirs.push(dir);
  const path = join(dir, 'project.json');
  writeFileSync(path, text);
  return path;
}

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('withTitle', () => {
  it("puts an odd name into index.html's title, escaped, and nothing else changes", () => {
    const name = 'Zoë\'s "Über" App {2} <script>&';
    const html = withTitle(INDEX_HTML, name);

    expect(html).toContain(
      '<title>Zoë&#39;s &quot;Über&quot; App {2} &lt;script&gt;&amp;</title>',
    );
    expect(html.replace(/<title>.*<\/title>/, '')).toBe(INDEX_HTML.replace(/<title>.*<\/title>/, ''));
  });

  it('takes replacement patterns in the name literally', () => {
    expect(withTitle('<title></title>', "$& and $' and $1")).toBe("<title>$&amp; and $&#39; and $1</title>");
  });

  it('refuses a page without a title rather than ship it nameless', () => {
    expect(() => withTitle('<html><head></head></html>', 'App')).toThrow('no <title>');
  });
});

describe('escapeHtml', () => {
  it('escapes the five characters HTML gives meaning to', () => {
    expect(escapeHtml(`&<>"'`)).toBe('&amp;&lt;&gt;&quot;&#39;');
    expect(escapeHtml('Plain Über name')).toBe('Plain Über name');
  });
});

describe('readProjectName', () => {
  it('reads the name the template rendered with tojson', () => {
    const path = projectFile('{"name": "Zo\\u00eb\\u0027s \\"\\u00dcber\\" App {2}"}');
    expect(readProjectName(path)).toBe('Zoë\'s "Über" App {2}');
  });

  it('names the file and the expected shape when it is wrong', () => {
    expect(() => readProjectName(projectFile('{"title": "x"}'))).toThrow(/project\.json has no "name" text/);
    expect(() => readProjectName(projectFile('{name'))).toThrow(/cannot be read as JSON.*\{"name": "Your project"\}/);
  });
});
