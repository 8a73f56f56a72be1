import { structuredView, type ArtifactContent } from '../artifact';
import { bodyLines, findBlock, findCollection, hasContent, itemsOf, parseOutline, type MdBlock, type MdDoc } from '../markdown.outline';
import { humanize, isEmptyValue, isRecord, nameWords, plural, singular, stripEmphasis, titleCase, truncate } from '../text.util';
import { describeHits, findTbdMarkers } from './markers.rule';
import type { Rule } from './rule.model';
import { capList, type Problem } from './rule.types';
import { elementLabel, fieldOf, stringLeaves } from './structured.util';

type SectionRule = Extract<Rule, { kind: 'present' | 'min_count' | 'present_for_each' | 'complete' }>;

const outlines = new WeakMap<ArtifactContent, MdDoc>();

function outlineOf(artifact: ArtifactContent, text: string): MdDoc {
  let doc = outlines.get(artifact);
  if (!doc) {
    doc = parseOutline(text);
    outlines.set(artifact, doc);
  }
  return doc;
}

/** `story` → `stories`, `metric` → `metrics`. */
function pluralWord(word: string): string {
  if (/[^aeiou]y$/.test(word)) return `${word.slice(0, -1)}ies`;
  if (/(s|x|ch|sh)$/.test(word)) return `${word}es`;
  return `${word}s`;
}

/** `2 more user stories`, `1 more user story`. */
function moreOf(n: number, key: string): string {
  const words = humanize(key).split(' ');
  const last = singular(words.pop() ?? 'item');
  return `${n} more ${[...words, n === 1 ? last : pluralWord(last)].join(' ')}`;
}

/** How a section is called in messages: its heading as written, else the key title-cased. */
function sectionName(block: MdBlock | null, key: string): string {
  return block === null ? titleCase(key) : stripEmphasis(block.title).replace(/:\s*$/, '').trim();
}

function where(block: MdBlock): string {
  return block.kind === 'label' ? `"${sectionName(block, '')}:" (line ${block.line})` : `section "${sectionName(block, '')}" (line ${block.line})`;
}

/**
 * Checks a section rule (`present`, `min N`, `present for each`, `complete`) against one
 * artifact: a markdown/text artifact by its headings and labelled lines, a JSON/YAML artifact
 * by its keys. Returns null when the rule holds.
 */
export function checkSectionRule(rule: SectionRule, artifact: ArtifactContent): Problem | null {
  const text = artifact.text;
  if (text === null) return { message: `${artifact.name} is binary, but "${rule.text}" reads text: hand it over as UTF-8 text (markdown, JSON or YAML)`, missing: [artifact.name] };
  const view = structuredView(artifact);
  if (view !== null) {
    if (!view.ok) return { message: `${artifact.name} ${view.reason}: fix it so "${rule.text}" can be checked`, missing: [] };
    return checkStructured(rule, artifact.name, view.value);
  }
  return checkMarkdown(rule, artifact.name, outlineOf(artifact, text));
}

// ---------------------------------------------------------------------------------------------
// markdown / text
// ---------------------------------------------------------------------------------------------

function missingSection(rule: SectionRule, name: string, key: string, extra: string): Problem {
  const title = titleCase(key);
  return { message: `section "${title}" is missing from ${name}: add a "## ${title}" section${extra}`, missing: [`section "${title}"`] };
}

function checkMarkdown(rule: SectionRule, name: string, doc: MdDoc): Problem | null {
  switch (rule.kind) {
    case 'present': {
      const block = findBlock(doc, doc.root, rule.key);
      if (block === null) return missingSection(rule, name, rule.key, ' with its content');
      if (!hasContent(doc, block)) return { message: `${where(block)} in ${name} is empty: write its content under it`, missing: [`content of section "${sectionName(block, rule.key)}"`] };
      return null;
    }
    case 'complete': {
      const block = findBlock(doc, doc.root, rule.key);
      if (block === null) return missingSection(rule, name, rule.key, ' with its full content');
      if (!hasContent(doc, block)) return { message: `${where(block)} in ${name} is empty: write its full content under it`, missing: [`content of section "${sectionName(block, rule.key)}"`] };
      const hits = bodyLines(doc, block).flatMap((l) => findTbdMarkers(l.text, l.line));
      if (hits.length > 0) {
        return {
          message: `section "${sectionName(block, rule.key)}" in ${name} is not complete: it still has ${plural(hits.length, 'placeholder')} (${describeHits(hits.slice(0, 5)).join(', ')}): replace each with the real content`,
          missing: capList(describeHits(hits)),
        };
      }
      return null;
    }
    case 'min_count': {
      const block = findBlock(doc, doc.root, rule.key);
      if (block === null) return missingSection(rule, name, rule.key, ` with at least ${plural(rule.min, 'item')} (list entries or sub-headings)`);
      const count = itemsOf(doc, block).length;
      if (count >= rule.min) return null;
      return {
        message: `section "${sectionName(block, rule.key)}" has ${plural(count, 'item')}; at least ${rule.min} ${rule.min === 1 ? 'is' : 'are'} required: add ${rule.min - count} more as list entries ("- …") or sub-headings directly under it`,
        missing: [moreOf(rule.min - count, rule.key)],
      };
    }
    case 'present_for_each':
      return checkEachMarkdown(rule, name, doc);
  }
}

/** "Story 2: As a user, I can export" → "As a user, I can export". */
function itemTitle(title: string, each: string): string {
  const words = nameWords(each);
  const prefix = new RegExp(`^(?:${words.map((w) => `${w}s?`).join('\\s+')}|item)\\s*#?\\d*\\s*[:.)\\-–—]\\s*(?=\\S)`, 'i');
  return truncate(stripEmphasis(title).replace(prefix, ''), 40);
}

function checkEachMarkdown(rule: Extract<Rule, { kind: 'present_for_each' }>, name: string, doc: MdDoc): Problem | null {
  const what = humanize(rule.key);
  const each = nameWords(rule.each).join(' ');
  const collection = findCollection(doc, rule.each);
  const sectionTitle = titleCase(pluralWord(singular(rule.each)));
  if (collection === null) {
    return {
      message: `${name} has no section of ${pluralWord(each)} to check ${what} against: add a section whose heading names them (e.g. "## ${sectionTitle}") with one sub-heading or list entry per ${each}, each with its ${what}`,
      missing: [`section "${sectionTitle}"`],
    };
  }
  const items = itemsOf(doc, collection);
  if (items.length === 0) {
    return {
      message: `section "${sectionName(collection, rule.each)}" in ${name} lists no ${pluralWord(each)}, so no ${what} can be checked: add each ${each} as a sub-heading or list entry with its ${what}`,
      missing: [`${pluralWord(each)} in section "${sectionName(collection, rule.each)}"`],
    };
  }
  const lacking: string[] = [];
  for (const item of items) {
    const block = findBlock(doc, item, rule.key);
    const label = itemTitle(item.title, rule.each);
    if (block === null) lacking.push(`${what} for ${each} "${label}"`);
    else if (!hasContent(doc, block)) lacking.push(`${what} for ${each} "${label}" (empty)`);
  }
  if (lacking.length === 0) return null;
  const heading = titleCase(rule.key);
  return {
    message: `${lacking.length} of ${plural(items.length, each, pluralWord(each))} in ${name} ${lacking.length === 1 ? 'has' : 'have'} no ${what}: under each ${each} add a "#### ${heading}" sub-heading or a "**${heading}:**" line followed by its content`,
    missing: capList(lacking),
  };
}

// ---------------------------------------------------------------------------------------------
// JSON / YAML
// ---------------------------------------------------------------------------------------------

/** The noun for one element of a list artifact: `linear_tickets[]` → `ticket`. */
function elementNoun(artifactName: string): string {
  const words = nameWords(artifactName.replace(/\.(json|ya?ml)$/i, ''));
  return words[words.length - 1] ?? 'item';
}

function checkStructured(rule: SectionRule, name: string, value: unknown): Problem | null {
  if (rule.kind === 'present_for_each') return checkEachStructured(rule, name, value);
  if (Array.isArray(value) && rule.kind !== 'min_count') return checkElements(rule, name, value);
  if (!isRecord(value)) {
    return { message: `${name} is ${Array.isArray(value) ? 'a list' : 'a single value'}, so it has no "${rule.key}" field: hand it over as a mapping with a "${rule.key}" key`, missing: [rule.key] };
  }
  const field = fieldOf(value, rule.key);
  if (field === undefined) {
    const hint = rule.kind === 'min_count' ? `a list of at least ${rule.min} entries` : 'a non-empty value';
    return { message: `${name} has no "${rule.key}" field: add "${rule.key}" with ${hint}`, missing: [rule.key] };
  }
  if (rule.kind === 'min_count') {
    const count = Array.isArray(field.value) ? field.value.length : isRecord(field.value) ? Object.keys(field.value).length : null;
    if (count === null) return { message: `"${field.key}" in ${name} is ${typeof field.value === 'string' ? 'a string' : String(field.value)}, not a list: give it as a list of at least ${rule.min} entries`, missing: [moreOf(rule.min, rule.key)] };
    if (count >= rule.min) return null;
    return {
      message: `"${field.key}" in ${name} has ${plural(count, 'entry', 'entries')}; at least ${rule.min} ${rule.min === 1 ? 'is' : 'are'} required: add ${rule.min - count} more`,
      missing: [moreOf(rule.min - count, rule.key)],
    };
  }
  return checkFieldValue(rule, name, field.key, field.value, `"${field.key}" in ${name}`);
}

function checkFieldValue(rule: SectionRule, name: string, key: string, value: unknown, subject: string): Problem | null {
  if (isEmptyValue(value)) return { message: `${subject} is empty: give it a value`, missing: [key] };
  if (rule.kind !== 'complete') return null;
  const hits = stringLeaves(value, `/${key}`).flatMap((leaf) => findTbdMarkers(leaf.text).map((h) => `${leaf.path}: "${h.found}"`));
  if (hits.length === 0) return null;
  return { message: `${subject} is not complete: it still has ${plural(hits.length, 'placeholder')} (${hits.slice(0, 5).join(', ')}): replace each with the real content`, missing: capList(hits) };
}

/** A list artifact (`linear_tickets[]`): every element must carry the field. */
function checkElements(rule: Extract<SectionRule, { kind: 'present' | 'complete' }>, name: string, list: readonly unknown[]): Problem | null {
  const noun = elementNoun(name);
  if (list.length === 0) return { message: `${name} is an empty list: hand over at least one ${noun}, each with "${rule.key}"`, missing: [`a ${noun} with ${humanize(rule.key)}`] };
  const lacking: string[] = [];
  const placeholders: string[] = [];
  list.forEach((element, i) => {
    const label = elementLabel(element, i);
    const field = isRecord(element) ? fieldOf(element, rule.key) : undefined;
    if (field === undefined || isEmptyValue(field.value)) {
      lacking.push(`${humanize(rule.key)} for ${noun} "${truncate(label, 40)}"`);
      return;
    }
    if (rule.kind === 'complete') {
      for (const leaf of stringLeaves(field.value, `/${i}/${field.key}`)) for (const h of findTbdMarkers(leaf.text)) placeholders.push(`${leaf.path}: "${h.found}"`);
    }
  });
  if (lacking.length > 0) {
    return {
      message: `${lacking.length} of ${plural(list.length, noun, pluralWord(noun))} in ${name} ${lacking.length === 1 ? 'has' : 'have'} no "${rule.key}": add a non-empty "${rule.key}" to each`,
      missing: capList(lacking),
    };
  }
  if (placeholders.length > 0) return { message: `"${rule.key}" in ${name} is not complete: it still has ${plural(placeholders.length, 'placeholder')}: replace each with the real content`, missing: capList(placeholders) };
  return null;
}

function checkEachStructured(rule: Extract<Rule, { kind: 'present_for_each' }>, name: string, value: unknown): Problem | null {
  const each = nameWords(rule.each).join(' ');
  let list: unknown;
  if (Array.isArray(value)) list = value;
  else if (isRecord(value)) {
    const want = nameWords(rule.each);
    const key = Object.keys(value).find((k) => Array.isArray(value[k]) && want.every((w) => nameWords(k).includes(w)));
    list = key === undefined ? undefined : value[key];
  }
  if (!Array.isArray(list)) {
    return { message: `${name} has no list of ${pluralWord(each)}: add a field such as "${pluralWord(singular(rule.each)).replace(/ /g, '_')}" holding one entry per ${each}, each with "${rule.key}"`, missing: [`list of ${pluralWord(each)}`] };
  }
  if (list.length === 0) return { message: `the list of ${pluralWord(each)} in ${name} is empty: add each ${each} with its "${rule.key}"`, missing: [`${pluralWord(each)} in ${name}`] };
  const lacking: string[] = [];
  list.forEach((element, i) => {
    const field = isRecord(element) ? fieldOf(element, rule.key) : undefined;
    if (field === undefined || isEmptyValue(field.value)) lacking.push(`${humanize(rule.key)} for ${each} "${truncate(elementLabel(element, i), 40)}"`);
  });
  if (lacking.length === 0) return null;
  return {
    message: `${lacking.length} of ${plural(list.length, each, pluralWord(each))} in ${name} ${lacking.length === 1 ? 'has' : 'have'} no "${rule.key}": add a non-empty "${rule.key}" to each ${each}`,
    missing: capList(lacking),
  };
}
