// Type-checks and emits code taken from the docs with the TypeScript compiler API, as a reader's
// `tsc` would: the repository's strict options (tsconfig.base.json), or a tsconfig the docs give.
import { join } from "node:path";
import ts from "typescript";
import { repoRoot } from "../support.js";

/** tsconfig.base.json's options, for files that are type-checked and emitted next to their source. */
export function repoCompilerOptions(): ts.CompilerOptions {
  const { config } = ts.readConfigFile(join(repoRoot, "tsconfig.base.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, repoRoot);
  return {
    ...options,
    composite: false,
    declaration: false,
    declarationMap: false,
    sourceMap: false,
    inlineSources: false,
    incremental: false,
    noEmit: false,
  };
}

/** The options and files of a tsconfig.json text, as `tsc -p <dir>` reads them. */
export function tsconfigIn(dir: string, text: string): { options: ts.CompilerOptions; files: string[] } {
  const { config, error } = ts.parseConfigFileTextToJson(join(dir, "tsconfig.json"), text);
  if (error) throw new Error(`tsconfig.json: ${ts.flattenDiagnosticMessageText(error.messageText, "\n")}`);
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, dir);
  const errors = parsed.errors.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
  if (errors.length) throw new Error(`tsconfig.json: ${errors.join("; ")}`);
  return { options: parsed.options, files: parsed.fileNames };
}

/** One compiler message, located in its source file. */
export interface CompileProblem {
  file: string | undefined;
  /** 1-based line in `file`. */
  line: number;
  text: string;
}

/**
 * Type-checks `files` together and emits JavaScript for those in `emit` (all when omitted).
 * Returns every error; nothing is emitted for a file that has none in `emit`.
 */
export function compile(
  files: readonly string[],
  options: ts.CompilerOptions,
  emit: readonly string[] = files,
): CompileProblem[] {
  const program = ts.createProgram({ rootNames: files, options });
  const problems = ts.getPreEmitDiagnostics(program).map(toProblem);
  for (const file of emit) {
    const source = program.getSourceFile(file);
    if (source) problems.push(...program.emit(source).diagnostics.map(toProblem));
  }
  return problems;
}

function toProblem(diagnostic: ts.Diagnostic): CompileProblem {
  const text = `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, "\n")}`;
  if (!diagnostic.file || diagnostic.start === undefined) return { file: undefined, line: 0, text };
  const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
  return { file: diagnostic.file.fileName, line: line + 1, text };
}
