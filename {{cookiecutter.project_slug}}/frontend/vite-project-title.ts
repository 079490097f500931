// Puts the project's name (src/project.json, written by the template) into index.html's <title>,
// HTML-escaped, in the dev server and the build alike: index.html itself is copied as it is.

import { readFileSync } from 'node:fs';
import type { Plugin } from 'vite';

const TITLE = /<title>[^<]*<\/title>/;
const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/** The `name` of a project.json, or an error that says which file is wrong and how. */
export function readProjectName(path: string): string {
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(
      `${path} cannot be read as JSON (${String(error)}); it must be {"name": "Your project"}.`,
      { cause: error },
    );
  }
  const name = typeof data === 'object' && data !== null ? (data as Record<string, unknown>).name : undefined;
  if (typeof name !== 'string' || name.trim() === '') {
    throw new Error(`${path} has no "name" text; it must be {"name": "Your project"}.`);
  }
  return name;
}

/** `html` with its one <title> replaced by `name`, escaped; refuses a page without a title. */
export function withTitle(html: string, name: string): string {
  if (!TITLE.test(html)) throw new Error('index.html has no <title> element for the project name.');
  return html.replace(TITLE, () => `<title>${escapeHtml(name)}</title>`);
}

export function projectTitle(name: string): Plugin {
  return {
    name: 'project-title',
    transformIndexHtml: (html) => withTitle(html, name),
  };
}
