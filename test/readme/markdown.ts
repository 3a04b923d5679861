// Reading the repository's Markdown as GitHub renders it: which files there are, their fenced
// code blocks (with the `<!-- test: … -->` marker before each), their links and their headings'
// anchors. Shared by the code-block and link tests.
import { readdir, readFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { repoRoot } from "../support.js";

/** Folders no reader of the repository sees: dependencies, build output, generated files. */
const SKIPPED_DIRS = new Set(["node_modules", "dist", "coverage"]);

/** Every `*.md` file of the repository (not dependencies, build output or hidden folders), repo-relative. */
export async function markdownFiles(dir = repoRoot): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith(".") || SKIPPED_DIRS.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await markdownFiles(path)));
    else if (entry.name.endsWith(".md")) found.push(relative(repoRoot, path));
  }
  return found.sort();
}

/** A `<!-- test: mode argument -->` comment right before a fence. */
export interface BlockMarker {
  mode: string;
  /** What follows the mode (a reason, an example folder), trimmed; "" when nothing does. */
  argument: string;
}

/** One fenced code block. */
export interface CodeBlock {
  /** Repo-relative path of the Markdown file. */
  file: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The info string's first word, e.g. `ts`, `json`, `""`. */
  lang: string;
  code: string;
  marker: BlockMarker | undefined;
}

const FENCE = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/;
const MARKER = /^\s*<!--\s*test:\s*([a-z-]+)\s*(.*?)\s*-->\s*$/;

/** The fenced code blocks of a Markdown text, each with the marker on the last non-blank line before it. */
export function codeBlocks(file: string, text: string): CodeBlock[] {
  const lines = text.split("\n");
  const blocks: CodeBlock[] = [];
  let previous = "";
  for (let i = 0; i < lines.length; i += 1) {
    const open = FENCE.exec(lines[i] as string);
    if (!open) {
      if ((lines[i] as string).trim() !== "") previous = lines[i] as string;
      continue;
    }
    const [, indent = "", fence = "```", lang = ""] = open;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !isClosingFence(lines[j] as string, fence); j += 1) {
      // Code in a list item is indented like the fence: GitHub strips that indent.
      const line = lines[j] as string;
      body.push(line.startsWith(indent) ? line.slice(indent.length) : line.trimStart());
    }
    const marker = MARKER.exec(previous);
    blocks.push({
      file,
      line: i + 1,
      lang,
      code: `${body.join("\n")}\n`,
      marker: marker ? { mode: marker[1] as string, argument: marker[2] as string } : undefined,
    });
    i = j;
    previous = "";
  }
  return blocks;
}

function isClosingFence(line: string, fence: string): boolean {
  const trimmed = line.trim();
  return trimmed.startsWith(fence) && trimmed.replaceAll(fence[0] as string, "") === "";
}

/** The text with fenced code blocks and inline code spans blanked out (line numbers kept). */
export function proseOf(text: string): string {
  const lines = text.split("\n");
  let fence: string | undefined;
  return lines
    .map((line) => {
      const open = FENCE.exec(line);
      if (fence === undefined && open) {
        fence = open[2];
        return "";
      }
      if (fence !== undefined) {
        if (isClosingFence(line, fence)) fence = undefined;
        return "";
      }
      return line.replace(/(`+)[\s\S]*?\1/g, "");
    })
    .join("\n");
}

/** A link found in prose. */
export interface MarkdownLink {
  target: string;
  line: number;
}

const INLINE_LINK = /!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^\s)>]+)>?(?:\s+"[^"]*")?\s*\)/g;
const REFERENCE_DEFINITION = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+.*)?$/;
const HTML_LINK = /<(?:a|img)\s[^>]*?(?:href|src)="([^"]+)"/g;

/** Every link target of a Markdown text (inline, reference definitions, HTML `href`/`src`), outside code. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  for (const [index, line] of proseOf(text).split("\n").entries()) {
    for (const match of line.matchAll(INLINE_LINK))
      links.push({ target: match[1] as string, line: index + 1 });
    for (const match of line.matchAll(HTML_LINK)) links.push({ target: match[1] as string, line: index + 1 });
    const definition = REFERENCE_DEFINITION.exec(line);
    if (definition) links.push({ target: definition[1] as string, line: index + 1 });
  }
  return links;
}

/**
 * GitHub's anchor for a heading (github-slugger): inline markup dropped, lower case, punctuation
 * other than `-` and `_` removed, each space a `-`.
 */
export function githubSlug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/<[^>]+>/g, "")
    .replace(/[`*]/g, "");
  return text
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
    .replace(/ /g, "-");
}

/** Every anchor a Markdown text offers: its headings' slugs (repeats numbered `-1`, `-2`) and HTML ids. */
export function markdownAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  const prose = proseOfKeepingCode(text);
  for (const line of prose.split("\n")) {
    const heading = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      const slug = githubSlug(heading[1] as string);
      const count = seen.get(slug) ?? 0;
      seen.set(slug, count + 1);
      anchors.add(count === 0 ? slug : `${slug}-${count}`);
    }
    for (const match of line.matchAll(/<[a-z]+\s[^>]*?(?:id|name)="([^"]+)"/g))
      anchors.add(match[1] as string);
  }
  return anchors;
}

/** Like {@link proseOf}, but keeps inline code (a heading's `code` is part of its anchor). */
function proseOfKeepingCode(text: string): string {
  let fence: string | undefined;
  return text
    .split("\n")
    .map((line) => {
      const open = FENCE.exec(line);
      if (fence === undefined && open) {
        fence = open[2];
        return "";
      }
      if (fence === undefined) return line;
      if (isClosingFence(line, fence)) fence = undefined;
      return "";
    })
    .join("\n");
}

/** Reads a repo-relative file. */
export function readRepoFile(file: string): Promise<string> {
  return readFile(join(repoRoot, file), "utf8");
}
