/**
 * Twilio's documented Messaging webhook parameters and the format of each value, for the re-split check
 * (resplit.ts). Sources, Twilio docs: "Twilio's request to your incoming message Webhook URL"
 * (messaging/guides/webhook-request: SMS, MMS, WhatsApp and RCS parameters, geographic data, media),
 * "Track the message status of outbound messages" (status callbacks), Advanced Opt-Out (`OptOutType`),
 * Add-ons (`AddOns`, a JSON document).
 *
 * A format narrows where a value can end when the signed string is split another way. It must accept every
 * value Twilio sends, or a genuine request could not be told apart from a re-split of it; where Twilio
 * documents no format the value is free text (it can end anywhere). The one exception: geographic fields are
 * free text bounded to 64 characters (Twilio fills them from its number database: a city, a state, a postal
 * code or a country code), so that a place cannot swallow the parameters that follow it.
 */
export type ValueFormat =
  | { readonly kind: 'text' }
  /** A JSON object: starts with `{` and ends with `}`. */
  | { readonly kind: 'json' }
  /** `re` matches the whole value, at most `maxLength` characters, each of which `chars` matches. */
  | { readonly kind: 'pattern'; readonly re: RegExp; readonly maxLength: number; readonly chars: RegExp };

const TEXT: ValueFormat = { kind: 'text' };
const JSON_OBJECT: ValueFormat = { kind: 'json' };
const pattern = (re: RegExp, maxLength: number, chars: RegExp): ValueFormat => ({
  kind: 'pattern',
  re,
  maxLength,
  chars,
});

/** "A 34 character unique identifier": two capital letters and 32 hexadecimal digits (SM…, MM…, AC…, MG…). */
const SID = pattern(/^[A-Z]{2}[0-9a-fA-F]{32}$/u, 34, /[A-Za-z0-9]/u);
/** "The phone number or channel address": E.164 or a short code, optionally prefixed (`whatsapp:+1…`). */
const ADDRESS = pattern(/^(?:[a-z][a-z0-9-]{0,19}:)?\+?[0-9]{1,20}$/u, 42, /[a-z0-9:+-]/u);
/** `ApiVersion`: a date, "2010-04-01". */
const DATE = pattern(/^\d{4}-\d{2}-\d{2}$/u, 10, /[0-9-]/u);
const COUNT = pattern(/^\d{1,5}$/u, 5, /[0-9]/u);
const DIGITS = pattern(/^\d{1,20}$/u, 20, /[0-9]/u);
/** Statuses and types are lower-case words: received, delivered, undelivered, text, image, … */
const WORD = pattern(/^[a-z_]{1,32}$/u, 32, /[a-z_]/u);
const BOOLEAN = pattern(/^(?:true|false)$/u, 5, /[a-z]/u);
const COORDINATE = pattern(/^-?\d{1,3}(?:\.\d{1,20})?$/u, 25, /[0-9.-]/u);
/** A media type (RFC 6838 restricted names). */
const MEDIA_TYPE = pattern(/^[A-Za-z0-9][\w!#$&^.+-]{0,126}\/[A-Za-z0-9][\w!#$&^.+-]{0,126}$/u, 255, /[\w!#$&^.+/-]/u);
const HEX32 = '[0-9a-f]{32}';
/** "The URL referencing the content of the media received": the Media resource of the message. */
const MEDIA_URL = pattern(
  new RegExp(
    `^https://api\\.twilio\\.com/2010-04-01/Accounts/AC${HEX32}/Messages/[MS]M${HEX32}/Media/ME${HEX32}$`,
    'u',
  ),
  164,
  /[A-Za-z0-9:/.-]/u,
);
const PLACE = pattern(/^[\s\S]{0,64}$/u, 64, /[\s\S]/u);
/** Advanced Opt-Out: "STOP, START or HELP". */
const OPT_OUT_TYPE = pattern(/^(?:STOP|START|HELP)$/u, 5, /[A-Z]/u);

/** Documented names and their formats. */
export const DOCUMENTED_PARAMETERS: ReadonlyMap<string, ValueFormat> = new Map<string, ValueFormat>([
  // Every message
  ['MessageSid', SID],
  ['SmsSid', SID],
  ['SmsMessageSid', SID],
  ['AccountSid', SID],
  ['MessagingServiceSid', SID],
  ['From', ADDRESS],
  ['To', ADDRESS],
  ['Body', TEXT],
  ['NumMedia', COUNT],
  ['NumSegments', COUNT],
  ['ApiVersion', DATE],
  ['SmsStatus', WORD],
  ['OptOutType', OPT_OUT_TYPE],
  ['AddOns', JSON_OBJECT],
  // Geographic data
  ['FromCity', PLACE],
  ['FromState', PLACE],
  ['FromZip', PLACE],
  ['FromCountry', PLACE],
  ['ToCity', PLACE],
  ['ToState', PLACE],
  ['ToZip', PLACE],
  ['ToCountry', PLACE],
  // WhatsApp and RCS
  ['ProfileName', TEXT],
  ['WaId', DIGITS],
  ['Forwarded', BOOLEAN],
  ['FrequentlyForwarded', BOOLEAN],
  ['ButtonText', TEXT],
  ['ButtonPayload', TEXT],
  ['MessageType', WORD],
  ['ChannelMetadata', JSON_OBJECT],
  ['Latitude', COORDINATE],
  ['Longitude', COORDINATE],
  ['Address', TEXT],
  ['Label', TEXT],
  ['OriginalRepliedMessageSender', ADDRESS],
  ['OriginalRepliedMessageSid', SID],
  ['ReferralBody', TEXT],
  ['ReferralHeadline', TEXT],
  ['ReferralSourceId', TEXT],
  ['ReferralSourceType', WORD],
  ['ReferralSourceUrl', TEXT],
  ['ReferralMediaId', TEXT],
  ['ReferralMediaContentType', MEDIA_TYPE],
  ['ReferralMediaUrl', TEXT],
  ['ReferralNumMedia', COUNT],
  ['ReferralCtwaClid', TEXT],
  // Status callbacks
  ['MessageStatus', WORD],
  ['ErrorCode', DIGITS],
  ['ErrorMessage', TEXT],
  ['RawDlrDoneDate', DIGITS],
  ['ChannelPrefix', WORD],
  ['ChannelInstallSid', SID],
  ['ChannelStatusMessage', TEXT],
  ['ChannelToAddress', ADDRESS],
  ['StructuredMessage', BOOLEAN],
]);

/** Families of names: the prefix followed by an index, "MediaUrl{N}" (0-based, one per media item). */
export const DOCUMENTED_FAMILIES: ReadonlyMap<string, ValueFormat> = new Map<string, ValueFormat>([
  ['MediaUrl', MEDIA_URL],
  ['MediaContentType', MEDIA_TYPE],
]);

/** Digits of a family index: Twilio sends at most 10 media items per message, so two suffice with room. */
export const FAMILY_INDEX_DIGITS = 2;

/** The format of a name: documented, of a documented family, or free text (a parameter Twilio added later). */
export function formatOf(name: string): ValueFormat {
  const documented = DOCUMENTED_PARAMETERS.get(name);
  if (documented !== undefined) return documented;
  for (const [prefix, format] of DOCUMENTED_FAMILIES) {
    const index = name.slice(prefix.length);
    if (name.startsWith(prefix) && index.length >= 1 && index.length <= FAMILY_INDEX_DIGITS && /^\d+$/u.test(index))
      return format;
  }
  return TEXT;
}
