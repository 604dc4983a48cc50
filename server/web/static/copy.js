// Copy buttons: <button data-copy="ID"> copies the value of the field #ID. A static file, since the
// page CSP runs scripts from this origin only. Without the Clipboard API (plain http) it selects the
// text and uses the older copy command; either way the status line says what happened.
(() => {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const field = document.getElementById(button.getAttribute('data-copy'));
      const status = document.getElementById('copy-status');
      if (!field) return;
      let copied = false;
      try {
        if (navigator.clipboard && window.isSecureContext) {
          await navigator.clipboard.writeText(field.value);
          copied = true;
        }
      } catch {
        copied = false;
      }
      if (!copied) {
        field.focus();
        field.select();
        try {
          copied = document.execCommand('copy');
        } catch {
          copied = false;
        }
      }
      button.textContent = copied ? 'Copied' : 'Copy';
      if (status) {
        status.textContent = copied
          ? 'Copied to the clipboard.'
          : 'Could not copy here: the key is selected, press Ctrl+C (⌘C on a Mac).';
      }
    });
  }
})();
