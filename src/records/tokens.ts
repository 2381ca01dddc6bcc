import type { PersonRef } from "../db/recordBase.js";
import type { Token } from "../views/types.js";

/** Reading the words of a typed command (people and channels already resolved by the adapter). */
export const isWord = (t: Token | undefined): t is { word: string } => Boolean(t && "word" in t);
export const isPerson = (t: Token | undefined): t is { person: PersonRef } => Boolean(t && "person" in t);

/** The plain words (people and channels left out). */
export const wordsOf = (tokens: Token[]): string[] => tokens.filter(isWord).map((t) => t.word);

/** The words and people as text (a person by name), for free text like a title. */
export function textOf(tokens: Token[]): string {
  return tokens
    .map((t) => ("word" in t ? t.word : "person" in t ? t.person.name : ""))
    .join(" ")
    .trim();
}

export const peopleOf = (tokens: Token[]): PersonRef[] => tokens.filter(isPerson).map((t) => t.person);

export const channelOf = (tokens: Token[]): string | null => {
  const found = tokens.find((t) => "channel" in t);
  return found && "channel" in found ? found.channel : null;
};

/** The first word, lower-cased, and the rest. */
export function head(tokens: Token[]): [string, Token[]] {
  const [first, ...rest] = tokens;
  return [isWord(first) ? first.word.toLowerCase() : "", isWord(first) ? rest : tokens];
}
