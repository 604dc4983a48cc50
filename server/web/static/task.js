// Approval panel: validates a JSON payload as it is edited and shows a live diff against the
// original. The server shows the same diff again (the confirm step) before anything is decided.
(() => {
  const editor = document.getElementById('payload-editor');
  const original = document.getElementById('original-payload');
  if (!editor || !original) return;
  const errorEl = document.getElementById('editor-error');
  const diffEl = document.getElementById('live-diff');
  const button = document.getElementById('preview-modify');

  function diff(a, b) {
    const x = a.split('\n');
    const y = b.split('\n');
    if (x.length * y.length > 1e6) return null;
    const w = y.length + 1;
    const t = new Uint32Array((x.length + 1) * w);
    for (let i = x.length - 1; i >= 0; i--)
      for (let j = y.length - 1; j >= 0; j--)
        t[i * w + j] = x[i] === y[j] ? t[(i + 1) * w + j + 1] + 1 : Math.max(t[(i + 1) * w + j], t[i * w + j + 1]);
    const out = [];
    let i = 0;
    let j = 0;
    while (i < x.length && j < y.length) {
      if (x[i] === y[j]) out.push([' ', x[i++], j++]);
      else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) out.push(['-', x[i++]]);
      else out.push(['+', y[j++]]);
    }
    while (i < x.length) out.push(['-', x[i++]]);
    while (j < y.length) out.push(['+', y[j++]]);
    return out;
  }

  function update() {
    let text = editor.value;
    if (editor.dataset.kind === 'json') {
      try {
        text = JSON.stringify(JSON.parse(editor.value), null, 2);
        errorEl.hidden = true;
        button.disabled = false;
      } catch (e) {
        errorEl.textContent = `Not valid JSON: ${e.message}`;
        errorEl.hidden = false;
        button.disabled = true;
        return;
      }
    }
    const lines = diff(original.textContent, text);
    diffEl.replaceChildren();
    if (!lines) return;
    for (const [op, line] of lines) {
      if (op === ' ') continue;
      const span = document.createElement('span');
      span.className = op === '+' ? 'add' : 'remove';
      span.textContent = `${op} ${line}\n`;
      diffEl.append(span);
    }
    diffEl.hidden = diffEl.childElementCount === 0;
  }
  editor.addEventListener('input', update);
})();
