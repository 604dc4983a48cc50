import { SMTPServer } from 'smtp-server';

/** One MIME part of a received mail: its content type and its body, transfer encoding undone. */
export interface MailPart {
  type: string;
  body: string;
}

export interface ReceivedMail {
  to: string[];
  raw: string;
  subject: string;
  /** The top-level content type (e.g. `multipart/alternative`). */
  type: string;
  /** The leaf parts in order (a single-part mail has one). */
  parts: MailPart[];
  text: string;
  html: string | null;
}

/** A real SMTP server on 127.0.0.1 that keeps what it receives (no TLS, no auth: loopback only). */
export async function startSmtp(): Promise<{ url: string; mails: ReceivedMail[]; close(): Promise<void> }> {
  const mails: ReceivedMail[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        mails.push(
          parseMail(
            raw,
            session.envelope.rcptTo.map((r) => r.address),
          ),
        );
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `smtp://127.0.0.1:${port}`,
    mails,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function splitHead(entity: string): { headers: Record<string, string>; body: string } {
  const normal = entity.replace(/\r\n/g, '\n');
  const cut = normal.indexOf('\n\n');
  const head = cut === -1 ? normal : normal.slice(0, cut);
  const body = cut === -1 ? '' : normal.slice(cut + 2);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\n[ \t]+/g, ' ').split('\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { headers, body };
}

function decodeBody(body: string, encoding: string | undefined): string {
  switch ((encoding ?? '').toLowerCase()) {
    case 'quoted-printable': {
      const bytes: number[] = [];
      const text = body.replace(/=\n/g, '');
      for (let i = 0; i < text.length; i++) {
        if (text[i] === '=' && /^[0-9A-F]{2}$/i.test(text.slice(i + 1, i + 3))) {
          bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
          i += 2;
        } else {
          bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
        }
      }
      return Buffer.from(bytes).toString('utf8');
    }
    case 'base64':
      return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
    default:
      return body;
  }
}

function leafParts(entity: string): { type: string; parts: MailPart[] } {
  const { headers, body } = splitHead(entity);
  const contentType = headers['content-type'] ?? 'text/plain';
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!type.startsWith('multipart/') || !boundary) {
    return { type, parts: [{ type, body: decodeBody(body, headers['content-transfer-encoding']) }] };
  }
  const sections = body.split(`--${boundary}`).slice(1);
  const parts: MailPart[] = [];
  for (const section of sections) {
    if (section.startsWith('--')) break;
    parts.push(...leafParts(section.replace(/^\n/, '')).parts);
  }
  return { type, parts };
}

/** Splits a received mail into its parts (enough MIME for what nodemailer sends). */
export function parseMail(raw: string, to: string[]): ReceivedMail {
  const { headers } = splitHead(raw);
  const { type, parts } = leafParts(raw);
  return {
    to,
    raw,
    subject: headers.subject ?? '',
    type,
    parts,
    text: parts.find((p) => p.type === 'text/plain')?.body ?? '',
    html: parts.find((p) => p.type === 'text/html')?.body ?? null,
  };
}
