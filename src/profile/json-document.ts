import { findNodeAtLocation, type Node as JsonNode, parseTree, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { JailError } from '../errors.js';

/** A parsed JSON file that can say on which line any JSON pointer lies. */
export interface JsonDocument {
  file: string;
  value: unknown;
  /** 1-based line of the value at a JSON pointer (`/binaries/2`), or of the nearest parent that exists. */
  lineOf(pointer: string): number;
}

function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, column: offset - last };
}

const MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'invalid number',
  PropertyNameExpected: 'a property name in double quotes was expected',
  ValueExpected: 'a value was expected',
  ColonExpected: "':' was expected",
  CommaExpected: "',' was expected",
  CloseBraceExpected: "'}' was expected",
  CloseBracketExpected: "']' was expected",
  EndOfFileExpected: 'the document should end here',
  InvalidCommentToken: 'comments are not allowed in JSON',
  UnexpectedEndOfComment: 'unexpected end of comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'unexpected end of number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/** Parses strict JSON; a syntax error names the file, the line and the column. */
export function parseJsonDocument(text: string, file: string): JsonDocument {
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: false, disallowComments: true, allowEmptyContent: false });
  const first = errors[0];
  if (first || !tree) {
    const at = lineAndColumn(text, first?.offset ?? 0);
    const code = first ? printParseErrorCode(first.error) : 'ValueExpected';
    throw new JailError('INPUT', `${file}: line ${at.line}, column ${at.column}: JSON syntax error: ${MESSAGES[code] ?? code}`, { file });
  }
  const value = JSON.parse(text) as unknown;
  return {
    file,
    value,
    lineOf(pointer: string): number {
      const path = pointer
        .split('/')
        .slice(1)
        .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
        .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
      for (let n = path.length; n >= 0; n--) {
        const node: JsonNode | undefined = findNodeAtLocation(tree, path.slice(0, n));
        if (node) return lineAndColumn(text, node.offset).line;
      }
      return 1;
    },
  };
}
