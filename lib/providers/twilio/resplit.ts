import {
  DOCUMENTED_FAMILIES,
  DOCUMENTED_PARAMETERS,
  FAMILY_INDEX_DIGITS,
  formatOf,
  type ValueFormat,
} from './parameters.js';

/**
 * Does any other split of a Twilio signed string decide differently?
 *
 * Why: Twilio signs the URL followed by every parameter's name and value glued together, names sorted, with
 * no separator (twilio docs "Webhooks security", twilio-node `getExpectedTwilioSignature`). The same signed
 * string can therefore be cut into other names and values, and the signature still matches: an attacker who
 * texts `STOPFrom+1VICTIM` from their own number can re-send Twilio's signed request as `Body=STOP`,
 * `From=+1VICTIM` and a made-up name such as `From+1ATTACKER` with an empty value, or `FromAFro` holding
 * `m+1ATTACKER`. Twilio signs no timestamp, so such a request can be replayed at any time. Looking at values
 * or names alone cannot tell; the question is whether the request Twilio really sent could have decided
 * something else. So a request decides a block only if every way of splitting its signed string into
 * parameters that Twilio could have sent — names Twilio documents (with families such as MediaUrl{N}) and
 * names the request itself carries (Twilio adds parameters without notice), each value fitting its
 * documented format (free text where none is documented), names in sorted order — decides the same. The
 * request as received is always one of those splits, whatever its values look like.
 *
 * What "decides the same" means is the caller's `SplitModel`: a few tracked parameters folded into a small
 * state (which From, whether Body is the one received, which OptOutType, …), and a final test.
 *
 * Cost: a split is a path through the string, so the search is a dynamic programme over positions, not an
 * enumeration of splits (which is exponential). At each position where a name can start it keeps, per model
 * state, the smallest name the next parameter may have (sorted order), and carries free-text values forward
 * as open entries that may end wherever a name starts. Formatted values are bounded (at most 255
 * characters), names are at most MAX_NAME_LENGTH, and a free-text value that must equal a known text (the
 * Body received) is matched with one Z-array: O(n · (MAX_NAME_LENGTH + states)) time for a string of n
 * characters, linear memory; n is at most MAX_SIGNED_LENGTH (a longer string counts as ambiguous). A name
 * longer than MAX_NAME_LENGTH is only ever used where the request itself put it: no Twilio name is that
 * long, so no split Twilio could have sent needs it elsewhere.
 */
export type Param = readonly [name: string, value: string];

/** The decision of a split, folded parameter by parameter into a small state. */
export interface SplitModel {
  readonly initial: number;
  /** Whether `step` may change the state for this name (untracked names never do). */
  tracks(name: string): boolean;
  /** The state after one more parameter. */
  step(state: number, name: string, value: string): number;
  /**
   * The state after a free-text value of a tracked name: `otherwise` for any text but the one `except`ed
   * (the value received, say), which leads to its own state.
   */
  freeText(state: number, name: string): { otherwise: number; except?: readonly [value: string, state: number] };
  /** At the end of the string: a valid split that decides differently from the request as received. */
  differs(state: number): boolean;
}

export const MAX_NAME_LENGTH = 48;
/**
 * Twilio's requests are a few kilobytes (a Body of at most 1,600 characters, ten media URLs, some dozens of
 * short parameters): a longer signed string is not one Twilio sent as a message webhook, and is not decided.
 */
export const MAX_SIGNED_LENGTH = 64 * 1024;

interface TrieNode {
  children: Map<number, TrieNode>;
  name?: string;
  family?: boolean;
}

function buildTrie(names: Iterable<string>): TrieNode {
  const root: TrieNode = { children: new Map() };
  const add = (text: string): TrieNode => {
    let node = root;
    for (let i = 0; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      let next = node.children.get(code);
      if (next === undefined) {
        next = { children: new Map() };
        node.children.set(code, next);
      }
      node = next;
    }
    return node;
  };
  for (const name of names) if (name.length > 0 && name.length <= MAX_NAME_LENGTH) add(name).name = name;
  for (const prefix of DOCUMENTED_FAMILIES.keys()) add(prefix).family = true;
  return root;
}

const isDigit = (code: number) => code >= 48 && code <= 57;

/** Every name that starts at `p` (documented, of a family, or carried by the request). */
function namesAt(root: TrieNode, text: string, p: number, out: string[]): string[] {
  out.length = 0;
  let node: TrieNode | undefined = root;
  for (let i = p; node !== undefined; i += 1) {
    if (node.name !== undefined && !out.includes(node.name)) out.push(node.name);
    if (node.family === true) {
      for (let d = 0; d < FAMILY_INDEX_DIGITS && i + d < text.length && isDigit(text.charCodeAt(i + d)); d += 1) {
        const name = text.slice(p, i + d + 1);
        if (!out.includes(name)) out.push(name);
      }
    }
    if (i >= text.length) break;
    node = node.children.get(text.charCodeAt(i));
  }
  return out;
}

/** Z-array of `needle` against `text`: whether text continues with needle at i. O(|needle| + |text|). */
function matcher(needle: string, text: string): (i: number) => boolean {
  const m = needle.length;
  const total = m + 1 + text.length;
  const at = (k: number) => (k < m ? needle.charCodeAt(k) : k === m ? -1 : text.charCodeAt(k - m - 1));
  const z = new Int32Array(total);
  let l = 0;
  let r = 0;
  for (let k = 1; k < total; k += 1) {
    let len = k < r ? Math.min(r - k, z[k - l]!) : 0;
    while (k + len < total && at(len) === at(k + len)) len += 1;
    z[k] = len;
    if (k + len > r) {
      l = k;
      r = k + len;
    }
  }
  return (i) => m === 0 || (i >= 0 && i < text.length && z[m + 1 + i]! >= m);
}

/** A free-text value being read: it may end at any later name start (JSON: only right after a `}`). */
interface Open {
  state: number;
  /** The name of the parameter it belongs to: the next name must not sort before it. */
  name: string;
  json: boolean;
  /** An end where this value has another state (it equals an `except`ed text there). */
  except?: number;
}

const minName = (a: string | undefined, b: string) => (a === undefined || b < a ? b : a);

/**
 * True when some split of `params`' signed string (names sorted as Twilio sorts them) other than the one
 * received decides differently, as the model says. `params` are the signed parameters in signed order.
 */
export function hasDifferingSplit(params: readonly Param[], model: SplitModel): boolean {
  const text = params.map(([name, value]) => name + value).join('');
  const n = text.length;
  if (n > MAX_SIGNED_LENGTH) return true;

  // The request's own parameters are always a valid split, whatever their values look like.
  const own = new Map<number, Array<{ name: string; value: string; end: number }>>();
  let offset = 0;
  for (const [name, value] of params) {
    const list = own.get(offset) ?? [];
    list.push({ name, value, end: offset + name.length + value.length });
    own.set(offset, list);
    offset += name.length + value.length;
  }

  const trie = buildTrie([...DOCUMENTED_PARAMETERS.keys(), ...params.map(([name]) => name)]);
  const scratch: string[] = [];
  const isStart = new Uint8Array(n + 1);
  for (let p = 0; p < n; p += 1) if (own.has(p) || namesAt(trie, text, p, scratch).length > 0) isStart[p] = 1;
  isStart[n] = 1;

  const matchers = new Map<string, (i: number) => boolean>();
  const startsWith = (needle: string, i: number) => {
    let match = matchers.get(needle);
    if (match === undefined) {
      match = matcher(needle, text);
      matchers.set(needle, match);
    }
    return match(i);
  };

  // Ends already known (formatted values, the request's own values, excepted texts): state → smallest next name.
  const scheduled = new Map<number, Map<number, string>>();
  const schedule = (end: number, state: number, name: string) => {
    if (end > n || isStart[end] !== 1) return;
    let at = scheduled.get(end);
    if (at === undefined) {
      at = new Map();
      scheduled.set(end, at);
    }
    at.set(state, minName(at.get(state), name));
  };
  // Free-text values being read, by the position where their value starts.
  const opening = new Map<number, Open[]>();
  const anyEnd = new Map<number, string>();
  const jsonEnd = new Map<number, string>();
  let excepted: Open[] = [];
  const close = (o: Open) => {
    const pool = o.json ? jsonEnd : anyEnd;
    pool.set(o.state, minName(pool.get(o.state), o.name));
  };
  const open = (o: Open) => {
    if (o.except === undefined) return close(o);
    // Two excepted entries alike but for the excepted end together end everywhere.
    const twin = excepted.findIndex((e) => e.state === o.state && e.name === o.name && e.json === o.json);
    if (twin < 0) excepted.push(o);
    else if (excepted[twin]!.except !== o.except) close(excepted.splice(twin, 1)[0]!);
  };

  const formats = new Map<string, ValueFormat>();
  const formatFor = (name: string) => {
    let format = formats.get(name);
    if (format === undefined) {
      format = formatOf(name);
      formats.set(name, format);
    }
    return format;
  };
  const formattedEnds = (format: Extract<ValueFormat, { kind: 'pattern' }>, from: number): number[] => {
    const ends: number[] = [];
    const last = Math.min(n, from + format.maxLength);
    for (let j = from; j <= last; j += 1) {
      if (isStart[j] === 1 && format.re.test(text.slice(from, j))) ends.push(j);
      if (j < n && !format.chars.test(text.charAt(j))) break;
    }
    return ends;
  };

  const arrivals = new Map<number, string>();
  for (let p = 0; p <= n; p += 1) {
    for (const o of opening.get(p) ?? []) open(o);
    opening.delete(p);
    if (excepted.length > 0) {
      const passed = excepted.filter((e) => e.except! < p);
      if (passed.length > 0) {
        excepted = excepted.filter((e) => e.except! >= p);
        for (const e of passed) close({ ...e, except: undefined });
      }
    }
    if (isStart[p] !== 1) continue;

    arrivals.clear();
    if (p === 0) arrivals.set(model.initial, '');
    for (const [state, name] of scheduled.get(p) ?? []) arrivals.set(state, minName(arrivals.get(state), name));
    scheduled.delete(p);
    if (p > 0) {
      for (const [state, name] of anyEnd) arrivals.set(state, minName(arrivals.get(state), name));
      if (text.charCodeAt(p - 1) === 125 /* } */)
        for (const [state, name] of jsonEnd) arrivals.set(state, minName(arrivals.get(state), name));
      for (const e of excepted)
        if (e.except !== p && (!e.json || text.charCodeAt(p - 1) === 125))
          arrivals.set(e.state, minName(arrivals.get(e.state), e.name));
    }
    if (p === n) {
      for (const state of arrivals.keys()) if (model.differs(state)) return true;
      break;
    }
    if (arrivals.size === 0) continue;

    const names = namesAt(trie, text, p, scratch);
    for (const e of own.get(p) ?? []) if (!names.includes(e.name)) names.push(e.name);
    for (const name of names) {
      const from = p + name.length;
      const format = formatFor(name);
      const ends = format.kind === 'pattern' ? formattedEnds(format, from) : [];
      const json = format.kind === 'json';
      // A JSON value starts with "{"; elsewhere only the request's own value (if any) fits.
      const freeText = format.kind === 'text' || (json && text.charCodeAt(from) === 123);
      for (const [state, smallest] of arrivals) {
        if (name < smallest) continue;
        for (const e of own.get(p) ?? []) if (e.name === name) schedule(e.end, model.step(state, name, e.value), name);
        for (const end of ends) schedule(end, model.step(state, name, text.slice(from, end)), name);
        if (!freeText) continue;
        if (!model.tracks(name)) {
          pushOpen(opening, from, { state, name, json });
          continue;
        }
        const { otherwise, except } = model.freeText(state, name);
        let exceptAt: number | undefined;
        if (except !== undefined && startsWith(except[0], from)) {
          exceptAt = from + except[0].length;
          schedule(exceptAt, except[1], name);
        }
        pushOpen(opening, from, { state: otherwise, name, json, ...(exceptAt !== undefined && { except: exceptAt }) });
      }
    }
  }
  return false;
}

function pushOpen(opening: Map<number, Open[]>, at: number, o: Open): void {
  const list = opening.get(at);
  if (list === undefined) opening.set(at, [o]);
  else list.push(o);
}
