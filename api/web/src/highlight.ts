// Search highlights are HTML with matches in <mark>. They are rebuilt as text and <mark> nodes
// rather than assigned to innerHTML, so nothing in a listing's text can ever become markup.
export function highlighted(html: string): Node[] {
  const parsed = new DOMParser().parseFromString(html, 'text/html');
  return Array.from(parsed.body.childNodes, (node) => {
    if (node.nodeName === 'MARK') {
      const mark = document.createElement('mark');
      mark.textContent = node.textContent;
      return mark;
    }
    return document.createTextNode(node.textContent ?? '');
  });
}
