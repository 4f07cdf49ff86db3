// ClickHouse's own parse of a query (the text of `EXPLAIN AST`) read back into a tree, so the
// analyst guard judges what ClickHouse will run rather than the text the analyst typed.

export interface AstNode {
  /** The node's kind: SelectQuery, Function, TableIdentifier, Literal, Set, ... */
  kind: string;
  /** What follows the kind on its line, without the alias and the children count. */
  detail: string;
  children: AstNode[];
}

/** The EXPLAIN AST text cannot be read back unambiguously. */
export class UnreadableAst extends Error {}

const LINE = /^( *)([A-Za-z]+)(.*)$/;
const CHILDREN = / \(children (\d+)\)$/;

/**
 * One node per line, indented one space per level, `(children N)` at the end of a line that has
 * children. Names are printed unescaped, so a quoted name holding a line break can print lines
 * that look like nodes: every node must hold exactly the children its line declares, which
 * such a forged line breaks.
 */
export function readExplainAst(text: string): AstNode {
  const declared = new Map<AstNode, number>();
  const open: AstNode[] = [];
  let root: AstNode | undefined;
  for (const line of text.split('\n').filter((l) => l !== '')) {
    const match = LINE.exec(line);
    if (!match) throw new UnreadableAst(`unexpected line in the parse tree: ${JSON.stringify(line.slice(0, 80))}`);
    const depth = match[1]!.length;
    const children = CHILDREN.exec(match[3]!);
    const rest = children ? match[3]!.slice(0, children.index) : match[3]!;
    const node: AstNode = { kind: match[2]!, detail: rest.replace(/^ /, ''), children: [] };
    declared.set(node, children ? Number(children[1]) : 0);
    if (depth === 0) {
      if (root) throw new UnreadableAst('the parse tree has more than one root');
      root = node;
    } else {
      if (depth > open.length) throw new UnreadableAst(`a node is indented deeper than its parent: ${JSON.stringify(line.slice(0, 80))}`);
      open[depth - 1]!.children.push(node);
    }
    open.length = depth;
    open.push(node);
  }
  if (!root) throw new UnreadableAst('the parse tree is empty');
  for (const [node, count] of declared) {
    if (node.children.length !== count) throw new UnreadableAst(`${node.kind} holds ${node.children.length} children, its line declares ${count}`);
  }
  return root;
}

/** Every node of the tree, depth first, with its parent. */
export function* walkAst(node: AstNode, parent?: AstNode): Generator<{ node: AstNode; parent: AstNode | undefined }> {
  yield { node, parent };
  for (const child of node.children) yield* walkAst(child, node);
}
