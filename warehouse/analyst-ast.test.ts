// Reading EXPLAIN AST back: a tree as ClickHouse prints it, and the lines a quoted name holding a
// line break can print, which must not pass for nodes.
import { describe, expect, it } from 'vitest';
import { readExplainAst, UnreadableAst } from './analyst-ast.js';

const tree = [
  'SelectWithUnionQuery (children 1)',
  ' ExpressionList (children 1)',
  '  SelectQuery (children 2)',
  '   ExpressionList (children 1)',
  '    Function count (alias a b) (children 1)',
  '     ExpressionList',
  '   TablesInSelectQuery (children 1)',
  '    TablesInSelectQueryElement (children 1)',
  '     TableExpression (children 1)',
  '      TableIdentifier raw.users (alias u)',
].join('\n');

describe('readExplainAst', () => {
  it('reads kinds, details and children as ClickHouse prints them', () => {
    const root = readExplainAst(`${tree}\n`);
    const select = root.children[0]!.children[0]!;
    expect(select.kind).toBe('SelectQuery');
    expect(select.children[0]!.children[0]).toMatchObject({ kind: 'Function', detail: 'count (alias a b)' });
    expect(select.children[1]!.children[0]!.children[0]!.children[0]).toMatchObject({ kind: 'TableIdentifier', detail: 'raw.users (alias u)', children: [] });
  });

  it.each([
    ['an extra sibling', tree.replace('     ExpressionList', '     ExpressionList\n     Function file')],
    ['a child under a leaf', `${tree}\n       Function file`],
    ['a second root', `${tree}\nFunction file`],
    ['a node deeper than its parent', tree.replace('     ExpressionList', '       ExpressionList')],
    ['a line that is no node', tree.replace('     ExpressionList', "     ')")],
  ])('refuses %s', (_, text) => {
    expect(() => readExplainAst(text)).toThrow(UnreadableAst);
  });
});
