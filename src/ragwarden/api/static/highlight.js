// Query words marked in titles and snippets, built as text nodes and <mark> elements only.

const WORD = /[\p{L}\p{N}]+/gu;
// Words a question is made of rather than what it is about: marking them would mark everything.
const STOP = new Set(
  (
    "der die das den dem des ein eine einen einem einer eines und oder ich du er sie es wir ihr ist sind war " +
    "wie was wer wo wann warum welche welcher welches im in ins am an auf aus bei mit nach von vor zu zum zur " +
    "für fur über uber kann können konnen muss müssen mussen darf soll wird werden hat haben nicht auch noch nur " +
    "mein meine meinen dieser diese dieses gibt the an and or of to on at for from by with is are was were be " +
    "how what who where when why which do does did can could should my me we our you your it this that these those"
  ).split(" "),
);

/** Lower case without accents, so "Gehälter" and "gehalter" compare equal. */
function fold(word) {
  return word.normalize("NFD").replace(/\p{M}/gu, "").toLocaleLowerCase();
}

/**
 * What a text word must start with to count as a match for each query word. German inflects and
 * compounds ("Urlaubstage" should find "Urlaubstagen"), so longer words match on a stem of at least
 * five letters; words of up to three letters ("IT", "VPN") must match whole.
 */
export function stems(query) {
  const out = new Map();
  for (const [word] of String(query).matchAll(WORD)) {
    const folded = fold(word);
    if (folded.length < 2 || STOP.has(folded)) continue;
    if (folded.length <= 3) out.set(folded, true);
    else out.set(folded.length > 5 ? folded.slice(0, Math.max(5, folded.length - 3)) : folded, false);
  }
  return out; // stem -> whole word only
}

function matches(word, wanted) {
  const folded = fold(word);
  for (const [stem, whole] of wanted) {
    if (whole ? folded === stem : folded.startsWith(stem) || inCompound(folded, stem)) return true;
  }
  return false;
}

/**
 * Whether a German compound holds the stem as a later part: the search splits compounds ("Netzwerkdrucker"
 * is found for "Drucker", "Gehaltsabrechnung" for "Abrechnung"), so the page marks them too. The part must
 * follow at least three letters of another word, and the stem have four letters or more.
 */
function inCompound(folded, stem) {
  return stem.length >= 4 && folded.indexOf(stem, 3) >= 3;
}

/** A fragment of ``text`` with the query's words wrapped in <mark>. */
export function highlight(text, query) {
  const fragment = document.createDocumentFragment();
  const source = String(text ?? "");
  const wanted = stems(query);
  let last = 0;
  if (wanted.size) {
    for (const match of source.matchAll(WORD)) {
      if (!matches(match[0], wanted)) continue;
      const mark = document.createElement("mark");
      mark.textContent = match[0];
      fragment.append(source.slice(last, match.index), mark);
      last = match.index + match[0].length;
    }
  }
  fragment.append(source.slice(last));
  return fragment;
}
