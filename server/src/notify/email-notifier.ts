import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { EmailMessage, Notifier } from '../domain/kernel/notifier.js';

export interface EmailNotifierOptions {
  /** smtp(s)://user:pass@host:port; without one, messages are written as .eml files under `mailDir`. */
  smtpUrl: string | null;
  mailDir: string;
  from: string;
}

/**
 * E-mail through nodemailer. With no SMTP server configured the first run still works offline: each
 * message is rendered to RFC 822 and written to `<DATA_DIR>/mail/*.eml`, where an operator (or a
 * test) can read it.
 */
export function createEmailNotifier(options: EmailNotifierOptions): Notifier & { readonly mode: 'smtp' | 'file' } {
  if (options.smtpUrl) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    return {
      mode: 'smtp',
      async send(message: EmailMessage) {
        await transport.sendMail(mailOf(options.from, message));
      },
    };
  }
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    mode: 'file',
    async send(message: EmailMessage) {
      const info = await transport.sendMail(mailOf(options.from, message));
      await mkdir(options.mailDir, { recursive: true });
      const name = `${Date.now()}-${randomBytes(4).toString('hex')}.eml`;
      await writeFile(path.join(options.mailDir, name), info.message as Buffer);
    },
  };
}

/** Text only, or text and HTML as multipart/alternative (nodemailer puts the text part first). */
function mailOf(from: string, message: EmailMessage) {
  return {
    from,
    to: message.to,
    subject: message.subject,
    text: message.text,
    ...(message.html === undefined ? {} : { html: message.html }),
  };
}
