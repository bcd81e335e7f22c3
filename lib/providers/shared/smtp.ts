import { capped } from './map.js';

/**
 * What an SMTP reply says about the *recipient's address*, for providers that hand us the receiving
 * server's answer rather than their own verdict (Mailgun, Brevo, legacy webhooks). Enhanced status codes
 * (RFC 3463, https://www.rfc-editor.org/rfc/rfc3463#section-3) are read first; the basic reply code
 * (RFC 5321 §4.2.2, https://www.rfc-editor.org/rfc/rfc5321#section-4.2.2) and a few unambiguous phrases
 * only when there is none.
 *
 * - `address`: the mailbox or its domain does not exist or is disabled for good — X.1.1 bad destination
 *   mailbox, X.1.2 bad destination system, X.1.3 bad mailbox syntax, X.1.6 mailbox moved, X.1.10 null MX
 *   (RFC 7505), 5.2.1 mailbox disabled.
 * - `mailbox`: the recipient's mailbox is full or temporarily disabled — X.2.2 "Mailbox full … should be
 *   used as a persistent transient failure" (RFC 3463 §3.3), 4.2.1 mailbox temporarily disabled. These are
 *   soft bounces that count towards SOFT_BOUNCE_POLICY, never a block on their own.
 * - `other`: about the sender, the content, the network, the route or a policy (X.3.x, X.4.x, X.5.x,
 *   X.6.x, X.7.x, X.1.7/X.1.8 which are the *sender's* address, …): never a reason to block.
 * - `unknown`: nothing to go on.
 */
export type SmtpVerdict = 'address' | 'mailbox' | 'other' | 'unknown';

/*
 * Every expression here runs on text the receiving server wrote, capped at MAX_PROVIDER_TEXT first. Each is
 * linear in that text: ENHANCED_RE can only start after a character that is neither a digit nor a dot, and
 * its look-ahead scans the run of digits and dots that follows (at most 9 times, for the 3 × 3 lengths of
 * the two `\d{1,3}`); that run ends where the next start can begin. The phrase lists are alternations of
 * fixed words whose only repetition is bounded (`[^.;]{0,40}`), so each start position costs a constant.
 */
const ENHANCED_RE = /(?:^|[^\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)/u;
const MAILBOX_FULL_RE =
  /mailbox (?:is )?full|over (?:the |its |their )?(?:storage )?quota|quota (?:exceeded|full)|exceeded (?:the |its |their )?(?:storage|quota)|insufficient (?:storage|space) (?:in|for) (?:the )?mailbox/iu;
const NO_SUCH_ADDRESS_RE =
  /\b(?:user|mailbox|recipient|address|account)\b[^.;]{0,40}\b(?:unknown|not found|does not exist|doesn't exist|no longer exists|is disabled|has been disabled)\b|\bno such (?:user|mailbox|recipient|address)\b|\b(?:user|recipient) unknown\b|\bunknown (?:user|recipient|mailbox)\b/iu;

/** The first enhanced status code (`5.1.1`) in the given strings, if any. */
export function enhancedCodeOf(...texts: Array<string | undefined>): string | undefined {
  for (const t of texts) {
    if (t === undefined) continue;
    const m = ENHANCED_RE.exec(capped(t));
    if (m) return `${m[1]}.${Number(m[2])}.${Number(m[3])}`;
  }
  return undefined;
}

export function classifySmtp(reply: {
  enhanced?: string | undefined;
  code?: string | undefined;
  text?: string | undefined;
}): SmtpVerdict {
  const enhanced = enhancedCodeOf(reply.enhanced, reply.text);
  // X.0.x (undefined subject) and X.5.x (protocol) are what servers send when they do not bother to
  // classify ("550 5.5.0 mailbox unavailable"): they say nothing either way, so the rest decides.
  const [cls, subject, detail] = (enhanced?.split('.').map(Number) ?? []) as [number?, number?, number?];
  if (enhanced !== undefined && subject !== 0 && subject !== 5) {
    if (cls === 2) return 'other';
    if (subject === 1 && [1, 2, 3, 6, 10].includes(detail!)) return cls === 5 ? 'address' : 'other';
    if (subject === 2 && detail === 2) return 'mailbox';
    if (subject === 2 && detail === 1) return cls === 5 ? 'address' : 'mailbox';
    return 'other';
  }
  const code = reply.code === undefined ? undefined : capped(reply.code).trim();
  const text = capped(reply.text ?? '');
  if (MAILBOX_FULL_RE.test(text)) return 'mailbox';
  if (code === undefined || !/^[245]\d\d$/u.test(code)) return NO_SUCH_ADDRESS_RE.test(text) ? 'address' : 'unknown';
  if (code.startsWith('2')) return 'other';
  // 551 "user not local", 553 "mailbox name not allowed": the address itself.
  if (code === '551' || code === '553') return 'address';
  // 552 "exceeded storage allocation": the recipient's mailbox is full.
  if (code === '552') return 'mailbox';
  // 550 "mailbox unavailable" also covers "command rejected for policy reasons": only the text can tell.
  if (code === '550') return NO_SUCH_ADDRESS_RE.test(text) ? 'address' : 'unknown';
  return code.startsWith('4') ? 'other' : 'unknown';
}
