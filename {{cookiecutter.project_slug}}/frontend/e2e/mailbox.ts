// The run's mailbox: the `.eml` files the SMTP catcher writes, read the way a mail program would.
// Python's own mail parser (the backend's interpreter) decodes them, so quoted-printable and base64
// bodies, folded headers and non-ASCII project names all come out as the recipient would read them.

import { execFileSync } from 'node:child_process';
import { BACKEND_PYTHON, MAIL_DIR } from './stack.ts';

export interface CaughtMail {
  to: string;
  subject: string;
  /** The plain-text part. */
  text: string;
}

/** Long enough for the outbox worker to deliver a mail it was woken for, on a busy machine. */
const WAIT_MS = 20_000;
const POLL_MS = 250;

const READ_MAILBOX = `
import json, pathlib, sys
from email import policy
from email.parser import BytesParser
mails = []
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    mails.append({"to": str(message["To"]), "subject": str(message["Subject"]), "text": text})
print(json.dumps(mails))
`;

/** Every mail caught so far, oldest first (the catcher names its files in arrival order). */
export function caughtMail(): CaughtMail[] {
  const output = execFileSync(BACKEND_PYTHON, ['-c', READ_MAILBOX, MAIL_DIR], { encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(output) as CaughtMail[];
}

/**
 * The link to `page` (`verify-email`, `reset-password`) in the newest mail to `to` that has one,
 * waiting for it to arrive; `after` skips mail that was already there before the action.
 */
export async function linkInMail(to: string, page: string, after = 0): Promise<string> {
  const pattern = new RegExp(`https?://\\S+/${page}#token=[A-Za-z0-9_-]+`);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const links = caughtMail()
      .slice(after)
      .filter((mail) => mail.to === to)
      .map((mail) => pattern.exec(mail.text)?.[0])
      .filter((link): link is string => link !== undefined);
    const newest = links.at(-1);
    if (newest !== undefined) return newest;
    if (Date.now() > deadline) throw new Error(`no mail with a /${page} link reached ${to} within ${WAIT_MS} ms`);
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
}
