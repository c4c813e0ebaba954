/** Sends the file chosen in `input` or dropped on `drop` to `onFile`; used by every page with a drop zone. */
export function wireFileDrop(drop: HTMLElement, input: HTMLInputElement, onFile: (file: File | undefined) => void): void {
  input.addEventListener('change', () => onFile(input.files?.[0]));
  drop.addEventListener('dragover', (e) => {
    e.preventDefault();
    drop.classList.add('over');
  });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    onFile(e.dataTransfer?.files[0]);
  });
}
