// Every relative link in the repository's Markdown must resolve, as GitHub resolves it, to a file
// or folder of this repository (not one git ignores), and every `#anchor` to a heading of the file
// it points at. A reader who follows a link from the README must land somewhere real.
import { execFileSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, sep } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "../support.js";
import { markdownAnchors, markdownFiles, markdownLinks, readRepoFile } from "./markdown.js";

const files = await markdownFiles();
const texts = new Map(
  await Promise.all(files.map(async (file) => [file, await readRepoFile(file)] as const)),
);
const ABSOLUTE = /^[a-z][a-z0-9+.-]*:|^\/\//i;

interface Checked {
  file: string;
  line: number;
  target: string;
}

/** Repo-relative paths (of those given) that git ignores, in one `git check-ignore` call. */
function ignoredByGit(candidates: readonly string[]): Set<string> {
  // git refuses paths outside the repository; those fail on their own.
  const paths = candidates.filter((path) => path !== "" && !path.startsWith("..") && !isAbsolute(path));
  if (paths.length === 0) return new Set();
  try {
    const out = execFileSync("git", ["check-ignore", "--no-index", "--stdin"], {
      cwd: repoRoot,
      input: paths.join("\n"),
      encoding: "utf8",
    });
    return new Set(out.split("\n").filter(Boolean));
  } catch (error) {
    // Exit status 1: none of them is ignored.
    if ((error as { status?: number }).status === 1) return new Set();
    throw error;
  }
}

/** The link's path part, decoded: "" for an anchor in the same file. */
function pathOf(target: string): string {
  return decodeURIComponent((target.split("#")[0] as string).split("?")[0] as string);
}

/** Where a link in `file` points, repo-relative (`..` when it leaves the repository). */
function resolveLink(file: string, target: string): string {
  const path = pathOf(target);
  return relative(repoRoot, path === "" ? join(repoRoot, file) : join(repoRoot, dirname(file), path));
}

/** What is wrong with one relative link, or undefined when it resolves. */
function problem({ file, target }: Checked, ignored: Set<string>): string | undefined {
  const anchor = target.includes("#") ? target.slice(target.indexOf("#") + 1) : undefined;
  if (pathOf(target).startsWith("/")) {
    return "starts with '/': GitHub resolves it from the repository root; write it relative";
  }
  const inRepo = resolveLink(file, target);
  const resolved = join(repoRoot, inRepo);
  if (inRepo.startsWith(`..${sep}`) || inRepo === "..") return `leaves the repository (${inRepo})`;
  if (!existsSync(resolved)) return `${inRepo} does not exist`;
  if (ignored.has(inRepo)) return `${inRepo} is ignored by git, so not in the repository`;
  if (anchor === undefined || anchor === "") return undefined;
  if (statSync(resolved).isDirectory() || !resolved.endsWith(".md")) {
    return `#${anchor} points into ${inRepo}, which has no headings`;
  }
  const anchors = markdownAnchors(texts.get(inRepo) ?? "");
  if (anchors.has(decodeURIComponent(anchor))) return undefined;
  return `${inRepo} has no heading with the anchor #${anchor} (it has: ${[...anchors].join(", ")})`;
}

const relativeLinks: Checked[] = files.flatMap((file) =>
  markdownLinks(texts.get(file) ?? "")
    .filter((link) => !ABSOLUTE.test(link.target))
    .map((link) => ({ file, ...link })),
);

describe("links in the repository's Markdown", () => {
  it("finds the Markdown files and their links", () => {
    expect(files).toContain("README.md");
    expect(relativeLinks.filter((link) => link.file === "README.md").length).toBeGreaterThan(10);
  });

  it.each(files)("every relative link and anchor in %s resolves inside the repository", (file) => {
    const links = relativeLinks.filter((link) => link.file === file);
    const ignored = ignoredByGit(links.map((link) => resolveLink(file, link.target)));
    const broken = links.flatMap((link) => {
      const why = problem(link, ignored);
      return why === undefined ? [] : [`${file}:${link.line} (${link.target}): ${why}`];
    });
    expect(broken, "broken links").toEqual([]);
  });
});

describe("the Markdown reader this test uses", () => {
  it("refuses a link out of the repository, to nothing, to an ignored folder, or to a missing heading", () => {
    const check = (target: string) =>
      problem({ file: "README.md", line: 1, target }, ignoredByGit([resolveLink("README.md", target)]));
    expect(check("../shared/design.md")).toMatch(/^leaves the repository/);
    expect(check("/packages/store")).toMatch(/^starts with '\/'/);
    expect(check("packages/no-such-package")).toMatch(/does not exist$/);
    expect(check("node_modules")).toMatch(/is ignored by git/);
    expect(check("#no-such-heading")).toMatch(/README.md has no heading with the anchor #no-such-heading/);
    expect(check("packages/store/README.md#no-such-heading")).toMatch(/has no heading/);
    expect(check("#quickstart-two-commands")).toBeUndefined();
    expect(check("packages/store")).toBeUndefined();
  });

  it("makes GitHub's anchors: code, punctuation and repeated headings", () => {
    const anchors = markdownAnchors(
      [
        "# flowstate",
        "## Quickstart: two commands",
        "### `[workers] state_backend_kwargs`",
        "## What flowstate promises",
        "## Test",
        "## Test",
        '<a id="custom"></a>',
        "```md",
        "## Not a heading",
        "```",
      ].join("\n"),
    );
    expect([...anchors]).toEqual([
      "flowstate",
      "quickstart-two-commands",
      "workers-state_backend_kwargs",
      "what-flowstate-promises",
      "test",
      "test-1",
      "custom",
    ]);
  });

  it("finds inline, reference and HTML links outside code, and none inside it", () => {
    const links = markdownLinks(
      [
        "See [the store](packages/store/README.md#options) and ![logo](img/logo.png).",
        "`[not](a-link.md)` and [ref]: docs/ref.md",
        "[ref]: docs/ref.md",
        '<a href="docs/html.md">html</a>',
        "```ts",
        "const x = [a](b.md);",
        "```",
      ].join("\n"),
    );
    expect(links.map((link) => `${link.line}:${link.target}`)).toEqual([
      "1:packages/store/README.md#options",
      "1:img/logo.png",
      "3:docs/ref.md",
      "4:docs/html.md",
    ]);
  });
});
