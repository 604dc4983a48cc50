/** Outgoing e-mail as the domain sees it; server/src/notify implements it with nodemailer. */
export interface EmailMessage {
  to: string[];
  subject: string;
  text: string;
  /** An HTML alternative to `text` (sent as multipart/alternative); every mail has the text part. */
  html?: string;
}

export interface Notifier {
  send(message: EmailMessage): Promise<void>;
}
